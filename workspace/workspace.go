package workspace

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
)

// Workspace is one editing session over a node's files.
type Workspace struct {
	Paths node.Paths
	// AuditLog is where saves are recorded; empty disables the log.
	AuditLog string
	// Inspect looks inside key files for Problems; nil checks only that
	// they exist.
	Inspect policyio.KeyInspector
	// Runtime is how the node's runtime reads registries.d (its
	// containers/image version); the zero value assumes one before v5.41.
	Runtime policyio.RegistriesRuntime
	// Keys reads the key files policy.json names, for the widening check;
	// Open reads them under Paths.Root. CompareKeys compares OpenPGP keys.
	Keys        policyio.KeyFiles
	CompareKeys policyio.KeyComparer
	// Namespace is set when Paths.Policy is that Kubernetes namespace's
	// CRI-O policy (OpenNamespace): Problems then compares it with the
	// global policy instead of listing every namespace policy.
	Namespace string
	// globalPolicy is the global policy's path when Paths.Policy is a
	// namespace's.
	globalPolicy string
	// Mechanism is the node's OpenPGP mechanism, for the review of key
	// files; empty: detected under Paths.Root when first needed.
	Mechanism gpg.Mechanism

	policyFile *policyio.PolicyFile
	// files are the staged key files and registries.d files (changeset.go).
	files []stagedFile
	// failWrite, when set (tests), fails the write of a path: the only
	// way to make a later write of an apply fail as root.
	failWrite func(hostPath string) error
	staged    *model.Policy
	history   []edit
	// rendered is the staged policy as a save would write it and as that
	// text parses; Problems and PolicyChange share it until the next
	// change (rendering and parsing are most of an edit's cost).
	rendered *rendering
	// base is the text of an earlier staged state, the one the next
	// edit's text is patched from (renderAt).
	base *rendering
	// validation keeps what Problems may use again (validation_cache.go).
	validation validationCache
}

type rendering struct {
	// state is the staged policy the text is of; disk: the text is the
	// file as read (its diagnostics name the file, not the staged text).
	state *model.Policy
	disk  bool
	data  []byte
	err   error
	pol   *model.Policy
	diags model.Diagnostics
}

// render returns the staged policy's text and its parse, computed once per
// staged state.
func (w *Workspace) render() *rendering {
	if w.rendered == nil || w.rendered.state != w.staged {
		r := w.renderAt(len(w.history))
		if r.disk {
			// No edit changed the policy: its text as a save would write
			// it, parsed at its staged positions.
			r = w.renderFrom(r, w.staged)
		}
		w.rendered = r
	}
	return w.rendered
}

// renderAt is the text of the staged state after the first i edits of the
// history (0: the file as read) and its parse. A tree edit's text is the
// previous state's text with only what the edit changed rewritten
// (policyio.RenderEdit): a file laid out by hand or by another tool keeps
// its layout, and the review shows the edit, not a re-indented file. The
// text of the previous state is kept (base) for the next edit.
func (w *Workspace) renderAt(i int) *rendering {
	state := w.staged
	if i < len(w.history) {
		state = w.history[i].before
	}
	for _, r := range []*rendering{w.rendered, w.base} {
		if r != nil && r.state == state {
			return r
		}
	}
	for i > 0 && w.history[i-1].kind == editFiles && w.history[i-1].before == state {
		i-- // key files or registries.d only
	}
	if i == 0 {
		pf := w.policyFile
		r := &rendering{state: state, disk: true, pol: pf.Policy, diags: pf.Diags}
		if pf.Exists {
			r.data = pf.Raw
		}
		return r
	}
	if e := &w.history[i-1]; e.text != nil {
		// What a raw edit staged, as typed: the model may not hold all
		// of it (an invalid identity, bad base64, a duplicate key).
		r := &rendering{state: state, data: e.text}
		r.pol, r.diags = w.parseStaged(e.text)
		return r
	}
	base := w.renderAt(i - 1)
	w.base = base
	return w.renderFrom(base, state)
}

// renderFrom renders state as an edit of base's text (nil: no text).
func (w *Workspace) renderFrom(base *rendering, state *model.Policy) *rendering {
	var prev []byte
	var from *model.Policy
	if base != nil && base.err == nil {
		prev, from = base.data, base.pol
	}
	// The scopes an edit left alone are not indented again, when the
	// text is rendered (validation.renders).
	out, err := policyio.RenderEdit(prev, from, state, w.parseStaged, w.validation.renders.Marshal)
	return &rendering{state: state, data: out.Data, err: err, pol: out.Pol, diags: out.Diags}
}

type edit struct {
	summary string
	before  *model.Policy
	// files are the staged files before the edit, for Undo.
	files []stagedFile
	kind  editKind
	// redo stages the edit again over reloaded files (Refresh); read are
	// the disk sums of the files it staged when it was made.
	redo func(*Workspace) error
	read map[string]string
	// raw is set for an edit that staged text the admin wrote (StageRaw):
	// it is the only kind of edit that may replace a policy.json that
	// cannot be parsed.
	raw bool
	// text is what a raw edit staged (StageRaw, QuickFix): while it is the
	// last edit it is the staged policy's text, so that what the model
	// cannot hold (an invalid identity, bad base64, a duplicate key) is
	// neither lost nor hidden. textErrs: the text had errors.
	text     []byte
	textErrs bool
}

// Open loads the node's policy. A missing policy.json is not an error:
// the workspace starts from an empty policy that the admin fills in.
func Open(paths node.Paths) (*Workspace, error) {
	w := &Workspace{Paths: paths, AuditLog: paths.AuditLog(),
		Keys: policyio.DiskKeyFiles(paths), CompareKeys: gpg.CompareKeys}
	if err := w.Reload(); err != nil {
		return nil, err
	}
	return w, nil
}

// Reload reads the files again, dropping staged edits.
func (w *Workspace) Reload() error {
	pf, err := policyio.LoadPolicyFrom(w.Paths.FS(), w.Paths.Policy)
	if err != nil {
		return err
	}
	w.policyFile = pf
	// Shared until the first edit, which works on a copy: opening (and
	// lint, which never edits) need not hold the policy twice.
	w.staged = pf.Policy
	w.history = nil
	w.files = nil
	w.rendered, w.base = nil, nil
	return nil
}

// PolicyFile is the policy as on disk.
func (w *Workspace) PolicyFile() *policyio.PolicyFile { return w.policyFile }

// Policy is the staged policy: the loaded one plus every edit. It is nil
// when the file on disk cannot be parsed at all (a syntax error) and no
// edit has started a new one. It is read-only: change it through Edit
// (before the first edit it is the loaded policy itself).
func (w *Workspace) Policy() *model.Policy { return w.staged }

// Edit applies fn to the staged policy, keeping the previous state for
// Undo. fn receives a policy even when none could be loaded.
func (w *Workspace) Edit(summary string, fn func(p *model.Policy)) {
	// fn works on a copy and the previous state is kept as it was: no
	// state in the history, nor the loaded policy, is ever changed.
	before := w.staged
	next := w.staged.Clone()
	if next == nil {
		next = &model.Policy{}
	}
	fn(next)
	// The rendering of before stays: the next one is patched from it.
	w.staged = next
	w.history = append(w.history, edit{summary: summary, before: before, files: w.files, kind: editPolicy,
		redo: func(w *Workspace) error { w.Edit(summary, fn); return nil }})
}

// Undo reverts the last edit; it reports whether there was one.
func (w *Workspace) Undo() (string, bool) {
	if len(w.history) == 0 {
		return "", false
	}
	last := w.history[len(w.history)-1]
	w.history = w.history[:len(w.history)-1]
	w.staged = last.before
	w.files = last.files
	return last.summary, true
}

// Edits lists the summaries of the staged edits (policy.json's, key
// files' and registries.d's, in one history), oldest first.
func (w *Workspace) Edits() []string {
	out := make([]string, len(w.history))
	for i, e := range w.history {
		out[i] = e.summary
	}
	return out
}

// Dirty reports whether saving would write anything: policy.json, a
// staged key file or registries.d file.
func (w *Workspace) Dirty() bool {
	if len(w.files) > 0 {
		return true
	}
	ch, err := w.PolicyChange()
	return err == nil && ch != nil
}

// Problems returns the diagnostics of the staged state: the policy as it
// would be written, the key files it references, registries.d (read from
// disk with the staged edits) and the node facts that change
// which policy CRI-O uses. Before any edit the positions are those of the
// file on disk.
func (w *Workspace) Problems() model.Diagnostics {
	// The parts are joined once, at their total size: on a large policy
	// one of them has a diagnostic per scope, and growing one list by
	// appends copied it several times per staged edit (issue 15).
	var parts []model.Diagnostics
	add := func(ds model.Diagnostics) { parts = append(parts, ds) }
	if !w.policyEdited() || w.staged == nil {
		add(w.policyFile.Diags)
	} else {
		r := w.render()
		if r.err != nil {
			add(model.Diagnostics{{Severity: model.Error, Code: "internal", Message: r.err.Error()}})
		}
		add(r.diags)
	}
	if w.Runtime.Library.Version != "" {
		// The text a save would write, checked against the node's
		// containers/image release (runtimever).
		label, text := w.stagedText()
		add(policyio.CheckPolicyFeatures(label, text, w.Runtime.Library))
	}
	var keys policyio.KeyFiles
	if len(w.files) > 0 {
		keys = w.StagedKeys()
	}
	add(policyio.CheckKeyFilesWith(w.staged, w.Paths, w.Inspect, keys))
	add(w.rawPrivate())
	// registries.d as the change set would leave it.
	rd, rdDiags := w.StagedRegistries()
	add(rdDiags)
	add(w.validation.lookasides.Check(rd, w.staged, w.Paths))
	add(RegistriesConfDiagnostics(w.Paths, rd, w.runtime()))
	if w.Runtime.Library.Version != "" {
		add(policyio.CheckRegistriesDirs(w.Paths, w.Runtime.Library))
	}
	var nodeDiags model.Diagnostics
	for _, d := range node.NodeDiagnostics(w.Paths) {
		// signature_policy replaces the global policy, not a namespace's.
		if w.Namespace == "" || d.Code != "crio-signature-policy" {
			nodeDiags = append(nodeDiags, d)
		}
	}
	add(nodeDiags)
	add(w.NamespaceProblems())
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	diags := make(model.Diagnostics, 0, n)
	for _, p := range parts {
		diags = append(diags, p...)
	}
	return diags.Sorted()
}

// ProblemsLater returns a function that computes Problems of the staged
// state as it is now. The function may run on another goroutine while w
// goes on being used and edited: it works on a copy of w's fields (the
// staged policy and the staged files are never changed in place, each
// edit makes new ones) with caches of its own, so that the TUI can draw
// its first frame of a large policy before its problems are known (issue
// 15). w.Inspect must then be safe for concurrent use
// (gpg.KeyDiagnoser is).
func (w *Workspace) ProblemsLater() func() model.Diagnostics {
	snap := *w
	snap.validation = validationCache{}
	snap.files = w.files[:len(w.files):len(w.files)]
	snap.history = w.history[:len(w.history):len(w.history)]
	return snap.Problems
}

// FileChange is what a save would do to one file.
type FileChange struct {
	Path string
	Old  []byte
	New  []byte
	// Diff is a unified diff of Old and New.
	Diff string
	// Weakenings lists how the change widens trust; a save needs explicit
	// consent for each.
	Weakenings []policyio.Weakening
	// DropsComments is set when the file on disk has comments that the
	// rewrite loses.
	DropsComments bool
	// Kind says which file it is; Remove that the file is deleted;
	// OldSHA256 is the sum of Old (safefile.ExpectAbsent when absent),
	// checked again at write.
	Kind      FileKind
	Remove    bool
	OldSHA256 string
}

// PolicyChange returns the change a save would make to policy.json, or
// nil when there is none.
func (w *Workspace) PolicyChange() (*FileChange, error) {
	if w.staged == nil {
		return nil, nil
	}
	if err := w.treeBlocked(); err != nil {
		return nil, err
	}
	if !w.policyEdited() && w.policyFile.Exists {
		// Nothing was edited: a reformat alone is not a change to offer
		// (and opening a large policy need not render it).
		return nil, nil
	}
	r := w.render()
	if r.err != nil {
		return nil, r.err
	}
	// What a save writes: the staged text, which keeps the file's
	// layout (a raw edit's as typed; text with errors is shown as typed
	// and the save refuses it).
	data := r.data
	old := w.policyFile.Raw
	if w.policyFile.Exists && string(old) == string(data) {
		return nil, nil
	}
	newPol := r.pol
	if r.diags.HasErrors() {
		// The save refuses this policy anyway; a policy the runtime
		// cannot load accepts nothing, so it widens nothing.
		newPol = nil
	}
	return &FileChange{
		Kind: KindPolicy, OldSHA256: w.policyFile.SHA256,
		Path:          w.Paths.Policy,
		Old:           old,
		New:           data,
		Diff:          unifiedDiff(w.Paths.Policy, w.Paths.Policy+" (new)", string(old), string(data)),
		Weakenings:    w.Widenings(newPol, nil),
		DropsComments: w.policyFile.HasComments(),
	}, nil
}

// StagedErrors returns the errors the staged policy would be refused
// for at save (none before any edit).
func (w *Workspace) StagedErrors() model.Diagnostics {
	if !w.policyEdited() || w.staged == nil {
		return nil
	}
	r := w.render()
	if r.err != nil {
		return model.Diagnostics{{Severity: model.Error, Code: "internal", Message: r.err.Error()}}
	}
	var errs model.Diagnostics
	for _, d := range r.diags {
		if d.Severity == model.Error {
			errs = append(errs, d)
		}
	}
	return append(errs, w.runtimeRefusals()...)
}

// stagedText is the policy's text as a save would write it (the file on
// disk before any edit), with the label its positions use.
func (w *Workspace) stagedText() (string, []byte) {
	if w.policyEdited() && w.staged != nil {
		return w.stagedLabel(), w.render().data
	}
	return w.policyFile.Path, w.policyFile.Raw
}

// runtimeRefusals are the keys of the staged policy that the node's
// containers/image release does not know (an error only when the release
// was read, not assumed): the node would refuse the file, so a save must
// not write it.
func (w *Workspace) runtimeRefusals() model.Diagnostics {
	if w.Runtime.Library.Version == "" || !w.policyEdited() || w.staged == nil {
		return nil
	}
	r := w.render()
	var errs model.Diagnostics
	for _, d := range policyio.CheckPolicyFeatures(w.stagedLabel(), r.data, w.Runtime.Library) {
		if d.Severity == model.Error {
			errs = append(errs, d)
		}
	}
	return errs
}

// Save applies the change set (Apply): the staged policy and every staged
// key file and registries.d edit. allowWeaken must be set when the change
// widens trust (see Review.Widenings).
func (w *Workspace) Save(summary string, allowWeaken bool) error {
	_, err := w.Apply(ApplyOptions{Summary: summary, AllowWeaken: allowWeaken})
	return err
}

// Widenings compares the policy on disk, with the key files as they are,
// and cur with key files that are the same except for replaced (node
// path -> new content, for a key import about to be written).
func (w *Workspace) Widenings(cur *model.Policy, replaced map[string][]byte) []policyio.Weakening {
	return w.WideningsFrom(w.BaselinePolicy(), cur, replaced)
}

// WideningsFrom is Widenings from base (nil: a policy the runtime cannot
// load) instead of the policy on disk: a caller that has consent for one
// change compares with the policy that change alone gives.
func (w *Workspace) WideningsFrom(base, cur *model.Policy, replaced map[string][]byte) []policyio.Weakening {
	curKeys := w.Keys
	if len(replaced) > 0 && w.Keys != nil {
		curKeys = func(nodePath string) ([]byte, error) {
			if data, ok := replaced[filepath.Clean(nodePath)]; ok {
				return data, nil
			}
			return w.Keys(nodePath)
		}
	}
	return policyio.Widenings(policyio.TrustState{Policy: base, Keys: w.Keys},
		policyio.TrustState{Policy: cur, Keys: curKeys}, w.CompareKeys)
}

func (w *Workspace) summary() string {
	switch n := len(w.history); n {
	case 0:
		return "policy.json rewritten"
	case 1:
		return w.history[0].summary
	default:
		return fmt.Sprintf("%s (+%d more edits)", w.history[n-1].summary, n-1)
	}
}

// QuickFix applies a diagnostic's first quick fix; see ApplyFix.
func (w *Workspace) QuickFix(d model.Diagnostic) error { return w.ApplyFix(d, 0) }

// ApplyFix applies a diagnostic's quick fix number i (d.Fixes, or its
// Replacement; see policyio.ApplyDiagnosticFix) to the text the diagnostic
// was found in — the file on disk before any edit, the staged policy
// after — and stages the result as an edit that Undo reverts.
func (w *Workspace) ApplyFix(d model.Diagnostic, i int) error {
	var src []byte
	switch {
	case !w.policyEdited() && d.Pos.File == w.policyFile.Path && w.policyFile.Exists:
		src = w.policyFile.Raw
	case w.policyEdited() && d.Pos.File == w.stagedLabel() && w.staged != nil:
		r := w.render()
		if r.err != nil {
			return r.err
		}
		src = r.data
	default:
		return fmt.Errorf("%s is not in the policy text imgtrust holds; reload and try again", d.Pos)
	}
	fixed, err := policyio.ApplyDiagnosticFix(src, d, i)
	if err != nil {
		return err
	}
	summary := "quick fix: " + d.Message
	if i < len(d.Fixes) {
		summary = "quick fix: " + d.Fixes[i].Title
	}
	// The fix was made to the text, like an editor's, and the text stays
	// staged: re-rendering the model would drop whatever else in it the
	// model cannot hold.
	if err := w.stageText(summary, fixed); err != nil {
		return fmt.Errorf("the fix does not give a readable policy; nothing staged")
	}
	return nil
}

func (w *Workspace) stagedLabel() string { return w.Paths.Policy + " (staged)" }

// ErrUnparsable is returned when a save would write a policy built from
// the tree over a policy.json that cannot be parsed: the tree is empty
// then, and its save would delete every scope the file holds.
var ErrUnparsable = errors.New("policy.json cannot be parsed: the policy tree is empty, and saving it would delete every scope in the file; repair the text in the raw editor (E) instead")

// Unparsable reports whether policy.json exists but is not even JSON (a
// syntax error, an empty file, a BOM-only file): no policy tree could be
// read from it and no raw edit has replaced it yet. Tree edits must not
// start then (see ErrUnparsable).
func (w *Workspace) Unparsable() bool {
	return w.policyFile.Exists && w.policyFile.Policy == nil && !w.hasRawEdit()
}

func (w *Workspace) hasRawEdit() bool {
	for _, e := range w.history {
		if e.raw {
			return true
		}
	}
	return false
}

// treeBlocked refuses a change built on the empty tree of an unparsable
// file: only text staged with StageRaw may replace it.
func (w *Workspace) treeBlocked() error {
	if w.policyFile.Exists && w.policyFile.Policy == nil && !w.hasRawEdit() {
		return ErrUnparsable
	}
	lossy := false // a text with errors is staged under the tree's edits
	for i, e := range w.history {
		after := w.staged
		if i+1 < len(w.history) {
			after = w.history[i+1].before
		}
		if e.kind == editFiles && e.before == after {
			continue // key files or registries.d only
		}
		switch {
		case e.raw:
			lossy = e.textErrs
		case lossy:
			return ErrTextHasErrors
		}
	}
	return nil
}

// ErrTextHasErrors is returned when a tree edit follows staged text that
// had errors: the tree holds only what it could read of that text, and a
// save of it would silently drop the rest.
var ErrTextHasErrors = errors.New("the staged policy text has errors the tree cannot hold: undo the tree edit (u) and fix the text in the editor (E) first")

// lastPolicyEdit is the last edit that changed the staged policy.
func (w *Workspace) lastPolicyEdit() *edit {
	next := w.staged
	for i := len(w.history) - 1; i >= 0; i-- {
		e := &w.history[i]
		if e.kind != editFiles || e.before != next {
			return e
		}
	}
	return nil
}

// policyEdited reports whether an edit changed the staged policy (key
// files and registries.d edits alone leave policy.json as it is).
func (w *Workspace) policyEdited() bool { return w.lastPolicyEdit() != nil }

// TextOnly reports whether the staged policy can only be edited as text:
// the file cannot be parsed, or the staged text has errors the tree
// cannot hold.
func (w *Workspace) TextOnly() bool {
	if w.Unparsable() {
		return true
	}
	e := w.lastPolicyEdit()
	return e != nil && e.textErrs
}

// PolicyText is the text an editor of policy.json starts from: the file
// as on disk before any edit (with its comments and even when it cannot
// be parsed), the staged policy as a save would write it after.
func (w *Workspace) PolicyText() ([]byte, error) {
	if !w.policyEdited() || w.staged == nil {
		return w.policyFile.Raw, nil
	}
	return w.render().data, nil
}

// StageRaw stages text the admin wrote for policy.json as an edit that
// Undo reverts: the staged policy becomes the one the text gives. Text
// that is not even JSON is refused (there is no policy to stage); text
// with other errors is staged, and the save refuses it like any policy
// the runtime would reject (SavePolicy re-parses what it writes).
func (w *Workspace) StageRaw(summary string, text []byte) error {
	if summary == "" {
		summary = "policy.json edited as text"
	}
	return w.stageText(summary, text)
}

func (w *Workspace) stageText(summary string, text []byte) error {
	p, diags := policyio.ParsePolicy(w.Paths.Policy+" (editor)", text)
	if p == nil {
		for _, d := range diags {
			if d.Severity == model.Error {
				return fmt.Errorf("the text cannot be staged: %s: %s", d.Pos, d.Message)
			}
		}
		return fmt.Errorf("the text cannot be staged: it is not a policy")
	}
	w.Edit(summary, func(dst *model.Policy) { *dst = *p })
	e := &w.history[len(w.history)-1]
	e.raw, e.text, e.textErrs = true, append([]byte(nil), text...), diags.HasErrors()
	e.kind, e.redo = editText, func(w *Workspace) error { return w.stageText(summary, text) }
	return nil
}
