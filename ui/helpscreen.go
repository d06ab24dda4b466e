package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
)

// helpSection is one titled list of keys on the help screen.
type helpSection struct {
	title string
	keys  []key.Binding
}

// viewHelp lists every key of the current view, in sections: the Policy
// view's two panes each have their own (K/J reorder only the rules), and a
// key that does nothing on the current row is listed all the same.
func (m *Model) viewHelp() []helpSection {
	name := "In " + viewNames[m.view]
	if m.view != vPolicy || m.policyUnparsable() {
		return []helpSection{{name, m.viewBindings()}}
	}
	focus := m.pol.focusReqs
	defer func() { m.pol.focusReqs = focus }()
	m.pol.focusReqs = false
	tree := m.pol.bindings(m)
	m.pol.focusReqs = true
	rules := m.pol.bindings(m)
	return []helpSection{{name + ": scope tree", tree}, {name + ": rules of a scope", rules}}
}

// renderHelpScreen is the ? screen: the global keys and the views on the
// left, the current view's keys on the right, and how to close it on the
// first line, so that at 80x24 nothing is cut.
func (m *Model) renderHelpScreen(w, h int) string {
	line := func(b *strings.Builder, k key.Binding) {
		fmt.Fprintf(b, "  %-11s %s\n", k.Help().Key, k.Help().Desc)
	}
	var left, right strings.Builder
	left.WriteString(m.th.Bold.Render("Everywhere") + "\n")
	for _, k := range m.globalBindings() {
		line(&left, k)
	}
	left.WriteString("\n" + m.th.Bold.Render("Views") + "\n")
	for _, k := range m.km.Views {
		line(&left, k)
	}
	for i, s := range m.viewHelp() {
		if i > 0 {
			right.WriteString("\n")
		}
		right.WriteString(m.th.Bold.Render(s.title) + "\n")
		for _, k := range s.keys {
			line(&right, k)
		}
	}
	head := m.th.Title.Render("Keys") + "  " + m.th.Faint.Render("esc or ? closes this help")
	cols := lipgloss.JoinHorizontal(lipgloss.Top,
		lipgloss.NewStyle().Width(min(36, w/2)).Render(strings.TrimRight(left.String(), "\n")),
		strings.TrimRight(right.String(), "\n"))
	out := head + "\n" + cols
	if n := strings.Count(out, "\n") + 1; n > h {
		// A view with more keys than the screen has rows: say so
		// rather than drop them silently.
		lines := strings.Split(out, "\n")[:h-1]
		out = strings.Join(append(lines, m.th.Faint.Render("(more keys than fit: enlarge the terminal)")), "\n")
	}
	return m.asciiArrows(out)
}
