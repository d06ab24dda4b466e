// Package workspace holds a node's trust configuration as an editor sees
// it: the files as loaded, the edits staged in memory with undo, the
// problems of the staged state, the diff of what a save would change, and
// the save itself through the safe writers. The TUI and the CLI commands
// that edit share it, so that both follow the same rules.
package workspace

import (
	"fmt"

	"github.com/aymanbagabas/go-udiff"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// Workspace is one editing session over a node's files.
type Workspace struct {
	Paths policyio.Paths
	// AuditLog is where saves are recorded; empty disables the log.
	AuditLog string
	// Inspect looks inside key files for Problems; nil checks only that
	// they exist.
	Inspect policyio.KeyInspector
	// Runtime is how the node's runtime reads registries.d (its
	// containers/image version); the zero value assumes one before v5.41.
	Runtime policyio.RegistriesRuntime

	policyFile *policyio.PolicyFile
	staged     *model.Policy
	history    []edit
}

type edit struct {
	summary string
	before  *model.Policy
}

// Open loads the node's policy. A missing policy.json is not an error:
// the workspace starts from an empty policy that the admin fills in.
func Open(paths policyio.Paths) (*Workspace, error) {
	w := &Workspace{Paths: paths, AuditLog: paths.Host(DefaultAuditLog)}
	if err := w.Reload(); err != nil {
		return nil, err
	}
	return w, nil
}

// DefaultAuditLog is the node path of the audit log.
const DefaultAuditLog = "/var/log/imgtrust/audit.log"

// Reload reads the files again, dropping staged edits.
func (w *Workspace) Reload() error {
	pf, err := policyio.LoadPolicy(w.Paths.Policy)
	if err != nil {
		return err
	}
	w.policyFile = pf
	w.staged = pf.Policy.Clone()
	w.history = nil
	return nil
}

// PolicyFile is the policy as on disk.
func (w *Workspace) PolicyFile() *policyio.PolicyFile { return w.policyFile }

// Policy is the staged policy: the loaded one plus every edit. It is nil
// when the file on disk cannot be parsed at all (a syntax error) and no
// edit has started a new one.
func (w *Workspace) Policy() *model.Policy { return w.staged }

// Edit applies fn to the staged policy, keeping the previous state for
// Undo. fn receives a policy even when none could be loaded.
func (w *Workspace) Edit(summary string, fn func(p *model.Policy)) {
	before := w.staged.Clone()
	if w.staged == nil {
		w.staged = &model.Policy{}
	}
	fn(w.staged)
	w.history = append(w.history, edit{summary: summary, before: before})
}

// Undo reverts the last edit; it reports whether there was one.
func (w *Workspace) Undo() (string, bool) {
	if len(w.history) == 0 {
		return "", false
	}
	last := w.history[len(w.history)-1]
	w.history = w.history[:len(w.history)-1]
	w.staged = last.before
	return last.summary, true
}

// Edits lists the summaries of the staged edits, oldest first.
func (w *Workspace) Edits() []string {
	out := make([]string, len(w.history))
	for i, e := range w.history {
		out[i] = e.summary
	}
	return out
}

// Dirty reports whether saving would change policy.json.
func (w *Workspace) Dirty() bool {
	ch, err := w.PolicyChange()
	return err == nil && ch != nil
}

// Problems returns the diagnostics of the staged state: the policy as it
// would be written, the key files it references, registries.d (read from
// disk: its edits are written directly) and the node facts that change
// which policy CRI-O uses. Before any edit the positions are those of the
// file on disk.
func (w *Workspace) Problems() model.Diagnostics {
	var diags model.Diagnostics
	if len(w.history) == 0 || w.staged == nil {
		diags = append(diags, w.policyFile.Diags...)
	} else {
		diags = append(diags, policyio.ValidatePolicy(w.staged, w.stagedLabel())...)
	}
	diags = append(diags, policyio.CheckKeyFiles(w.staged, w.Paths, w.Inspect)...)
	rd, rdDiags := policyio.LoadRegistriesDFor(w.Paths.RegistriesD, w.Runtime)
	diags = append(diags, rdDiags...)
	diags = append(diags, policyio.CheckLookasides(rd, w.staged, w.Paths)...)
	diags = append(diags, NodeDiagnostics(w.Paths)...)
	return diags.Sorted()
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
}

// PolicyChange returns the change a save would make to policy.json, or
// nil when there is none.
func (w *Workspace) PolicyChange() (*FileChange, error) {
	if w.staged == nil {
		return nil, nil
	}
	data, err := policyio.MarshalPolicy(w.staged)
	if err != nil {
		return nil, err
	}
	old := w.policyFile.Raw
	if w.policyFile.Exists && string(old) == string(data) {
		return nil, nil
	}
	if len(w.history) == 0 && w.policyFile.Exists {
		// Nothing was edited: a reformat alone is not a change to offer.
		return nil, nil
	}
	newPol, _ := policyio.ParsePolicy("staged", data)
	return &FileChange{
		Path:          w.Paths.Policy,
		Old:           old,
		New:           data,
		Diff:          udiff.Unified(w.Paths.Policy, w.Paths.Policy+" (new)", string(old), string(data)),
		Weakenings:    policyio.Weakenings(w.policyFile.Policy, newPol),
		DropsComments: w.policyFile.HasComments(),
	}, nil
}

// Save writes the staged policy through policyio.SavePolicy. allowWeaken
// must be set when the change widens trust (see FileChange.Weakenings).
func (w *Workspace) Save(summary string, allowWeaken bool) error {
	ch, err := w.PolicyChange()
	if err != nil {
		return err
	}
	if ch == nil {
		return nil
	}
	if summary == "" {
		summary = w.summary()
	}
	if _, err := policyio.SavePolicy(w.policyFile, w.staged, policyio.SaveOptions{
		AuditLog: w.AuditLog, Summary: summary, AllowWeaken: allowWeaken,
	}); err != nil {
		return err
	}
	w.staged = w.policyFile.Policy.Clone()
	w.history = nil
	return nil
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

// QuickFix applies a diagnostic's suggested replacement (see
// policyio.ApplyReplacement) to the text the diagnostic was found in — the
// file on disk before any edit, the staged policy after — and stages the
// result as an edit that Undo reverts.
func (w *Workspace) QuickFix(d model.Diagnostic) error {
	var src []byte
	switch {
	case len(w.history) == 0 && d.Pos.File == w.policyFile.Path && w.policyFile.Exists:
		src = w.policyFile.Raw
	case d.Pos.File == w.stagedLabel() && w.staged != nil:
		var err error
		if src, err = policyio.MarshalPolicy(w.staged); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s is not in the policy text imgtrust holds; reload and try again", d.Pos)
	}
	fixed, err := policyio.ApplyReplacement(src, d)
	if err != nil {
		return err
	}
	p, _ := policyio.ParsePolicy(d.Pos.File, fixed)
	if p == nil {
		return fmt.Errorf("the fix does not give a readable policy; nothing staged")
	}
	w.Edit("quick fix: "+d.Message, func(dst *model.Policy) { *dst = *p })
	return nil
}

func (w *Workspace) stagedLabel() string { return w.Paths.Policy + " (staged)" }
