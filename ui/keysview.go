package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/termsafe"
)

// keysView is the OpenPGP key inventory.
type keysView struct {
	items  []KeyRow
	err    error
	cursor int
	flt    filter
}

// passes reports whether key i is shown under the filter.
func (v *keysView) passes(i int) bool {
	k := v.items[i]
	return v.flt.match(k.Fingerprint, k.UserID, k.Path, k.Status, strings.Join(k.UsedBy, " "), k.Algorithm)
}

func (v *keysView) reload(m *Model) {
	if m.deps.Keys == nil {
		return
	}
	v.items, v.err = m.deps.Keys.List()
	v.cursor = max(0, min(v.cursor, len(v.items)-1))
}

func (v *keysView) bindings(m *Model) []key.Binding {
	if m.deps.Keys == nil {
		return nil
	}
	if v.flt.focused() {
		return v.flt.bindings()
	}
	del := m.km.Delete
	del.SetHelp("d", "remove")
	return append([]key.Binding{m.km.Up, m.km.Down, m.km.Import, del}, append(v.flt.bindings(), m.km.Refresh)...)
}

func (v *keysView) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	if m.deps.Keys == nil {
		return nil
	}
	if handled, _, cmd := v.flt.update(k); handled {
		v.cursor = nearest(len(v.items), v.cursor, v.passes)
		return cmd
	}
	switch {
	case key.Matches(k, m.km.Up):
		v.cursor = step(len(v.items), v.cursor, -1, v.passes)
	case key.Matches(k, m.km.Down):
		v.cursor = step(len(v.items), v.cursor, 1, v.passes)
	case key.Matches(k, m.km.Refresh):
		return m.rereadLists(func(*Model, error) tea.Cmd { return nil })
	case key.Matches(k, m.km.Import):
		return m.openImportForm()
	case key.Matches(k, m.km.Delete):
		if v.cursor < len(v.items) && v.passes(v.cursor) {
			ki := v.items[v.cursor]
			body := fmt.Sprintf("%s\n%s\nfile %s will be removed when you save (a backup is kept).", safe(ki.Fingerprint), safe(ki.UserID), safe(ki.Path))
			if len(ki.UsedBy) > 0 {
				body += "\n\nIt is used by " + safe(strings.Join(ki.UsedBy, ", ")) + ": removal will be refused until those rules stop using it."
			}
			m.modal = &confirmDialog{
				title: "Remove key " + shortFpr(ki.Fingerprint, m.th.G.Ellipsis) + "?", danger: true, yes: "remove", body: body,
				onYes: func(m *Model) tea.Cmd {
					kb, pol := m.deps.Keys, m.deps.Policy
					return m.stage("staging", func() error { return kb.Remove(ki.Fingerprint, pol.Policy()) }, func(m *Model, err error) tea.Cmd {
						if err != nil {
							m.setStatus(true, "not removed: %v", err)
						} else {
							m.setStatus(false, "staged: remove key %s (ctrl+s to review and save, u to undo)", ki.Fingerprint)
						}
						return nil
					})
				},
			}
		}
	}
	return nil
}

// openImportForm asks for a key file path (tab-completed) or a pasted
// armored block. The backend refuses private key material.
func (m *Model) openImportForm() tea.Cmd {
	path := textField("path", "File or paste", "", "/root/release.asc, or paste -----BEGIN PGP PUBLIC KEY BLOCK-----")
	path.in.CharLimit = 1 << 20
	path.in.ShowSuggestions = true
	path.block = true
	path.explain = func(f *form) string {
		if f.get("path").pasted != "" {
			return "a pasted block: enter imports it; typing or backspace replaces it"
		}
		return "tab completes a path"
	}
	f := &form{
		title:  "Import a public key into " + safe(m.deps.Paths.KeysDir),
		fields: []*field{path},
		note:   "Only public keys are stored; a private key is refused and nothing is written.",
		// Completion lists a directory: a command does it, and the
		// suggestions are kept only while the value is still the one
		// they complete.
		changed: func(m *Model, f *form) tea.Cmd {
			v := f.get("path").in.Value()
			return func() tea.Msg { return pathSuggestMsg{f: f, prefix: v, paths: completePath(v)} }
		},
		submitCmd: func(m *Model, f *form) (action, tea.Cmd) {
			fd := f.get("path")
			v := fd.in.Value()
			// A pasted or typed block is the key itself, never a path:
			// nothing to read.
			data := []byte(v)
			if fd.pasted != "" {
				data = []byte(fd.pasted)
			}
			if fd.pasted != "" || strings.Contains(v, "-----BEGIN") {
				act, cmd, err := m.importData(f, data, nil)
				if err != nil {
					f.err = safeErr(err)
					return stayOpen{}, nil
				}
				return act, cmd
			}
			p := strings.TrimSpace(v)
			return stayOpen{}, func() tea.Msg {
				b, err := nodefs.FS{}.ReadFile(p, nodefs.KeyFile)
				if err != nil {
					err = fmt.Errorf("reading key file: %w", err)
				}
				return keyDataMsg{f: f, data: b, err: err}
			}
		},
		async: func(m *Model, f *form, msg tea.Msg) (action, tea.Cmd) {
			switch msg := msg.(type) {
			case pathSuggestMsg:
				if fd := f.get("path"); msg.f == f && fd.in.Value() == msg.prefix {
					fd.in.SetSuggestions(msg.paths)
				}
				return stayOpen{}, nil
			case keyDataMsg:
				if msg.f != f {
					return stayOpen{}, nil
				}
				act, cmd, err := m.importData(f, msg.data, msg.err)
				if err != nil {
					f.err = safeErr(err)
					return stayOpen{}, nil
				}
				return act, cmd
			}
			return nil, nil
		},
	}
	m.modal = f
	return f.start(m)
}

// pathSuggestMsg carries the completions of prefix, listed by a command.
type pathSuggestMsg struct {
	f      *form
	prefix string
	paths  []string
}

// keyDataMsg carries the key data to import, read by a command.
type keyDataMsg struct {
	f    *form
	data []byte
	err  error
}

// importData shows what data holds before it is imported (with a
// KeyInspector: the action opens the confirmation) or imports it (the
// form stays open until the import's result, with its error); the form
// stays open with a read or inspection error.
func (m *Model) importData(f *form, data []byte, readErr error) (action, tea.Cmd, error) {
	if readErr != nil {
		return nil, nil, readErr
	}
	if insp, ok := m.deps.Keys.(KeyInspector); ok {
		keys, err := insp.Inspect(data)
		if err != nil {
			return nil, nil, err // private key material is refused here
		}
		return openModal{importConfirm(keys, data)}, nil, nil
	}
	return stayOpen{}, m.importKey(data, f), nil
}

// importKey hands data to the backend in a command and reports what it
// did; from is the form that asked, closed on success and given the
// error otherwise (nil: the confirmation, already closed).
func (m *Model) importKey(data []byte, from *form) tea.Cmd {
	kb := m.deps.Keys
	var ki KeyRow
	return m.stage("staging", func() error {
		var err error
		ki, err = kb.Import(data)
		return err
	}, func(m *Model, err error) tea.Cmd {
		open := from != nil && m.modal == from
		switch {
		case err != nil && open:
			from.err = safeErr(err)
		case err != nil:
			m.setStatus(true, "not imported: %v", err)
		case ki.AlreadyThere:
			m.setStatus(false, "%s %s is already in %s: nothing written", ki.Fingerprint, ki.UserID, ki.Path)
		default:
			m.setStatus(false, "staged: import %s %s into %s (ctrl+s to review and save, u to undo)", ki.Fingerprint, ki.UserID, ki.Path)
		}
		if err == nil && open {
			m.modal = nil
		}
		return nil
	})
}

// importConfirm shows what is about to be trusted before anything is
// written: the full fingerprint, user IDs, algorithm, expiry and whether
// the node's mechanism can use each key. A key it cannot use makes the
// dialog a warning: a rule with only that key rejects every image.
func importConfirm(keys []KeyRow, data []byte) *confirmDialog {
	var b strings.Builder
	unusable := 0
	for i, k := range keys {
		if i > 0 {
			b.WriteString("\n\n")
		}
		exp := "never"
		if !k.Expires.IsZero() {
			exp = k.Expires.Format("2006-01-02")
		}
		// Details is the backend's multi-line text, each value escaped.
		fmt.Fprintf(&b, "%s\nalgorithm %s\nexpires %s\n%s", termsafe.Text(k.Details), safe(k.Algorithm), exp, safe(k.Verdict))
		if k.Unusable {
			unusable++
		}
	}
	d := &confirmDialog{title: "Import " + plural(len(keys), "key") + "?", yes: "import",
		onYes: func(m *Model) tea.Cmd { return m.importKey(data, nil) }}
	if unusable > 0 {
		d.danger, d.yes = true, "import anyway"
		if len(keys) == 1 {
			b.WriteString("\n\nThis key cannot verify signatures on this node: a rule using only it rejects every image.")
		} else {
			fmt.Fprintf(&b, "\n\n%d of these keys cannot verify signatures on this node: a rule using only them rejects every image.", unusable)
		}
	}
	d.body = b.String()
	return d
}

// completePath offers directory entries that extend what was typed.
func completePath(prefix string) []string {
	if prefix == "" || strings.ContainsAny(prefix, "\n") {
		return nil
	}
	dir, base := filepath.Split(prefix)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), base) {
			s := filepath.Join(dir, e.Name())
			if strings.HasPrefix(prefix, "./") || filepath.IsAbs(prefix) || dir != "." {
				s = dir + e.Name()
			}
			if e.IsDir() {
				s += "/"
			}
			out = append(out, s)
		}
		if len(out) == 50 {
			break
		}
	}
	return out
}

func (v *keysView) render(m *Model, w, h int) string {
	if m.deps.Keys == nil {
		return boxed(m.th.Pane, " Keys ", "The key inventory (gpg package) is not wired into this build yet.\nKey files referenced by the policy are still checked: see Problems (6).", w, h)
	}
	if v.err != nil {
		return boxed(m.th.Pane, " Keys ", m.th.Fail.Render(safeErr(v.err)), w, h)
	}
	listH := max(5, h/2)
	var lines []string
	v.cursor = nearest(len(v.items), v.cursor, v.passes)
	vis := visible(len(v.items), v.passes)
	if v.flt.shown() {
		lines = append(lines, v.flt.render(m, w-2, len(vis), len(v.items)))
	}
	fprW := 18
	if w >= 110 {
		fprW = 41
	}
	lines = append(lines, m.th.Bold.Render(fmt.Sprintf(" %-*s %-10s %-12s %s", fprW, "Fingerprint", "Expires", "Status", "User ID")))
	// The cursor's row is always drawn: the list starts late enough.
	first := firstShown(vis, v.cursor, listH-2-len(lines))
	for _, i := range vis[first:] {
		k := v.items[i]
		if len(lines) >= listH-2 {
			break
		}
		exp := "never"
		if !k.Expires.IsZero() {
			exp = k.Expires.Format("2006-01-02")
		}
		fpr := safe(k.Fingerprint)
		if len(fpr) > fprW {
			fpr = shortFpr(fpr, m.th.G.Ellipsis)
		}
		st := safe(k.Status)
		if len(k.UsedBy) == 0 {
			st += ", unused"
		}
		row := ansi.Truncate(fmt.Sprintf(" %-*s %-10s %-12s %s", fprW, fpr, exp, ansi.Truncate(st, 12, ""), safe(k.UserID)), w-2, m.th.G.Ellipsis)
		if i == v.cursor {
			row = m.th.Selected.Render(row)
		}
		lines = append(lines, row)
	}
	if len(v.items) == 0 {
		lines = append(lines, " no public keys in "+safe(m.deps.Paths.KeysDir)+": press i to import one")
	}
	title := fmt.Sprintf(" Keys (%d) ", len(v.items))
	if v.flt.set() {
		title = fmt.Sprintf(" Keys (%d of %d) ", len(vis), len(v.items))
	}
	list := boxed(m.th.PaneFocused, title, strings.Join(lines, "\n"), w, listH)
	var det string
	if v.cursor < len(v.items) && v.passes(v.cursor) {
		k := v.items[v.cursor]
		used := "not used by any rule"
		if len(k.UsedBy) > 0 {
			used = "used by " + safe(strings.Join(k.UsedBy, ", "))
		}
		// Details is multi-line text the backend composed with each value
		// escaped; Text keeps its lines and escapes anything left.
		det = fmt.Sprintf("%s\n%s  %s\nfile %s\nstatus: %s; %s\n%s", safe(k.Fingerprint), safe(k.UserID), safe(k.Algorithm), safe(k.Path), safe(k.Status), used, termsafe.Text(k.Details))
	}
	return list + "\n" + boxed(m.th.Pane, " Details ", wrap(det, w-2), w, h-listH)
}
