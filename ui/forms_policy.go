package ui

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// requirementTypeHelp says what each requirement type does, in one line.
var requirementTypeHelp = map[model.RequirementType]string{
	model.SignedBy:               "images must carry a GPG signature by one of the chosen keys",
	model.Reject:                 "refuse every image this scope matches",
	model.InsecureAcceptAnything: "accept any image, signed or not (no protection)",
	model.SigstoreSigned:         "images must carry a sigstore signature by the chosen key",
	model.SignedBaseLayer:        "not implemented by the runtime: rejects every image",
}

const (
	keyKeep  = "\x00keep"
	keyOther = "\x00other"
)

// requirementFields builds the fields for a requirement, prefilled from
// orig when editing.
func (m *Model) requirementFields(orig *model.Requirement) []*field {
	var types, typeLabels []string
	for _, t := range model.RequirementTypes {
		types = append(types, string(t))
		typeLabels = append(typeLabels, string(t))
	}
	typ := choiceField("type", "Rule", types, typeLabels)
	typ.setChoice(string(model.SignedBy))
	typ.explain = func(f *form) string { return requirementTypeHelp[model.RequirementType(f.val("type"))] }

	signed := func(f *form) bool {
		t := model.RequirementType(f.val("type"))
		return t == model.SignedBy || t == model.SigstoreSigned
	}
	var keyOpts, keyLabels []string
	if orig != nil && len(orig.KeyRefs()) > 0 {
		keyOpts = append(keyOpts, keyKeep)
		var names []string
		for _, k := range orig.KeyRefs() {
			n := m.keyLabel(k)
			switch {
			case n != "":
			case k.Inline():
				n = "inline key data"
			default:
				n = k.Path
			}
			names = append(names, n)
		}
		keyLabels = append(keyLabels, "keep "+strings.Join(names, ", "))
	}
	for _, k := range m.keys.items {
		keyOpts = append(keyOpts, k.Path)
		keyLabels = append(keyLabels, shortFpr(k.Fingerprint, m.th.G.Ellipsis)+" "+k.UserID+" ("+k.Path+")")
	}
	// Key files the policy already uses are offered too, so that a rule
	// can share a key even when the inventory is not available.
	if p := m.deps.Policy.Policy(); p != nil {
		p.EachList(func(_ model.ScopeRef, _ model.Pos, reqs model.Requirements) {
			for _, r := range reqs {
				for _, k := range r.KeyRefs() {
					if !k.Inline() && !slices.Contains(keyOpts, k.Path) {
						keyOpts = append(keyOpts, k.Path)
						keyLabels = append(keyLabels, k.Path+" (used by the policy)")
					}
				}
			}
		})
	}
	keyOpts = append(keyOpts, keyOther)
	keyLabels = append(keyLabels, "a key file path (type it below)")
	keyc := choiceField("key", "Key", keyOpts, keyLabels)
	keyc.show = signed
	keyc.explain = func(f *form) string {
		switch {
		case m.deps.Keys == nil:
			return "key inventory not available in this build: keys used by the policy, or a path"
		case len(m.keys.items) == 0:
			return "no keys in the inventory: import one in the Keys view (3)"
		}
		return ""
	}
	keyPath := textField("keyPath", "Key file", "", "/etc/gpg/release.gpg")
	keyPath.show = func(f *form) bool { return signed(f) && f.val("key") == keyOther }
	keyPath.check = func(f *form) (string, bool) {
		p := f.val("keyPath")
		switch {
		case p == "":
			return "give the node path of a public key file", false
		case !filepath.IsAbs(p):
			return "must be an absolute path: the runtime's working directory is unknown", false
		}
		return "", false
	}

	var ids, idLabels []string
	for _, t := range model.IdentityTypes {
		ids = append(ids, string(t))
		idLabels = append(idLabels, string(t))
	}
	id := choiceField("identity", "Identity rule", ids, idLabels)
	id.show = signed
	id.explain = func(f *form) string {
		t := model.IdentityType(f.val("identity"))
		return t.Explain()
	}
	idIs := func(t model.IdentityType) func(f *form) bool {
		return func(f *form) bool { return signed(f) && f.val("identity") == string(t) }
	}
	idCheck := func(f *form) (string, bool) {
		return policyio.CheckIdentity(formIdentity(f)), false
	}
	ref := textField("dockerReference", "Signed reference", "", "registry.example.com/app:1.0")
	ref.show, ref.check = idIs(model.ExactReference), idCheck
	repo := textField("dockerRepository", "Signed repository", "", "registry.example.com/app")
	repo.show, repo.check = idIs(model.ExactRepository), idCheck
	prefix := textField("prefix", "Prefix (pulled)", "", "mirror.example.net/team")
	prefix.show, prefix.check = idIs(model.RemapIdentity), idCheck
	prefix.explain = func(*form) string { return "host[:port][/path] the node pulls from" }
	sprefix := textField("signedPrefix", "Signed prefix", "", "registry.example.com/team")
	sprefix.show, sprefix.check = idIs(model.RemapIdentity), idCheck
	sprefix.explain = func(*form) string { return "what the signatures name instead" }

	if orig != nil {
		typ.setChoice(string(orig.Type))
		if len(keyOpts) > 0 {
			keyc.sel = 0
		}
		eff := orig.EffectiveIdentity()
		if orig.Type == model.SignedBaseLayer && orig.BaseLayerIdentity != nil {
			eff = *orig.BaseLayerIdentity
		}
		id.setChoice(string(eff.Type))
		ref.in.SetValue(eff.DockerReference)
		repo.in.SetValue(eff.DockerRepository)
		prefix.in.SetValue(eff.Prefix)
		sprefix.in.SetValue(eff.SignedPrefix)
	}
	return []*field{typ, keyc, keyPath, id, ref, repo, prefix, sprefix}
}

func formIdentity(f *form) model.Identity {
	return model.Identity{
		Type:             model.IdentityType(f.val("identity")),
		DockerReference:  f.val("dockerReference"),
		DockerRepository: f.val("dockerRepository"),
		Prefix:           f.val("prefix"),
		SignedPrefix:     f.val("signedPrefix"),
	}
}

// buildRequirement turns the form into a requirement, keeping fields of
// orig the form does not show (inline key data, say).
func buildRequirement(f *form, orig *model.Requirement) *model.Requirement {
	t := model.RequirementType(f.val("type"))
	var r *model.Requirement
	if orig != nil && orig.Type == t {
		r = orig.Clone()
	} else {
		r = &model.Requirement{Type: t}
	}
	switch t {
	case model.SignedBy, model.SigstoreSigned:
		if t == model.SignedBy && r.KeyType == "" {
			r.KeyType = model.KeyTypeGPGKeys
		}
		if k := f.val("key"); k != keyKeep {
			r.KeyPath, r.KeyPaths, r.KeyData, r.KeyDatas = "", nil, nil, nil
			if k == keyOther {
				r.KeyPath = f.val("keyPath")
			} else {
				r.KeyPath = k
			}
		}
		id := formIdentity(f)
		if orig == nil || orig.SignedIdentity != nil || id.Type != model.MatchRepoDigestOrExact {
			r.SignedIdentity = &id
		}
	case model.SignedBaseLayer:
		id := formIdentity(f)
		if id.Type == "" {
			id.Type = model.MatchRepository
		}
		r.BaseLayerIdentity = &id
	}
	return r
}

// stagedWith validates the staged policy with fn applied, without
// staging it: the live problem count of a form.
func (m *Model) stagedWith(fn func(p *model.Policy)) model.Diagnostics {
	p := m.deps.Policy.Policy().Clone()
	if p == nil {
		p = &model.Policy{}
	}
	fn(p)
	d := policyio.ValidatePolicy(p, "staged")
	return append(d, policyio.CheckKeyFiles(p, m.deps.Paths, nil)...)
}

// openRequirementForm edits requirement i of ref (i < 0 adds one).
func (m *Model) openRequirementForm(ref model.ScopeRef, i int) tea.Cmd {
	var orig *model.Requirement
	title := "Add a rule to " + ref.String()
	if reqs := m.deps.Policy.Policy().Requirements(ref); i >= 0 && i < len(reqs) {
		orig = reqs[i]
		title = fmt.Sprintf("Edit rule %d of %s", i+1, ref)
	}
	apply := func(f *form) func(p *model.Policy) {
		r := buildRequirement(f, orig)
		return func(p *model.Policy) {
			rs := slices.Clone(p.Requirements(ref))
			if i >= 0 && i < len(rs) {
				rs[i] = r
			} else {
				rs = append(rs, r)
			}
			setReqs(p, ref, rs)
		}
	}
	f := &form{
		title:  title,
		fields: m.requirementFields(orig),
		note:   "All rules of a scope must accept an image.",
		preview: func(m *Model, f *form) model.Diagnostics {
			return m.stagedWith(apply(f))
		},
		submit: func(m *Model, f *form) error {
			verb := "add rule to "
			if orig != nil {
				verb = fmt.Sprintf("edit rule %d of ", i+1)
			}
			m.edit(verb+ref.String(), apply(f))
			m.pol.focusReqs = true
			if orig == nil {
				m.pol.req = len(m.deps.Policy.Policy().Requirements(ref)) - 1
			}
			return nil
		},
	}
	m.modal = f
	return f.start(m)
}

// openScopeForm adds a scope (ref nil) or renames one.
func (m *Model) openScopeForm(ref *model.ScopeRef) tea.Cmd {
	transports := []string{model.TransportDocker}
	for _, t := range model.KnownTransports {
		if t != model.TransportDocker {
			transports = append(transports, t)
		}
	}
	tr := choiceField("transport", "Transport", transports, nil)
	tr.explain = func(f *form) string {
		if f.val("transport") == model.TransportDocker {
			return "images pulled from registries (what CRI-O pulls)"
		}
		return ""
	}
	scope := textField("scope", "Scope", "", "registry.example.com/team")
	scope.explain = func(f *form) string {
		if f.val("transport") == model.TransportDocker {
			return `host[:port][/namespace...], *.domain, or "" for the whole transport`
		}
		return ""
	}
	p := m.deps.Policy.Policy()
	scope.check = func(f *form) (string, bool) {
		t, s := f.val("transport"), f.val("scope")
		if msg, _ := policyio.ScopeProblem(t, s); msg != "" {
			return msg, false
		}
		if (ref == nil || ref.Scope != s) && p != nil && p.Transport(t).Scope(s) != nil {
			if s == "" {
				return `type a scope (empty is "", the whole transport, which exists already)`, false
			}
			return "this scope exists already: edit it instead", false
		}
		if t == model.TransportDocker {
			if msg, fix, _ := policyio.DockerScopeWarning(s); msg != "" {
				return msg + " (" + fix + ")", true
			}
		}
		return "", false
	}
	fields := []*field{scope, tr}
	title := "Add a scope"
	if ref != nil {
		title = "Rename scope " + ref.String()
		tr.setChoice(ref.Transport)
		tr.opts, tr.sel = []string{ref.Transport}, 0
		scope.in.SetValue(ref.Scope)
	} else {
		fields = append(fields, m.requirementFields(nil)...)
	}
	apply := func(f *form) func(p *model.Policy) {
		t, s := f.val("transport"), f.val("scope")
		if ref != nil {
			return func(p *model.Policy) {
				if t := p.Transport(ref.Transport); t != nil {
					t.RenameScope(ref.Scope, s)
				}
			}
		}
		r := buildRequirement(f, nil)
		return func(p *model.Policy) { p.SetScope(t, s, model.Requirements{r}) }
	}
	f := &form{
		title:  title,
		fields: fields,
		preview: func(m *Model, f *form) model.Diagnostics {
			return m.stagedWith(apply(f))
		},
		submit: func(m *Model, f *form) error {
			newRef := model.ScopeRef{Transport: f.val("transport"), Scope: f.val("scope")}
			if ref != nil {
				m.edit("rename scope "+ref.String()+" to "+displayScope(newRef.Scope), apply(f))
			} else {
				m.edit("add scope "+newRef.String(), apply(f))
			}
			m.pol.selectRef(newRef)
			return nil
		},
	}
	m.modal = f
	return f.start(m)
}
