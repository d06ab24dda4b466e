package model

// Policy is a parsed policy.json. Transports and scopes keep the order of
// the source file so that the writer and the TUI show them as the admin
// wrote them.
type Policy struct {
	Default    Requirements `json:"default"`
	DefaultPos Pos          `json:"-"`
	Transports []*Transport `json:"-"`
}

// Transport is one entry of "transports": a transport name and its scopes.
type Transport struct {
	Name   string
	Pos    Pos
	Scopes []*Scope
}

// Scope is one scope of a transport ("docker.io/library", "", ...) with
// the requirements that apply to images it selects.
type Scope struct {
	Name         string
	Pos          Pos
	Requirements Requirements
}

// Requirements is a list of requirements; all must accept an image.
type Requirements []*Requirement

// Transport names that containers/image registers in a standard build.
const (
	TransportDocker = "docker"
	TransportDir    = "dir"
)

// KnownTransports lists the transport names a standard containers/image
// build registers; scopes under any other name are silently ignored by the
// runtime.
var KnownTransports = []string{
	"atomic", "containers-storage", "dir", "docker", "docker-archive",
	"docker-daemon", "oci", "oci-archive", "ostree", "sif", "tarball",
}

// Transport returns the transport called name, or nil.
func (p *Policy) Transport(name string) *Transport {
	if p == nil {
		return nil
	}
	for _, t := range p.Transports {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Scope returns the scope called name, or nil.
func (t *Transport) Scope(name string) *Scope {
	if t == nil {
		return nil
	}
	for _, s := range t.Scopes {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// EnsureTransport returns the transport called name, adding it if needed.
func (p *Policy) EnsureTransport(name string) *Transport {
	if t := p.Transport(name); t != nil {
		return t
	}
	t := &Transport{Name: name}
	p.Transports = append(p.Transports, t)
	return t
}

// SetScope replaces (or adds) the requirements of scope name in transport.
func (p *Policy) SetScope(transport, name string, reqs Requirements) *Scope {
	t := p.EnsureTransport(transport)
	if s := t.Scope(name); s != nil {
		s.Requirements = reqs
		return s
	}
	s := &Scope{Name: name, Requirements: reqs}
	t.Scopes = append(t.Scopes, s)
	return s
}

// RemoveScope deletes a scope; it reports whether it existed. A transport
// left without scopes is removed too, as an empty section has no effect.
func (p *Policy) RemoveScope(transport, name string) bool {
	t := p.Transport(transport)
	if t == nil {
		return false
	}
	for i, s := range t.Scopes {
		if s.Name == name {
			t.Scopes = append(t.Scopes[:i:i], t.Scopes[i+1:]...)
			if len(t.Scopes) == 0 {
				p.removeTransport(transport)
			}
			return true
		}
	}
	return false
}

func (p *Policy) removeTransport(name string) {
	for i, t := range p.Transports {
		if t.Name == name {
			p.Transports = append(p.Transports[:i:i], p.Transports[i+1:]...)
			return
		}
	}
}

// ScopeRef names a requirement list: a scope of a transport, or the
// default when Transport is empty and IsDefault is set.
type ScopeRef struct {
	IsDefault bool   `json:"default,omitempty"`
	Transport string `json:"transport,omitempty"`
	Scope     string `json:"scope"`
}

func (r ScopeRef) String() string {
	if r.IsDefault {
		return "default"
	}
	s := r.Scope
	if s == "" {
		s = `""`
	}
	return r.Transport + ":" + s
}

// Requirements returns the list that ref names, or nil.
func (p *Policy) Requirements(ref ScopeRef) Requirements {
	if ref.IsDefault {
		return p.Default
	}
	if s := p.Transport(ref.Transport).Scope(ref.Scope); s != nil {
		return s.Requirements
	}
	return nil
}

// EachList calls fn for every requirement list: each scope in file order,
// then the default.
func (p *Policy) EachList(fn func(ref ScopeRef, pos Pos, reqs Requirements)) {
	for _, t := range p.Transports {
		for _, s := range t.Scopes {
			fn(ScopeRef{Transport: t.Name, Scope: s.Name}, s.Pos, s.Requirements)
		}
	}
	fn(ScopeRef{IsDefault: true}, p.DefaultPos, p.Default)
}

// Clone returns a deep copy, so that the TUI can stage edits and keep an
// undo history without touching the loaded policy.
func (p *Policy) Clone() *Policy {
	if p == nil {
		return nil
	}
	out := &Policy{Default: p.Default.Clone(), DefaultPos: p.DefaultPos}
	for _, t := range p.Transports {
		nt := &Transport{Name: t.Name, Pos: t.Pos}
		for _, s := range t.Scopes {
			nt.Scopes = append(nt.Scopes, &Scope{Name: s.Name, Pos: s.Pos, Requirements: s.Requirements.Clone()})
		}
		out.Transports = append(out.Transports, nt)
	}
	return out
}

// Clone deep-copies a requirement list.
func (rs Requirements) Clone() Requirements {
	if rs == nil {
		return nil
	}
	out := make(Requirements, len(rs))
	for i, r := range rs {
		out[i] = r.Clone()
	}
	return out
}
