package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// lookasideView is the merged registries.d table.
type lookasideView struct {
	items   []LookasideEntry
	diags   model.Diagnostics
	err     error
	cursor  int
	explain []string
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
	del := m.km.Delete
	del.SetHelp("d", "remove")
	return []key.Binding{m.km.Up, m.km.Down, m.km.Add, m.km.Edit, del, m.km.Explain}
}

func (v *lookasideView) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	if m.deps.Lookaside == nil {
		return nil
	}
	switch {
	case key.Matches(k, m.km.Up):
		v.cursor = max(0, v.cursor-1)
	case key.Matches(k, m.km.Down):
		v.cursor = min(len(v.items)-1, v.cursor+1)
	case key.Matches(k, m.km.Add):
		return m.openLookasideForm(nil)
	case key.Matches(k, m.km.Edit):
		if v.cursor < len(v.items) {
			e := v.items[v.cursor]
			return m.openLookasideForm(&e)
		}
	case key.Matches(k, m.km.Explain):
		return m.openExplainForm()
	case key.Matches(k, m.km.Delete):
		if v.cursor < len(v.items) {
			e := v.items[v.cursor]
			m.modal = &confirmDialog{
				title: "Remove look-aside for " + safe(e.Scope) + "?", danger: true, yes: "remove",
				body: fmt.Sprintf("%s: %s\nfrom %s. Images under it then use the next broader entry or default-docker.", safe(e.Scope), safe(e.URL), safe(e.File)),
				onYes: func(m *Model) tea.Cmd {
					if err := m.deps.Lookaside.Remove(e.Scope); err != nil {
						m.setStatus(true, "not removed: %v", err)
					} else {
						m.setStatus(false, "removed look-aside entry %s", e.Scope)
					}
					m.la.reload(m)
					return nil
				},
			}
		}
	}
	return nil
}

func (m *Model) openLookasideForm(orig *LookasideEntry) tea.Cmd {
	scope := textField("scope", "Namespace", "", "registry.example.com/team, or default-docker")
	url := textField("url", "Look-aside URL", "", "https://lookaside.example.com/sigs")
	url.check = func(f *form) (string, bool) {
		return policyio.LookasideURLProblem(f.val("url")), false
	}
	sig := choiceField("sigstore", "Sigstore attachments", []string{"no", "yes"}, nil)
	title := "Add a look-aside"
	if orig != nil {
		title = "Edit look-aside " + safe(orig.Scope)
		scope.in.SetValue(orig.Scope)
		url.in.SetValue(orig.URL)
		if orig.Sigstore {
			sig.sel = 1
		}
	}
	f := &form{
		title:  title,
		fields: []*field{scope, url, sig},
		note:   "Written to registries.d when you apply (backup kept).",
		submit: func(m *Model, f *form) error {
			e := LookasideEntry{Scope: f.val("scope"), URL: f.val("url"), Sigstore: f.val("sigstore") == "yes"}
			if orig != nil {
				e.Staging, e.File = orig.Staging, orig.File
			}
			if err := m.deps.Lookaside.Set(e); err != nil {
				return err
			}
			m.la.reload(m)
			m.setStatus(false, "look-aside for %s set to %s", e.Scope, e.URL)
			return nil
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
	listH := h
	if len(v.explain) > 0 || len(v.diags) > 0 {
		// The table takes what its rows need (up to half): the details
		// below are what the admin just asked for.
		listH = min(max(6, len(v.items)+4), max(6, h/2))
	}
	scopeW := 30
	if w >= 110 {
		scopeW = 40
	}
	lines := []string{m.th.Bold.Render(fmt.Sprintf(" %-*s %s", scopeW, "Namespace", "Look-aside (file)"))}
	for i, e := range v.items {
		if len(lines) >= listH-2 {
			break
		}
		extra := ""
		if e.Sigstore {
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
	out := boxed(m.th.PaneFocused, fmt.Sprintf(" Look-aside (%d) ", len(v.items)), strings.Join(lines, "\n"), w, listH)
	if listH < h {
		// An explanation first: it answers the question just asked.
		det := append([]string(nil), v.explain...)
		for _, d := range v.diags {
			det = append(det, m.sevLabel(d.Severity)+" "+safe(d.Pos.String())+" "+safe(d.Message))
		}
		out += "\n" + boxed(m.th.Pane, " Details ", wrap(strings.Join(det, "\n"), w-2), w, h-listH)
	}
	return out
}
