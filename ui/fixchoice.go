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

// fixChoiceKeyMap: the choice matches with these and shows them.
type fixChoiceKeyMap struct {
	Up, Down, Apply, Pick, Cancel key.Binding
}

var fixChoiceKM = fixChoiceKeyMap{
	Up:    key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("up/dn", "choose")),
	Down:  key.NewBinding(key.WithKeys("down", "j")),
	Apply: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter/1-9", "apply")),
	// Pick takes a fix by its number; its help is Apply's.
	Pick:   key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9")),
	Cancel: key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "cancel")),
}

// fixChoiceKeys is the help line: up/dn, enter/1-9, esc.
var fixChoiceKeys = []key.Binding{fixChoiceKM.Up, fixChoiceKM.Apply, fixChoiceKM.Cancel}

// key handles one key: picked is the chosen fix's index, or -1; done is
// set when the choice is over (picked or cancelled).
func (c *fixChoice) key(k tea.KeyPressMsg) (picked int, done bool) {
	n := len(c.diag.Fixes)
	km := fixChoiceKM
	switch {
	case key.Matches(k, km.Up):
		c.cursor = (c.cursor + n - 1) % n
	case key.Matches(k, km.Down):
		c.cursor = (c.cursor + 1) % n
	case key.Matches(k, km.Apply):
		return c.cursor, true
	case key.Matches(k, km.Cancel):
		return -1, true
	case key.Matches(k, km.Pick) && int(k.String()[0]-'1') < n:
		return int(k.String()[0] - '1'), true
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

func (d *fixChoiceDialog) update(m *Model, msg tea.Msg) (action, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return stayOpen{}, nil
	}
	i, done := d.key(k)
	if i >= 0 {
		d.apply(m, i)
	}
	if done {
		return closeModal{}, nil
	}
	return stayOpen{}, nil
}

func (d *fixChoiceDialog) bindings() []key.Binding { return fixChoiceKeys }

func (d *fixChoiceDialog) render(m *Model, w, h int) string {
	dw := min(w, 76)
	body := strings.Join(d.lines(m, dw-4), "\n")
	return placeTop(boxed(m.th.Dialog, " Choose a quick fix ", body, dw, min(h, len(d.diag.Fixes)+4)), w, h)
}
