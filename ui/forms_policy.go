package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/kios/imgtrust/model"
)

// The rule form: one set of fields per requirement type, each in its own
// file as containers/image keeps one file per requirement type
// (signature/policy_eval_signedby.go, policy_eval_sigstore.go,
// policy_eval_baselayer.go): forms_signedby.go, forms_sigstore.go and
// forms_identity.go (signedIdentity and baseLayerIdentity). This file
// holds what they share: the type choice, the live validation through
// policyio.CheckRequirement, and the forms that add and edit rules.

// requirementTypeHelp says what each requirement type does, in one line.
var requirementTypeHelp = map[model.RequirementType]string{
	model.SignedBy:               "images must carry a GPG signature by a key this rule names",
	model.Reject:                 "refuse every image this scope matches",
	model.InsecureAcceptAnything: "accept any image, signed or not (no protection)",
	model.SigstoreSigned:         "images must carry a sigstore signature from the trust root this rule names",
	model.SignedBaseLayer:        "not implemented by the runtime: rejects every image",
}

const (
	keyKeep  = "\x00keep"
	keyOther = "\x00other"
)

// ruleState is what the fields of one rule form share: the rule being
// edited, the files being embedded, and the problems policyio finds in
// the rule as it stands.
type ruleState struct {
	orig   *model.Requirement
	embeds map[string]*embed // by the key of the field naming the file
	// diags is policyio.CheckRequirement of the rule as the form stands.
	diags model.Diagnostics
	// owners maps a diagnostic's key (diagKey, or "code:" and its code) to
	// the fields that can show it; the first visible one does.
	owners map[string][]string
	// keyPathBoxes are the key files of signedBy's keyPaths boxes, by
	// box index.
	keyPathBoxes []string
}

func newRuleState(orig *model.Requirement) *ruleState {
	return &ruleState{orig: orig, embeds: map[string]*embed{}, owners: map[string][]string{}}
}

// own makes field show the problems of the JSON keys given.
func (st *ruleState) own(field string, jsonKeys ...string) {
	for _, k := range jsonKeys {
		st.owners[k] = append(st.owners[k], field)
	}
}

// diagKey is the JSON key a diagnostic is about: the requirement's key,
// with the sub-key for the objects inside it ("signedIdentity.prefix").
func diagKey(d model.Diagnostic) string {
	if d.Target == nil {
		return ""
	}
	k := d.Target.Field
	if k == "" {
		return ""
	}
	if _, sub, ok := strings.Cut(d.Path, "]."+k+"."); ok {
		return k + "." + sub
	}
	return k
}

// shownBy returns the key of the visible field that shows d: the first
// owner of its key (or of the key without its sub-key), else the type.
func (st *ruleState) shownBy(f *form, d model.Diagnostic) string {
	k := diagKey(d)
	for _, cand := range []string{"code:" + d.Code, k, strings.SplitN(k, ".", 2)[0]} {
		for _, key := range st.owners[cand] {
			if fd := f.get(key); fd != nil && f.visible(fd) {
				return key
			}
		}
	}
	return "type"
}

// check returns a field's live check: local first (a file still being
// read, say), then the problems policyio found that this field shows.
func (st *ruleState) check(key string, local func(f *form) string) func(f *form) (string, bool) {
	return func(f *form) (string, bool) {
		if local != nil {
			if msg := local(f); msg != "" {
				return msg, false
			}
		}
		var warn string
		for _, d := range st.diags {
			if d.Severity < model.Warning || st.shownBy(f, d) != key {
				continue
			}
			msg := d.Message
			if d.Fix != "" {
				msg += " (" + d.Fix + ")"
			}
			if d.Severity == model.Error {
				return msg, false
			}
			if warn == "" {
				warn = msg
			}
		}
		return warn, warn != ""
	}
}

// changed validates the rule as it stands and starts reading the files
// chosen for embedding.
func (st *ruleState) changed(m *Model, f *form) tea.Cmd {
	var cmds []tea.Cmd
	for key, e := range st.embeds {
		if fd := f.get(key); fd != nil && f.visible(fd) {
			cmds = append(cmds, e.want(m.deps.KeyFiles, st.embedPath(f, key)))
		}
	}
	st.diags = m.deps.Rules.CheckRequirement(buildRequirement(f, st))
	return tea.Batch(cmds...)
}

// embedPath is the node path chosen for embed field key; "" keeps what
// the rule embeds already.
func (st *ruleState) embedPath(f *form, key string) string {
	if key == "keyDataFrom" { // signedBy: a choice, with a typed path
		switch v := f.val(key); v {
		case keyKeep:
			return ""
		case keyOther:
			return f.val("keyDataPath")
		default:
			return v
		}
	}
	return f.val(key)
}

// embedded returns the data for embed field key. While none is ready it
// is empty but present, so that the rule's checks speak of the file being
// read (the field's own problem, which blocks) and not of a missing key.
func (st *ruleState) embedded(key string) []byte {
	if e := st.embeds[key]; e != nil {
		if data, ok := e.value(); ok {
			return data
		}
	}
	return []byte{}
}

func (st *ruleState) takeFile(m *Model, f *form, msg tea.Msg) (action, tea.Cmd) {
	km, ok := msg.(keyFileMsg)
	if !ok {
		return nil, nil
	}
	for _, e := range st.embeds {
		if e == km.e {
			e.take(km)
			return stayOpen{}, f.refresh(m)
		}
	}
	return stayOpen{}, nil
}

// ruleFields are the fields of a rule form and their shared state.
type ruleFields struct {
	fields []*field
	st     *ruleState
}

// requirementFields builds the fields for a requirement, prefilled from
// orig when editing: every field of every requirement type is loaded back.
func (m *Model) requirementFields(orig *model.Requirement) ruleFields {
	st := newRuleState(orig)
	var types []string
	for _, t := range model.RequirementTypes {
		types = append(types, string(t))
	}
	typ := choiceField("type", "Rule", types, nil)
	typ.setChoice(string(model.SignedBy))
	typ.explain = func(f *form) string { return requirementTypeHelp[model.RequirementType(f.val("type"))] }
	typ.check = st.check("type", nil)
	if orig != nil {
		typ.setChoice(string(orig.Type))
	}
	fields := []*field{typ}
	fields = append(fields, m.signedByFields(st)...)
	fields = append(fields, m.sigstoreFields(st)...)
	fields = append(fields, m.identityFields(st)...)
	return ruleFields{fields: fields, st: st}
}

func isType(t ...model.RequirementType) func(f *form) bool {
	return func(f *form) bool { return slices.Contains(t, model.RequirementType(f.val("type"))) }
}

// buildRequirement turns the form into a requirement. Fields of orig the
// form does not show (a fulcio buildSignerURI, the positions) are kept.
func buildRequirement(f *form, st *ruleState) *model.Requirement {
	t := model.RequirementType(f.val("type"))
	var r *model.Requirement
	if orig := st.orig; orig != nil && orig.Type == t {
		r = orig.Clone()
		// The positions are the old file's; the writer also reads them as
		// "this key was there" (an empty keyPath is kept), which must not
		// bring back a key the form replaced.
		r.FieldPos = nil
	} else {
		r = &model.Requirement{Type: t}
	}
	switch t {
	case model.SignedBy:
		if r.KeyType == "" {
			r.KeyType = model.KeyTypeGPGKeys
		}
		st.signedByKeys(f, r)
		r.SignedIdentity = st.signedIdentity(f)
	case model.SigstoreSigned:
		st.sigstoreRoots(f, r)
		r.SignedIdentity = st.signedIdentity(f)
	case model.SignedBaseLayer:
		id := formIdentity(f)
		r.BaseLayerIdentity = &id
	}
	return r
}

// splitPaths reads a list of paths typed with commas or spaces.
func splitPaths(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// openRequirementForm edits requirement i of ref (i < 0 adds one).
func (m *Model) openRequirementForm(ref model.ScopeRef, i int) tea.Cmd {
	var orig *model.Requirement
	title := "Add a rule to " + safe(ref.String())
	if reqs := m.deps.Policy.Policy().Requirements(ref); i >= 0 && i < len(reqs) {
		orig = reqs[i]
		title = fmt.Sprintf("Edit rule %d of %s", i+1, safe(ref.String()))
	}
	rf := m.requirementFields(orig)
	apply := func(f *form) func(p *model.Policy) {
		r := buildRequirement(f, rf.st)
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
		title:   title,
		fields:  rf.fields,
		note:    "All rules of a scope must accept an image.",
		changed: rf.st.changed,
		async:   rf.st.takeFile,
		preview: func(m *Model, f *form) func() model.Diagnostics { return m.stagedWith(apply(f)) },
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
	f.previewDelay = m.previewDelay()
	m.modal = f
	return f.start(m)
}

// bigPolicyLists is where judging the whole staged policy takes long
// enough (tens of milliseconds per thousand scopes,
// BenchmarkRuleFormPreview) that a form waits for a pause in typing.
const bigPolicyLists = 200

func (m *Model) previewDelay() time.Duration {
	n := 0
	if p := m.deps.Policy.Policy(); p != nil {
		p.EachList(func(model.ScopeRef, model.Pos, model.Requirements) { n++ })
	}
	if n >= bigPolicyLists {
		return 150 * time.Millisecond
	}
	return 0
}

// stagedWith returns the work that validates the staged policy with fn
// applied, without staging it: the live problem count of a form. It runs
// in a tea.Cmd, since it reads the key files the policy names; the staged
// policy is never changed in place (edits replace it), so reading it
// there is safe.
func (m *Model) stagedWith(fn func(p *model.Policy)) func() model.Diagnostics {
	base, paths, rules := m.deps.Policy.Policy(), m.deps.Paths, m.deps.Rules
	return func() model.Diagnostics {
		p := base.Clone()
		if p == nil {
			p = &model.Policy{}
		}
		fn(p)
		d := rules.ValidatePolicy(p, "staged")
		return append(d, rules.CheckKeyFiles(p, paths)...)
	}
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
		if msg, _ := m.deps.Rules.ScopeProblem(t, s); msg != "" {
			return msg, false
		}
		if (ref == nil || ref.Scope != s) && p != nil && p.Transport(t).Scope(s) != nil {
			if s == "" {
				return `type a scope (empty is "", the whole transport, which exists already)`, false
			}
			return "this scope exists already: edit it instead", false
		}
		if t == model.TransportDocker {
			if msg, fix, _ := m.deps.Rules.DockerScopeWarning(s); msg != "" {
				return msg + " (" + fix + ")", true
			}
		}
		return "", false
	}
	fields := []*field{scope, tr}
	title := "Add a scope"
	rf := ruleFields{st: newRuleState(nil)}
	if ref != nil {
		title = "Rename scope " + safe(ref.String())
		tr.setChoice(ref.Transport)
		tr.opts, tr.sel = []string{ref.Transport}, 0
		scope.in.SetValue(ref.Scope)
	} else {
		rf = m.requirementFields(nil)
		fields = append(fields, rf.fields...)
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
		r := buildRequirement(f, rf.st)
		return func(p *model.Policy) { p.SetScope(t, s, model.Requirements{r}) }
	}
	f := &form{
		title:   title,
		fields:  fields,
		preview: func(m *Model, f *form) func() model.Diagnostics { return m.stagedWith(apply(f)) },
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
	if ref == nil {
		f.changed, f.async = rf.st.changed, rf.st.takeFile
	}
	f.previewDelay = m.previewDelay()
	m.modal = f
	return f.start(m)
}
