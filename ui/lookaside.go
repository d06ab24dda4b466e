package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
)

// lookasideView is the merged registries.d table.
type lookasideView struct {
	items   []LookasideRow
	diags   model.Diagnostics
	err     error
	cursor  int
	explain []string
	flt     filter
}

// passes reports whether entry i is shown under the filter.
func (v *lookasideView) passes(i int) bool {
	e := v.items[i]
	return v.flt.match(e.Scope, e.URL, e.Staging, e.File)
}

func (v *lookasideView) reload(m *Model) {
	if m.deps.Lookaside == nil {
		return
	}
	v.items, v.diags, v.err = m.deps.Lookaside.List()
	v.cursor = max(0, min(v.cursor, len(v.items)-1))
}

func (v *lookasideView) bindings(m *Model) []key.Binding {
	if m.deps.Lookaside == nil {
		return nil
	}
	if v.flt.focused() {
		return v.flt.bindings()
	}
	del := m.km.Delete
	del.SetHelp("d", "remove")
	return append([]key.Binding{m.km.Up, m.km.Down, m.km.Add, m.km.Edit, del, m.km.Explain, rawEditKey(m)}, v.flt.bindings()...)
}

func (v *lookasideView) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	if m.deps.Lookaside == nil {
		return nil
	}
	if handled, _, cmd := v.flt.update(k); handled {
		v.cursor = nearest(len(v.items), v.cursor, v.passes)
		return cmd
	}
	// With everything filtered out there is no entry to edit or remove.
	has := v.cursor < len(v.items) && v.passes(v.cursor)
	switch {
	case key.Matches(k, m.km.Up):
		v.cursor = step(len(v.items), v.cursor, -1, v.passes)
	case key.Matches(k, m.km.Down):
		v.cursor = step(len(v.items), v.cursor, 1, v.passes)
	case key.Matches(k, m.km.Add):
		return m.openLookasideForm(nil)
	case key.Matches(k, m.km.Edit):
		if has {
			e := v.items[v.cursor]
			return m.openLookasideForm(&e)
		}
	case key.Matches(k, m.km.Explain):
		return m.openExplainForm()
	case key.Matches(k, m.km.RawEdit):
		return m.openRegistriesEditor(m.lookasideFile(v), model.Pos{})
	case key.Matches(k, m.km.Delete):
		if has {
			e := v.items[v.cursor]
			m.modal = &confirmDialog{
				title: "Remove look-aside for " + safe(e.Scope) + "?", danger: true, yes: "remove",
				body: fmt.Sprintf("%s: %s\nfrom %s. Images under it then use the next broader entry or default-docker.", safe(e.Scope), safe(e.URL), safe(e.File)),
				onYes: func(m *Model) tea.Cmd {
					lb := m.deps.Lookaside
					return m.stage("staging", func() error { return lb.Remove(e.Scope) }, func(m *Model, err error) tea.Cmd {
						if err != nil {
							m.setStatus(true, "not removed: %v", err)
						} else {
							m.setStatus(false, "staged: remove look-aside entry %s (ctrl+s to review and save, u to undo)", e.Scope)
						}
						return nil
					})
				},
			}
		}
	}
	return nil
}

func (m *Model) openLookasideForm(orig *LookasideRow) tea.Cmd {
	scope := textField("scope", "Namespace", "", "registry.example.com/team, or default-docker")
	url := textField("url", "Look-aside URL", "", "https://lookaside.example.com/sigs")
	url.check = func(f *form) (string, bool) {
		return m.deps.Rules.LookasideURLProblem(f.val("url")), false
	}
	sig := choiceField("sigstore", "Sigstore attachments", []string{"no", "yes"}, nil)
	title := "Add a look-aside"
	if orig != nil {
		title = "Edit look-aside " + safe(orig.Scope)
		scope.in.SetValue(orig.Scope)
		url.in.SetValue(orig.URL)
		if orig.UseSigstoreAttachments {
			sig.sel = 1
		}
	}
	f := &form{
		title:  title,
		fields: []*field{scope, url, sig},
		note:   "Staged: written to registries.d with the other staged changes when you save (ctrl+s; backup kept).",
		// The backend stages in a command (it reads the trial record and
		// registries.d); the form stays open with the error, if any.
		submitCmd: func(m *Model, f *form) (action, tea.Cmd) {
			e := LookasideRow{Scope: f.val("scope"), URL: f.val("url"), UseSigstoreAttachments: f.val("sigstore") == "yes"}
			if orig != nil {
				e.Staging, e.File = orig.Staging, orig.File
			}
			lb := m.deps.Lookaside
			return stayOpen{}, m.stage("staging", func() error { return lb.Set(e) }, func(m *Model, err error) tea.Cmd {
				switch {
				case err != nil && m.modal == f:
					f.err = safeErr(err)
				case err != nil:
					m.setStatus(true, "look-aside for %s not staged: %v", e.Scope, err)
				default:
					if m.modal == f {
						m.modal = nil
					}
					m.setStatus(false, "staged: look-aside for %s set to %s (ctrl+s to review and save, u to undo)", e.Scope, e.URL)
				}
				return nil
			})
		},
	}
	m.modal = f
	return f.start(m)
}

func (m *Model) openExplainForm() tea.Cmd {
	ref := textField("ref", "Image", "", "registry.example.com/team/app:1.0")
	f := &form{
		title:  "Where are the signatures of an image looked up?",
		fields: []*field{ref},
		submit: func(m *Model, f *form) error {
			lines, err := m.deps.Lookaside.Explain(f.val("ref"))
			if err != nil {
				return err
			}
			m.la.explain = []string{"Explain " + safe(f.val("ref")) + ":"}
			for _, l := range lines {
				m.la.explain = append(m.la.explain, safe(l))
			}
			return nil
		},
	}
	m.modal = f
	return f.start(m)
}

func (v *lookasideView) render(m *Model, w, h int) string {
	if m.deps.Lookaside == nil {
		return boxed(m.th.Pane, " Look-aside ", "registries.d editing (policyio look-aside support) is not wired into this build yet.", w, h)
	}
	if v.err != nil {
		return boxed(m.th.Pane, " Look-aside ", m.th.Fail.Render(safeErr(v.err)), w, h)
	}
	scopeW := 30
	if w >= 110 {
		scopeW = 40
	}
	v.cursor = nearest(len(v.items), v.cursor, v.passes)
	vis := visible(len(v.items), v.passes)
	cut := false // the selected row did not fit: the details show it whole
	if v.cursor < len(v.items) && v.passes(v.cursor) {
		e := v.items[v.cursor]
		cut = lipgloss.Width(safe(e.Scope)) > scopeW || lipgloss.Width(fmt.Sprintf(" %-*s %s (%s)", scopeW, "", safe(e.URL), safe(e.File))) > w-2
	}
	listH := h
	if len(v.explain) > 0 || len(v.diags) > 0 || cut {
		// The table takes what its rows need (up to half): the details
		// below are what the admin just asked for.
		listH = min(max(6, len(vis)+4), max(6, h/2))
	}
	var lines []string
	if v.flt.shown() {
		lines = append(lines, v.flt.render(m, w-2, len(vis), len(v.items)))
	}
	lines = append(lines, m.th.Bold.Render(fmt.Sprintf(" %-*s %s", scopeW, "Namespace", "Look-aside (file)")))
	first := firstShown(vis, v.cursor, listH-2-len(lines))
	for _, i := range vis[first:] {
		e := v.items[i]
		if len(lines) >= listH-2 {
			break
		}
		extra := ""
		if e.UseSigstoreAttachments {
			extra += " +sigstore"
		}
		if e.Masked {
			extra += " (masked)"
		}
		if e.File != "" {
			extra += " (" + safe(e.File) + ")"
		}
		row := fmt.Sprintf(" %-*s %s%s", scopeW, ansi.Truncate(safe(e.Scope), scopeW, m.th.G.Ellipsis), safe(e.URL), extra)
		row = ansi.Truncate(row, w-2, m.th.G.Ellipsis)
		if i == v.cursor {
			row = m.th.Selected.Render(row)
		}
		lines = append(lines, row)
	}
	if len(v.items) == 0 {
		lines = append(lines, " no entries: signatures are read from "+model.BuiltinLookaside+" (the built-in default)")
	}
	title := fmt.Sprintf(" Look-aside (%d) ", len(v.items))
	if v.flt.set() {
		title = fmt.Sprintf(" Look-aside (%d of %d) ", len(vis), len(v.items))
	}
	out := boxed(m.th.PaneFocused, title, strings.Join(lines, "\n"), w, listH)
	if listH < h {
		// An explanation first: it answers the question just asked.
		det := append([]string(nil), v.explain...)
		if cut {
			e := v.items[v.cursor]
			det = append(det, "namespace: "+safe(e.Scope), "look-aside: "+safe(e.URL), "file: "+safe(e.File))
		}
		for _, d := range v.diags {
			det = append(det, m.sevLabel(d.Severity)+" "+safe(d.Pos.String())+" "+safe(d.Message))
		}
		out += "\n" + boxed(m.th.Pane, " Details ", wrap(strings.Join(det, "\n"), w-2), w, h-listH)
	}
	return out
}
