package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kios/imgtrust/model"
)

// The signedBy fields: which OpenPGP keys may sign, written as keyPath
// (one key file), keyPaths (several; a signature by any one of them is
// accepted) or keyData (a key file embedded in policy.json), as
// newPRSignedBy* in containers/image's signature/policy_config.go takes
// exactly one of them.

const (
	keyMany  = "\x00many"
	keyEmbed = "\x00embed"
)

// gpgKeyOption is a key file the forms offer: one of the inventory, or
// one the policy's signedBy rules use already (so that a rule can share a
// key even when the inventory is not available).
type gpgKeyOption struct{ path, label string }

func (m *Model) gpgKeyOptions() []gpgKeyOption {
	var out []gpgKeyOption
	seen := map[string]bool{}
	for _, k := range m.keys.items {
		if k.Path == "" || seen[k.Path] {
			continue
		}
		seen[k.Path] = true
		out = append(out, gpgKeyOption{k.Path, shortFpr(k.Fingerprint, m.th.G.Ellipsis) + " " + k.UserID + " (" + k.Path + ")"})
	}
	if p := m.deps.Policy.Policy(); p != nil {
		p.EachList(func(_ model.ScopeRef, _ model.Pos, reqs model.Requirements) {
			for _, r := range reqs {
				if r.Type != model.SignedBy {
					continue
				}
				for _, k := range r.KeyRefs() {
					if !k.Inline() && !seen[k.Path] {
						seen[k.Path] = true
						out = append(out, gpgKeyOption{k.Path, k.Path + " (used by the policy)"})
					}
				}
			}
		})
	}
	return out
}

// keyChoice is the "Key" field: a key file, a typed path and, when
// several is set, "several keys" and "embed a key file".
func (m *Model) keyChoice(orig *model.Requirement, several bool) *field {
	var opts, labels []string
	if orig != nil && len(keySourcesOf(orig)) > 1 {
		// Not a valid rule (exactly one source is allowed): keep it as it
		// is unless the admin picks one.
		opts = append(opts, keyKeep)
		labels = append(labels, "keep "+strings.Join(keySourcesOf(orig), " and ")+" (invalid: choose one)")
	}
	for _, o := range m.gpgKeyOptions() {
		opts = append(opts, o.path)
		labels = append(labels, o.label)
	}
	opts = append(opts, keyOther)
	labels = append(labels, "a key file path (type it below)")
	if several {
		opts = append(opts, keyMany, keyEmbed)
		labels = append(labels, "several key files, any one may sign (keyPaths)", "embed a key file in policy.json (keyData)")
	}
	keyc := choiceField("key", "Key", opts, labels)
	keyc.explain = func(f *form) string {
		var note string
		switch {
		case m.deps.Keys == nil:
			note = "key inventory not available in this build: keys used by the policy, or a path"
		case len(m.keys.items) == 0:
			note = "no keys in the inventory: import one in the Keys view (3)"
		}
		// The label may be cut: say what is written, whole.
		if v := f.val("key"); v != "" && !strings.HasPrefix(v, "\x00") {
			return strings.TrimSpace("written as keyPath " + v + "\n" + note)
		}
		return note
	}
	return keyc
}

// keySourcesOf lists the signedBy key fields a rule has.
func keySourcesOf(r *model.Requirement) []string {
	var out []string
	if r.KeyPath != "" {
		out = append(out, "keyPath")
	}
	if r.KeyPaths != nil {
		out = append(out, "keyPaths")
	}
	if r.KeyData != nil {
		out = append(out, "keyData")
	}
	return out
}

// keyPathField is the typed key path shown with "a key file path".
func keyPathField() *field {
	return textField("keyPath", "Key file", "", "/etc/gpg/release.gpg")
}

// wizardKeyFields are the setup wizard's key step: one key file.
func (m *Model) wizardKeyFields() []*field {
	return []*field{m.keyChoice(nil, false), keyPathField()}
}

func (m *Model) signedByFields(st *ruleState) []*field {
	orig := st.orig
	if orig != nil && orig.Type != model.SignedBy {
		orig = nil
	}
	signed := isType(model.SignedBy)
	keyc := m.keyChoice(orig, true)
	keyc.show = signed
	keyc.check = st.check("key", nil)
	choice := func(v string) func(f *form) bool {
		return func(f *form) bool { return signed(f) && f.val("key") == v }
	}

	keyPath := keyPathField()
	keyPath.show = choice(keyOther)
	keyPath.check = st.check("keyPath", nil)

	// keyPaths: a box per known key file, and typed paths for the rest.
	known := m.gpgKeyOptions()
	var marked []string
	if orig != nil {
		marked = orig.KeyPaths
		for _, p := range orig.KeyPaths {
			if p != "" && !slices.ContainsFunc(known, func(o gpgKeyOption) bool { return o.path == p }) {
				known = append(known, gpgKeyOption{p, p})
			}
		}
	}
	var boxes []*field
	st.keyPathBoxes = nil
	for i, o := range known {
		label := ""
		if i == 0 {
			label = "Accepted keys"
		}
		b := checkField("kp:"+strconv.Itoa(i), label, o.label, slices.Contains(marked, o.path))
		b.show = choice(keyMany)
		if i == 0 {
			b.explain = func(*form) string {
				return "space marks a key file; a signature by any one marked key is accepted (keyPaths)"
			}
		}
		boxes = append(boxes, b)
		st.keyPathBoxes = append(st.keyPathBoxes, o.path)
	}
	more := textField("keyPathsMore", "More key files", "", "/etc/gpg/a.gpg, /etc/gpg/b.gpg")
	more.show = choice(keyMany)
	more.explain = func(*form) string { return "other key file paths, separated by commas" }
	more.check = st.check("keyPathsMore", nil)

	// keyData: a key file whose content is embedded.
	var dopts, dlabels []string
	st.embeds["keyDataFrom"] = &embed{kind: GPGKeyring}
	if orig != nil && orig.KeyData != nil {
		st.embeds["keyDataFrom"].keep = orig.KeyData
		dopts = append(dopts, keyKeep)
		dlabels = append(dlabels, fmt.Sprintf("keep the embedded keys (%d bytes)", len(orig.KeyData)))
	}
	for _, o := range m.gpgKeyOptions() {
		dopts = append(dopts, o.path)
		dlabels = append(dlabels, o.label)
	}
	dopts = append(dopts, keyOther)
	dlabels = append(dlabels, "a key file path (type it below)")
	from := choiceField("keyDataFrom", "Embed key file", dopts, dlabels)
	from.show = choice(keyEmbed)
	from.explain = func(*form) string { return st.embeds["keyDataFrom"].explain(m.th.G.Ellipsis) }
	from.check = st.check("keyDataFrom", func(f *form) string { return st.embedProblem(f, "keyDataFrom") })
	dpath := textField("keyDataPath", "Key file", "", "/root/release.asc")
	dpath.show = func(f *form) bool { return choice(keyEmbed)(f) && f.val("keyDataFrom") == keyOther }

	// JSON key -> the fields that show its problems, first visible wins.
	st.own("keyPath", "keyPath")
	st.own("keyPathsMore", "keyPaths")
	st.own("keyDataFrom", "keyData")
	st.own("key", "keyPath", "keyPaths", "keyData", "keyType")

	if orig != nil {
		switch srcs := keySourcesOf(orig); {
		case len(srcs) > 1:
			keyc.setChoice(keyKeep)
		case orig.KeyPath != "":
			keyc.setChoice(orig.KeyPath)
			if keyc.value() != orig.KeyPath {
				keyc.setChoice(keyOther)
				keyPath.in.SetValue(orig.KeyPath)
			}
		case orig.KeyPaths != nil:
			keyc.setChoice(keyMany)
		case orig.KeyData != nil:
			keyc.setChoice(keyEmbed)
			from.setChoice(keyKeep)
		}
	}
	out := []*field{keyc, keyPath}
	out = append(out, boxes...)
	return append(out, more, from, dpath)
}

// embedProblem is the local check of embed field key.
func (st *ruleState) embedProblem(f *form, key string) string {
	if e := st.embeds[key]; e != nil {
		return e.problem()
	}
	return ""
}

// markedKeyPaths are the keyPaths the form names: the marked boxes, then
// the typed paths, each once.
func (st *ruleState) markedKeyPaths(f *form) []string {
	out := []string{}
	for i, p := range st.keyPathBoxes {
		if fd := f.get("kp:" + strconv.Itoa(i)); fd != nil && f.visible(fd) && fd.on && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, p := range splitPaths(f.val("keyPathsMore")) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// signedByKeys writes the key the form names into r.
func (st *ruleState) signedByKeys(f *form, r *model.Requirement) {
	k := f.val("key")
	if k == keyKeep {
		return
	}
	r.KeyPath, r.KeyPaths, r.KeyData, r.KeyDatas = "", nil, nil, nil
	switch k {
	case keyOther:
		r.KeyPath = f.val("keyPath")
	case keyMany:
		r.KeyPaths = st.markedKeyPaths(f)
	case keyEmbed:
		r.KeyData = st.embedded("keyDataFrom")
	default:
		r.KeyPath = k
	}
}
