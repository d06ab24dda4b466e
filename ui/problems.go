package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// problemsView lists every diagnostic of the staged state, errors first
// (the workspace returns them sorted).
type problemsView struct {
	cursor, offset int
}

func (v *problemsView) clamp(n int) {
	v.cursor = max(0, min(v.cursor, n-1))
}

func (v *problemsView) bindings(m *Model) []key.Binding {
	enter := m.km.Enter
	enter.SetHelp("enter", "go to item")
	fix := m.km.Fix
	fix.SetEnabled(v.cursor < len(m.problems) && m.problems[v.cursor].Replacement != "")
	return []key.Binding{m.km.Up, m.km.Down, enter, fix}
}

func (v *problemsView) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.km.Up):
		v.cursor--
	case key.Matches(k, m.km.Down):
		v.cursor++
	case key.Matches(k, m.km.Enter):
		if v.cursor < len(m.problems) {
			m.jumpTo(m.problems[v.cursor])
		}
	case key.Matches(k, m.km.Fix):
		if v.cursor < len(m.problems) {
			m.quickFix(m.problems[v.cursor])
		}
	}
	v.clamp(len(m.problems))
	return nil
}

// jumpTo shows the policy node a diagnostic is about.
func (m *Model) jumpTo(d model.Diagnostic) {
	if d.Target == nil {
		m.setStatus(false, "%s is not about a node of the policy tree", d.Pos)
		return
	}
	if !m.pol.selectRef(d.Target.List) {
		m.setStatus(true, "%s is not in the staged policy (the file could not be read into it)", d.Target.List)
		return
	}
	m.view = vPolicy
	m.pol.focusReqs = d.Target.Requirement >= 0
	m.pol.req = max(0, d.Target.Requirement)
	m.pol.clamp()
}

// quickFix applies Diagnostic.Replacement: the token at the diagnostic's
// position in the text it was found in is replaced, and the result is
// parsed again by policyio and staged (so it can be undone). The
// replacement itself comes from the loader; the TUI only splices text.
func (m *Model) quickFix(d model.Diagnostic) {
	if d.Replacement == "" {
		m.setStatus(true, "no quick fix for this problem")
		return
	}
	var src []byte
	pf := m.deps.Policy.PolicyFile()
	switch {
	case len(m.deps.Policy.Edits()) == 0 && pf != nil && d.Pos.File == pf.Path:
		src = pf.Raw
	case strings.HasSuffix(d.Pos.File, "(staged)") && m.deps.Policy.Policy() != nil:
		var err error
		if src, err = policyio.MarshalPolicy(m.deps.Policy.Policy()); err != nil {
			m.setStatus(true, "quick fix: %v", err)
			return
		}
	default:
		m.setStatus(true, "quick fix: %s is not in the policy text", d.Pos)
		return
	}
	fixed, err := spliceToken(src, d.Pos, d.Replacement)
	if err != nil {
		m.setStatus(true, "quick fix: %v", err)
		return
	}
	p, diags := policyio.ParsePolicy(d.Pos.File, fixed)
	if p == nil {
		m.setStatus(true, "quick fix did not produce a readable policy; nothing staged")
		return
	}
	before := len(m.problems)
	m.edit("quick fix: "+d.Message, func(dst *model.Policy) { *dst = *p })
	m.setStatus(false, "fixed (%d problem(s) before, %d now; u undoes)", before, len(m.problems))
	_ = diags
}

// spliceToken replaces the JSON string token starting at pos (line and
// column, 1-based) with repl, quoting repl unless it is quoted already.
func spliceToken(src []byte, pos model.Pos, repl string) ([]byte, error) {
	off := 0
	for line := 1; line < pos.Line; line++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return nil, fmt.Errorf("line %d is beyond the end of the text", pos.Line)
		}
		off += i + 1
	}
	off += pos.Col - 1
	if off >= len(src) || src[off] != '"' {
		return nil, fmt.Errorf("no string at %s", pos)
	}
	end := off + 1
	for end < len(src) && src[end] != '"' {
		if src[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(src) {
		return nil, fmt.Errorf("unterminated string at %s", pos)
	}
	if !strings.HasPrefix(repl, `"`) {
		q, _ := json.Marshal(repl)
		repl = string(q)
	}
	out := append([]byte{}, src[:off]...)
	out = append(out, repl...)
	return append(out, src[end+1:]...), nil
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
	if len(m.problems) == 0 {
		return boxed(m.th.PaneFocused, " Problems (0) ", m.th.OK.Render(m.th.G.OK+" no problems in policy.json or the key files it uses"), w, h)
	}
	detailH := 7
	listH := h - detailH
	innerH := listH - 2
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if v.cursor >= v.offset+innerH {
		v.offset = v.cursor - innerH + 1
	}
	var lines []string
	for i := v.offset; i < len(m.problems) && len(lines) < innerH; i++ {
		d := m.problems[i]
		where := d.Pos.String()
		if d.Target != nil {
			where = d.Target.List.String()
		}
		text := fmt.Sprintf(" %s %s", ansi.Truncate(where, 28, m.th.G.Ellipsis), d.Message)
		text = ansi.Truncate(text, w-14, m.th.G.Ellipsis)
		if i == v.cursor {
			text = m.th.Selected.Render(text)
		}
		lines = append(lines, m.sevLabel(d.Severity)+text)
	}
	list := boxed(m.th.PaneFocused, fmt.Sprintf(" Problems (%d) ", len(m.problems)), strings.Join(lines, "\n"), w, listH)
	d := m.problems[v.cursor]
	var det []string
	det = append(det, d.String())
	if d.Snippet != "" {
		det = append(det, d.Snippet)
	}
	if d.Replacement != "" {
		det = append(det, m.th.OK.Render(fmt.Sprintf("quick fix available: f replaces it with %s", d.Replacement)))
	}
	detail := boxed(m.th.Pane, " Details ", wrap(strings.Join(det, "\n"), w-2), w, detailH)
	return list + "\n" + detail
}
