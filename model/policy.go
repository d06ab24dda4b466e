package model

import (
	"strings"
	"sync/atomic"
)

// Policy is a parsed policy.json. Transports and scopes keep the order of
// the source file so that the writer and the TUI show them as the admin
// wrote them.
type Policy struct {
	Default    Requirements `json:"default"`
	DefaultPos Pos          `json:"-"`
	Transports []*Transport `json:"-"`
}

// Transport is one entry of "transports": a transport name and its scopes.
//
// Scope finds a scope by name in constant time through an index built on
// first use. The index notices scopes appended to or removed from Scopes
// directly, but not a Name changed in place on a scope it does not look
// up: rename through RenameScope, or call Reindex after editing names.
type Transport struct {
	Name   string
	Pos    Pos
	Scopes []*Scope

	// index is published atomically: concurrent readers (a verify batch)
	// may build it at the same time; writers own the transport anyway.
	index atomic.Pointer[scopeIndex]
}

// scopeIndex maps scope names to their position in the Scopes slice it
// was built from; the first scope of a name wins, as in a linear scan.
type scopeIndex struct {
	byName map[string]int
	scopes []*Scope
}

// current reports whether idx still describes scopes: same backing array
// and length (an append or a removal through the slice changes either).
func (idx *scopeIndex) current(scopes []*Scope) bool {
	if idx == nil || len(idx.scopes) != len(scopes) {
		return false
	}
	return len(scopes) == 0 || &idx.scopes[0] == &scopes[0]
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
	idx := t.index.Load()
	if !idx.current(t.Scopes) {
		idx = t.reindex()
	}
	i, ok := idx.byName[name]
	if !ok {
		return nil
	}
	if s := t.Scopes[i]; s.Name == name {
		return s
	}
	// A scope was renamed in place: look again with a fresh index.
	if i, ok := t.reindex().byName[name]; ok {
		return t.Scopes[i]
	}
	return nil
}

// NamesRepeat reports whether two scopes of the transport have one name
// (the file is then invalid: the runtime refuses duplicate keys).
func (t *Transport) NamesRepeat() bool {
	if t == nil {
		return false
	}
	idx := t.index.Load()
	if !idx.current(t.Scopes) {
		idx = t.reindex()
	}
	return len(idx.byName) < len(t.Scopes)
}

// HasWildcardScope reports whether a scope's name starts with "*.": only
// then can a wildcard parent of another scope select anything.
func (t *Transport) HasWildcardScope() bool {
	if t == nil {
		return false
	}
	for _, s := range t.Scopes {
		if strings.HasPrefix(s.Name, "*.") {
			return true
		}
	}
	return false
}

// Reindex rebuilds the name index of Scope; call it after changing the
// Name of a scope directly.
func (t *Transport) Reindex() { t.reindex() }

func (t *Transport) reindex() *scopeIndex {
	idx := &scopeIndex{byName: make(map[string]int, len(t.Scopes)), scopes: t.Scopes}
	for i, s := range t.Scopes {
		if _, dup := idx.byName[s.Name]; !dup {
			idx.byName[s.Name] = i
		}
	}
	t.index.Store(idx)
	return idx
}

// RenameScope gives scope old the name new; it reports whether old
// existed. The caller checks that new is free (two scopes of one name make
// the file invalid).
func (t *Transport) RenameScope(old, new string) bool {
	s := t.Scope(old)
	if s == nil {
		return false
	}
	s.Name = new
	t.Reindex()
	return true
}

// appendScope adds s and keeps a current index current.
func (t *Transport) appendScope(s *Scope) {
	idx := t.index.Load()
	fresh := idx.current(t.Scopes)
	t.Scopes = append(t.Scopes, s)
	if !fresh {
		return
	}
	if _, dup := idx.byName[s.Name]; !dup {
		idx.byName[s.Name] = len(t.Scopes) - 1
	}
	t.index.Store(&scopeIndex{byName: idx.byName, scopes: t.Scopes})
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
	t.appendScope(s)
	return s
}

// RemoveScope deletes a scope; it reports whether it existed. A transport
// left without scopes is removed too, as an empty section has no effect.
func (p *Policy) RemoveScope(transport, name string) bool {
	t := p.Transport(transport)
	if t == nil {
		return false
	}
	if t.Scope(name) == nil {
		return false
	}
	i := t.index.Load().byName[name]
	t.Scopes = append(t.Scopes[:i:i], t.Scopes[i+1:]...)
	t.index.Store(nil) // every later position moved
	if len(t.Scopes) == 0 {
		p.removeTransport(transport)
	}
	return true
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
	if len(p.Transports) > 0 {
		out.Transports = make([]*Transport, 0, len(p.Transports))
	}
	for _, t := range p.Transports {
		nt := &Transport{Name: t.Name, Pos: t.Pos}
		if len(t.Scopes) > 0 {
			nt.Scopes = make([]*Scope, 0, len(t.Scopes))
		}
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
