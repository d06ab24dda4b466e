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
)

// registries.d text edits: an editor's buffer for one file of
// registries.d, staged in the change set like a look-aside edit (one undo
// history, Problems checks it with the merge rules of the whole
// directory, the one save review shows its diff, Apply writes it with the
// other files).

// RegistriesFiles lists the host paths of the files of registries.d the
// runtime reads (*.yaml), staged new ones included and staged removals
// left out, sorted.
func (w *Workspace) RegistriesFiles() ([]string, error) {
	entries, err := w.Paths.FS().ReadDir(w.Paths.RegistriesD)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	staged := w.StagedFiles()
	var out []string
	for _, e := range entries {
		p := filepath.Join(w.Paths.RegistriesD, e.Name())
		if strings.HasSuffix(e.Name(), ".yaml") && !e.IsDir() && !staged[p].Remove {
			out = append(out, p)
		}
	}
	for p, f := range staged {
		if f.Kind == KindRegistries && !f.Remove && !slices.Contains(out, p) {
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
	if i := w.fileIndex(path); i >= 0 {
		return w.files[i].data, nil
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
	overlay, pol, paths, rt := w.registriesOverlay(), w.staged, w.Paths, w.runtime()
	return func(text []byte) model.Diagnostics {
		ov := make(map[string][]byte, len(overlay)+1)
		for p, t := range overlay {
			ov[p] = t
		}
		ov[path] = nonNil(text)
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
// of the change set that Undo reverts. Text with errors is staged (the
// editor shows them); the review reports them and Apply refuses them.
func (w *Workspace) StageRegistriesText(path string, text []byte) error {
	if err := w.checkRegistriesPath(path); err != nil {
		return err
	}
	text = append(nonNil(nil), text...) // empty text is an empty file, not a removal
	summary := filepath.Base(path) + " edited as text"
	redo := func(w *Workspace) error { return w.StageRegistriesText(path, text) }
	return w.changeFiles(summary, redo, func() error {
		disk, sum, err := w.readDisk(path, nodefs.RegistriesDFile)
		if err != nil {
			return err
		}
		w.stageFile(stagedFile{kind: KindRegistries, path: path, disk: disk, diskSHA: sum, data: text})
		return nil
	})
}

// RegistriesChanges returns what a save would do to registries.d: one
// change per staged file, in path order.
func (w *Workspace) RegistriesChanges() ([]*FileChange, error) {
	var out []*FileChange
	for _, f := range w.files {
		if f.kind != KindRegistries {
			continue
		}
		newLabel := f.path + " (new)"
		if f.remove() {
			newLabel = "/dev/null"
		}
		out = append(out, &FileChange{Path: f.path, Old: f.disk, New: f.data, Kind: KindRegistries, Remove: f.remove(), OldSHA256: f.diskSHA,
			Diff: unifiedDiff(f.path, newLabel, string(f.disk), string(f.data))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// registriesOverlay is the staged registries.d text (nil: removed).
func (w *Workspace) registriesOverlay() map[string][]byte {
	out := map[string][]byte{}
	for _, f := range w.files {
		if f.kind == KindRegistries {
			out[f.path] = f.data
		}
	}
	return out
}

// registriesErrors are the errors of registries.d as staged, when the
// change set writes a file of it: the runtime would fail every pull, so
// Apply refuses them.
func (w *Workspace) registriesErrors() model.Diagnostics {
	staged := false
	for _, f := range w.files {
		staged = staged || f.kind == KindRegistries
	}
	if !staged {
		return nil
	}
	_, diags := w.StagedRegistries()
	var errs model.Diagnostics
	for _, d := range diags {
		if d.Severity == model.Error {
			errs = append(errs, d)
		}
	}
	return errs.Sorted()
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
