package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
)

// fixChoice lets the admin pick one of a problem's quick fixes when there
// is more than one right answer (keep keyPath, keyPaths or keyData). It is
// a small state machine that the Problems view opens as a modal and the
// editor embeds.
type fixChoice struct {
	diag   model.Diagnostic
	cursor int
}

var fixChoiceKeys = []key.Binding{
	key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("up/dn", "choose")),
	key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter/1-9", "apply")),
	key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
}

// key handles one key: picked is the chosen fix's index, or -1; done is
// set when the choice is over (picked or cancelled).
func (c *fixChoice) key(k tea.KeyPressMsg) (picked int, done bool) {
	n := len(c.diag.Fixes)
	switch s := k.String(); {
	case s == "up" || s == "k":
		c.cursor = (c.cursor + n - 1) % n
	case s == "down" || s == "j":
		c.cursor = (c.cursor + 1) % n
	case s == "enter":
		return c.cursor, true
	case s == "esc" || s == "q":
		return -1, true
	case len(s) == 1 && s[0] >= '1' && s[0] <= '9' && int(s[0]-'1') < n:
		return int(s[0] - '1'), true
	}
	return -1, false
}

// lines renders the choices, w cells wide.
func (c *fixChoice) lines(m *Model, w int) []string {
	out := []string{m.th.Bold.Render(ansi.Truncate("Quick fix for: "+safe(c.diag.Message), w, m.th.G.Ellipsis))}
	for i, f := range c.diag.Fixes {
		l := ansi.Truncate(fmt.Sprintf(" %d  %s", i+1, safe(f.Title)), w, m.th.G.Ellipsis)
		if i == c.cursor {
			l = m.th.Selected.Render(l)
		}
		out = append(out, l)
	}
	return out
}

// fixChoiceDialog is the modal form of fixChoice, for the Problems view.
type fixChoiceDialog struct {
	fixChoice
	apply func(m *Model, i int)
}

func (d *fixChoiceDialog) update(m *Model, msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	i, done := d.key(k)
	if i >= 0 {
		d.apply(m, i)
	}
	return done, nil
}

func (d *fixChoiceDialog) bindings() []key.Binding { return fixChoiceKeys }

func (d *fixChoiceDialog) render(m *Model, w, h int) string {
	dw := min(w, 76)
	body := strings.Join(d.lines(m, dw-4), "\n")
	return placeTop(boxed(m.th.Dialog, " Choose a quick fix ", body, dw, min(h, len(d.diag.Fixes)+4)), w, h)
}
