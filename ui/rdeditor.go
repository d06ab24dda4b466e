package ui

import (
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/workspace"
)

// openRegistriesEditor opens one registries.d file in the raw editor, the
// cursor at at. The file is read by a command (no I/O in Update); the
// editor shows "loading" until it arrives. Its save stages the text in the
// workspace and opens the same review as every edit.
func (m *Model) openRegistriesEditor(file string, at model.Pos) tea.Cmd {
	raw, ok := m.deps.Policy.(RawRegistriesBackend)
	if !ok {
		m.setStatus(true, "this session has no text editor for registries.d")
		return nil
	}
	e := newRawEditor(m.deps.Paths.Node(file), file)
	e.yaml, e.loading = true, true
	lint := raw.RegistriesLinter(file)
	e.lintText = func(text string) model.Diagnostics { return lint([]byte(text)) }
	e.stage = func(m *Model, text []byte) error {
		return m.deps.Policy.(RawRegistriesBackend).StageRegistriesText(file, text)
	}
	m.modal = e
	return tea.Batch(e.ta.Focus(), func() tea.Msg {
		text, err := raw.RegistriesText(file)
		return editorTextMsg{file: file, text: text, err: err, at: at}
	})
}

// registriesFileOf is the file of a look-aside entry (its File is a
// position, path:line:col).
func registriesFileOf(pos string) string {
	for range 2 {
		i := strings.LastIndexByte(pos, ':')
		if i <= 0 || i == len(pos)-1 || strings.Trim(pos[i+1:], "0123456789") != "" {
			break
		}
		pos = pos[:i]
	}
	return pos
}

// isRegistriesFile reports whether a diagnostic's file is one of
// registries.d.
func (m *Model) isRegistriesFile(file string) bool {
	return strings.HasSuffix(file, ".yaml") && filepath.Dir(file) == filepath.Clean(m.deps.Paths.RegistriesD)
}

// refreshRegistries recomputes the staged registries.d changes (memory
// only: the workspace compares with the text it read when staging).
func (m *Model) refreshRegistries() {
	m.rdChanges = nil
	if raw, ok := m.deps.Policy.(RawRegistriesBackend); ok {
		m.rdChanges, _ = raw.RegistriesChanges()
	}
}

// pendingChanges is every file a save would write, policy.json first.
func (m *Model) pendingChanges() []*workspace.FileChange {
	var out []*workspace.FileChange
	if m.change != nil {
		out = append(out, m.change)
	}
	return append(out, m.rdChanges...)
}

// saveBlockers counts the errors that make the runtime refuse a file the
// save writes (the text of policy.json or of a registries.d file). A key
// file that is missing or unusable is not one: the runtime loads the
// policy and rejects the images that rule covers, and the file may be
// imported after. Nor is an error of a file the save leaves alone.
func (m *Model) saveBlockers() int {
	var files []string
	for _, c := range m.pendingChanges() {
		files = append(files, c.Path)
	}
	return m.saveBlockersIn(files)
}

// saveBlockersIn is saveBlockers for the files of a change set's review.
func (m *Model) saveBlockersIn(files []string) int {
	n := 0
	for _, d := range m.problems {
		if d.Severity != model.Error || strings.HasPrefix(d.Code, "key-") || strings.HasPrefix(d.Code, "sigstore-key") {
			continue
		}
		for _, f := range files {
			// Staged policy text is labelled "policy.json (staged)".
			if d.Pos.File == f || strings.HasPrefix(d.Pos.File, f+" (") || d.Related != nil && d.Related.File == f {
				n++
				break
			}
		}
	}
	return n
}

// rawEditKey is E in the Look-aside view: the selected entry's file as
// text.
func rawEditKey(m *Model) key.Binding {
	b := m.km.RawEdit
	b.SetHelp("E", "edit file as text")
	return b
}

// lookasideFile is the file E opens: the selected entry's, or, with no
// entry, default.yaml (new).
func (m *Model) lookasideFile(v *lookasideView) string {
	if v.cursor < len(v.items) {
		if f := registriesFileOf(v.items[v.cursor].File); f != "" {
			return f
		}
	}
	return filepath.Join(m.deps.Paths.RegistriesD, "default.yaml")
}
