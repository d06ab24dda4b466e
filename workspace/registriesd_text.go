package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/safefile"
)

// registries.d text edits: an editor's buffer for one file of
// registries.d, staged like a policy edit (Undo reverts it, Problems
// checks it with the merge rules of the whole directory, the save review
// shows its diff, Save writes it through safefile). This is the small seam
// a multi-file change set can take over: rdStaged is the staged text of
// each file, rdHistory the undo steps.

type rdBase struct {
	data   []byte
	exists bool
}

type rdEdit struct {
	seq     int
	summary string
	path    string
	before  []byte // the staged text before, nil: not staged
	had     bool
}

// RegistriesFiles lists the host paths of the files of registries.d the
// runtime reads (*.yaml), staged new ones included, sorted.
func (w *Workspace) RegistriesFiles() ([]string, error) {
	entries, err := w.Paths.FS().ReadDir(w.Paths.RegistriesD)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") && !e.IsDir() {
			out = append(out, filepath.Join(w.Paths.RegistriesD, e.Name()))
		}
	}
	for p := range w.rdStaged {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// checkRegistriesPath refuses a path that is not a plain *.yaml file of
// registries.d: the editor never writes anywhere else.
func (w *Workspace) checkRegistriesPath(path string) error {
	if filepath.Dir(path) != filepath.Clean(w.Paths.RegistriesD) || !strings.HasSuffix(path, ".yaml") || filepath.Base(path) == ".yaml" {
		return fmt.Errorf("%s is not a file of %s (a plain name ending in .yaml)", path, w.Paths.RegistriesD)
	}
	return nil
}

// RegistriesText is the text an editor of a registries.d file starts
// from: the staged text, else the file as on disk (empty for a new file).
func (w *Workspace) RegistriesText(path string) ([]byte, error) {
	if err := w.checkRegistriesPath(path); err != nil {
		return nil, err
	}
	if t, ok := w.rdStaged[path]; ok {
		return t, nil
	}
	b, err := w.Paths.FS().ReadFile(path, nodefs.RegistriesDFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// LintRegistriesText checks text as the content of path, with the rest of
// registries.d as staged (two files defining one section is an error of
// both), and returns the diagnostics of that file. It reads the other
// files.
func (w *Workspace) LintRegistriesText(path string, text []byte) model.Diagnostics {
	return w.RegistriesLinter(path)(text)
}

// RegistriesLinter is LintRegistriesText with the workspace's state taken
// now: the function it returns reads only that copy and the disk, so an
// editor may run it off its event loop.
func (w *Workspace) RegistriesLinter(path string) func(text []byte) model.Diagnostics {
	overlay, pol, paths, rt := w.rdOverlay(), w.staged, w.Paths, w.registriesRuntime()
	return func(text []byte) model.Diagnostics {
		ov := make(map[string][]byte, len(overlay)+1)
		for p, t := range overlay {
			ov[p] = t
		}
		ov[path] = text
		rd, diags := policyio.LoadRegistriesDOverlay(paths.FS(), paths.RegistriesD, rt, ov)
		diags = append(diags, policyio.CheckLookasides(rd, pol, paths)...)
		var out model.Diagnostics
		for _, d := range diags {
			if d.Pos.File == path || (d.Related != nil && d.Related.File == path) {
				out = append(out, d)
			}
		}
		return out.Sorted()
	}
}

// StageRegistriesText stages text for one file of registries.d as an edit
// that Undo reverts. Text with errors is staged (the editor shows them);
// the save refuses it.
func (w *Workspace) StageRegistriesText(path string, text []byte) error {
	if err := w.checkRegistriesPath(path); err != nil {
		return err
	}
	before, had := w.rdStaged[path]
	if w.rdStaged == nil {
		w.rdStaged, w.rdBase = map[string][]byte{}, map[string]rdBase{}
	}
	if _, ok := w.rdBase[path]; !ok {
		// What the admin started from: the save refuses to write over a
		// file that changed on disk since.
		b, err := w.Paths.FS().ReadFile(path, nodefs.RegistriesDFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			w.rdBase[path] = rdBase{}
		case err != nil:
			return err
		default:
			w.rdBase[path] = rdBase{data: b, exists: true}
		}
	}
	w.rdStaged[path] = append([]byte(nil), text...)
	w.seq++
	w.rdHistory = append(w.rdHistory, rdEdit{seq: w.seq, summary: filepath.Base(path) + " edited as text", path: path, before: before, had: had})
	return nil
}

func (w *Workspace) undoRegistries() (string, bool) {
	n := len(w.rdHistory)
	if n == 0 {
		return "", false
	}
	last := w.rdHistory[n-1]
	w.rdHistory = w.rdHistory[:n-1]
	if last.had {
		w.rdStaged[last.path] = last.before
	} else {
		delete(w.rdStaged, last.path)
	}
	return last.summary, true
}

func (w *Workspace) rdOverlay() map[string][]byte {
	out := make(map[string][]byte, len(w.rdStaged)+1)
	for p, t := range w.rdStaged {
		out[p] = t
	}
	return out
}

func (w *Workspace) registriesRuntime() policyio.RegistriesRuntime {
	rt := w.Runtime
	if rt.Basis == "" {
		rt.Basis = "the runtime's containers/image version is not known: assuming one before v5.41"
	}
	return rt
}

// RegistriesChanges returns what a save would do to registries.d: one
// change per staged file whose text differs from the disk.
func (w *Workspace) RegistriesChanges() ([]*FileChange, error) {
	var out []*FileChange
	paths := make([]string, 0, len(w.rdStaged))
	for p := range w.rdStaged {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		base := w.rdBase[p]
		if base.exists && string(base.data) == string(w.rdStaged[p]) {
			continue
		}
		old := base.data
		out = append(out, &FileChange{Path: p, Old: old, New: w.rdStaged[p],
			Diff: unifiedDiff(p, p+" (new)", string(old), string(w.rdStaged[p]))})
	}
	return out, nil
}

// saveRegistries writes the staged registries.d files: refused, with
// nothing written, while registries.d with them has an error (the runtime
// would fail every pull on it).
func (w *Workspace) saveRegistries(summary string) error {
	changes, err := w.RegistriesChanges()
	if err != nil || len(changes) == 0 {
		return err
	}
	if err := w.checkRegistries(); err != nil {
		return err
	}
	var fcs []policyio.FileChange
	for _, c := range changes {
		sha := safefile.ExpectAbsent
		if w.rdBase[c.Path].exists {
			sha = safefile.SHA256(c.Old)
		}
		fcs = append(fcs, policyio.FileChange{Path: c.Path, Old: c.Old, New: c.New, OldSHA256: sha, FS: w.Paths.FS()})
	}
	if summary == "" {
		summary = "registries.d edited as text"
	}
	if err := policyio.ApplyChanges(fcs, w.AuditLog, summary); err != nil {
		return err
	}
	w.rdStaged, w.rdHistory, w.rdBase = nil, nil, nil
	return nil
}

// checkRegistries refuses registries.d as staged when it has an error.
func (w *Workspace) checkRegistries() error {
	_, diags := policyio.LoadRegistriesDOverlay(w.Paths.FS(), w.Paths.RegistriesD, w.registriesRuntime(), w.rdStaged)
	var errs model.Diagnostics
	for _, d := range diags {
		if d.Severity == model.Error {
			errs = append(errs, d)
		}
	}
	if len(errs) > 0 {
		msgs := make([]string, 0, len(errs))
		for _, d := range errs.Sorted() {
			msgs = append(msgs, d.Pos.String()+": "+d.Message)
		}
		return fmt.Errorf("refusing to write registries.d with %d error(s), the runtime would fail every pull; nothing was changed: %s", len(errs), strings.Join(msgs, "; "))
	}
	return nil
}
