package ui

import (
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
)

// problemsView lists every diagnostic of the staged state, errors first
// (the workspace returns them sorted).
type problemsView struct {
	cursor, offset int
	flt            filter
}

func (v *problemsView) clamp(n int) {
	v.cursor = max(0, min(v.cursor, n-1))
}

// passes reports whether problem i is shown under the filter; it matches
// what the list and details show.
func (v *problemsView) passes(m *Model) func(i int) bool {
	return func(i int) bool {
		d := m.problems[i]
		return v.flt.match(d.Severity.String(), shortPos(d), d.Pos.String(), d.Message, d.Code)
	}
}

func (v *problemsView) bindings(m *Model) []key.Binding {
	enter := m.km.Enter
	enter.SetHelp("enter", "go to item")
	fix := m.km.Fix
	fix.SetEnabled(v.cursor < len(m.problems) && hasFix(m.problems[v.cursor]))
	if v.flt.focused() {
		return v.flt.bindings()
	}
	return append([]key.Binding{m.km.Up, m.km.Down, enter, fix}, v.flt.bindings()...)
}

func (v *problemsView) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	if handled, _, cmd := v.flt.update(k); handled {
		v.cursor = nearest(len(m.problems), v.cursor, v.passes(m))
		return cmd
	}
	switch {
	case key.Matches(k, m.km.Up):
		v.cursor = step(len(m.problems), v.cursor, -1, v.passes(m))
	case key.Matches(k, m.km.Down):
		v.cursor = step(len(m.problems), v.cursor, 1, v.passes(m))
	case !v.passes(m)(min(v.cursor, len(m.problems)-1)):
		// The filter hides everything: enter and f have no problem.
	case key.Matches(k, m.km.Enter):
		if v.cursor < len(m.problems) {
			return m.jumpTo(m.problems[v.cursor])
		}
	case key.Matches(k, m.km.Fix):
		if v.cursor < len(m.problems) {
			return m.quickFix(m.problems[v.cursor])
		}
	}
	v.clamp(len(m.problems))
	return nil
}

// jumpTo shows the policy node a diagnostic is about.
func (m *Model) jumpTo(d model.Diagnostic) tea.Cmd {
	if d.Target == nil && d.Pos.Line > 0 && strings.HasPrefix(d.Pos.File, m.deps.Paths.Policy) {
		// A problem of the text (syntax, comment, duplicate key): show it
		// in the editor, cursor on it.
		return m.openRawEditor(d.Pos)
	}
	if d.Pos.Line > 0 && m.isRegistriesFile(d.Pos.File) {
		return m.openRegistriesEditor(d.Pos.File, d.Pos)
	}
	if d.Target == nil {
		m.setStatus(false, "%s is not about a node of the policy tree", d.Pos)
		return nil
	}
	if !m.pol.reveal(m, d.Target.List) {
		m.setStatus(true, "%s is not in the staged policy (the file could not be read into it)", d.Target.List)
		return nil
	}
	m.view = vPolicy
	m.pol.focusReqs = d.Target.Requirement >= 0
	m.pol.req = max(0, d.Target.Requirement)
	m.pol.clamp()
	return nil
}

func hasFix(d model.Diagnostic) bool { return len(d.Fixes) > 0 || d.Replacement != "" }

// quickFix asks the workspace to apply the loader's quick fix and stage it
// (so it can be undone); when there is a choice, the admin picks first.
// The TUI only reports the outcome.
func (m *Model) quickFix(d model.Diagnostic) tea.Cmd {
	if !hasFix(d) {
		m.setStatus(true, "no quick fix for this problem")
		return nil
	}
	if len(d.Fixes) == 0 && d.Pos.Line > 0 && m.isRegistriesFile(d.Pos.File) {
		// A registries.d file is read from disk, never in Update: its
		// fix is made in the editor, on the text it reads.
		m.setStatus(false, "ctrl+f applies the fix in the editor; ctrl+s stages it for review")
		return m.openRegistriesEditor(d.Pos.File, d.Pos)
	}
	if len(d.Fixes) > 1 {
		m.modal = &fixChoiceDialog{fixChoice: fixChoice{diag: d}, apply: func(m *Model, i int) { m.applyFix(d, i) }}
		return nil
	}
	m.applyFix(d, 0)
	return nil
}

func (m *Model) applyFix(d model.Diagnostic, i int) {
	before := len(m.problems)
	if err := m.deps.Policy.ApplyFix(d, i); err != nil {
		m.setStatus(true, "not fixed: %v", err)
		return
	}
	m.refresh()
	m.setStatus(false, "fixed (%d problem(s) before, %d now; u undoes)", before, len(m.problems))
}

func (m *Model) sevLabel(s model.Severity) string {
	switch s {
	case model.Error:
		return m.th.Fail.Render(m.th.G.Fail + " error  ")
	case model.Warning:
		return m.th.Warn.Render(m.th.G.Warn + " warning")
	}
	return m.th.Info.Render(m.th.G.Info + " info   ")
}

func (v *problemsView) render(m *Model, w, h int) string {
	if m.problemsDue {
		return boxed(m.th.PaneFocused, " Problems ", m.th.Faint.Render("checking policy.json and the key files it uses"+m.th.G.Ellipsis), w, h)
	}
	// The policy's problems are listed while the node's images are still
	// checked (the header says so), but none is not "no problems" yet.
	if len(m.problems) == 0 && m.problemsChecking() {
		return boxed(m.th.PaneFocused, " Problems ", m.th.Faint.Render("checking the node's images"+m.th.G.Ellipsis), w, h)
	}
	if len(m.problems) == 0 {
		return boxed(m.th.PaneFocused, " Problems (0) ", m.th.OK.Render(m.th.G.OK+" no problems in policy.json or the key files it uses"), w, h)
	}
	detailH := max(8, h/3)
	listH := h - detailH
	innerH := listH - 2
	var lines []string
	// The filter works on positions among the passing problems; the
	// cursor stays an index into the full list.
	v.cursor = nearest(len(m.problems), v.cursor, v.passes(m))
	vis := visible(len(m.problems), v.passes(m))
	if v.flt.shown() {
		lines = append(lines, v.flt.render(m, w-2, len(vis), len(m.problems)))
		innerH--
	}
	pos := 0
	for i, j := range vis {
		if j == v.cursor {
			pos = i
		}
	}
	if pos < v.offset {
		v.offset = pos
	}
	if pos >= v.offset+innerH {
		v.offset = pos - innerH + 1
	}
	v.offset = max(0, min(v.offset, len(vis)-1))
	whereW := 0
	for _, d := range m.problems {
		whereW = max(whereW, lipgloss.Width(safe(shortPos(d))))
	}
	whereW = min(whereW, w/4)
	for _, i := range vis[min(v.offset, len(vis)):] {
		if len(lines) >= listH-2 {
			break
		}
		d := m.problems[i]
		where := safe(shortPos(d))
		text := fmt.Sprintf(" %-*s %s", whereW, ansi.Truncate(where, whereW, m.th.G.Ellipsis), safe(d.Message))
		text = ansi.Truncate(text, w-12, m.th.G.Ellipsis)
		if i == v.cursor {
			text = m.th.Selected.Render(text)
		}
		lines = append(lines, m.sevLabel(d.Severity)+text)
	}
	title := fmt.Sprintf(" Problems (%d) ", len(m.problems))
	if v.flt.set() {
		title = fmt.Sprintf(" Problems (%d of %d) ", len(vis), len(m.problems))
	}
	list := boxed(m.th.PaneFocused, title, strings.Join(lines, "\n"), w, listH)
	if len(vis) == 0 {
		return list + "\n" + boxed(m.th.Pane, " Details ", "", w, detailH)
	}
	d := m.problems[v.cursor]
	det := wrap(d.String(), w-2) // String escapes every value
	if lines := m.snippetLines(d); lines != nil {
		// The snippet's caret line must keep its columns: cut, never wrap.
		det += "\n" + strings.Join(lines, "\n")
	}
	switch {
	case len(d.Fixes) > 1:
		det += "\n" + m.th.OK.Render(wrap(fmt.Sprintf("quick fixes: f offers %d choices", len(d.Fixes)), w-2))
	case len(d.Fixes) == 1:
		det += "\n" + m.th.OK.Render(wrap("quick fix: f will "+safe(d.Fixes[0].Title), w-2))
	case d.Replacement != "":
		det += "\n" + m.th.OK.Render(wrap(fmt.Sprintf("quick fix available: f replaces it with %s", safe(d.Replacement)), w-2))
	}
	detail := boxed(m.th.Pane, " Details ", det, w, detailH)
	return list + "\n" + detail
}

// shortPos names where a problem is: the policy node when known, else the
// file's base name with line and column (the details show the full path).
func shortPos(d model.Diagnostic) string {
	if d.Target != nil {
		return d.Target.List.String()
	}
	if d.Pos.Line == 0 {
		return filepath.Base(d.Pos.File)
	}
	return fmt.Sprintf("%s:%d:%d", filepath.Base(d.Pos.File), d.Pos.Line, d.Pos.Col)
}

// snippetLines is the diagnostic's snippet for this terminal: on an ASCII
// console the ellipsis that marks a cut line is "...", and the caret moves
// with the two extra cells of a leading one.
func (m *Model) snippetLines(d model.Diagnostic) []string {
	lines := d.SnippetLines()
	if !m.th.ASCII || len(lines) != 2 {
		return lines
	}
	if strings.HasPrefix(lines[0], "…") {
		lines[1] = "  " + lines[1]
	}
	lines[0] = strings.ReplaceAll(lines[0], "…", "...")
	return lines
}
