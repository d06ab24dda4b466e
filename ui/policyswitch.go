package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// PolicyChoice is one policy file the node's runtime uses: the global
// policy, or a CRI-O namespace's own (which replaces it for that
// namespace's pods).
type PolicyChoice struct {
	// Namespace is "" for the global policy.
	Namespace string
	// File is the node path.
	File string
	// Current marks the one this session edits.
	Current bool
}

func (c PolicyChoice) label() string {
	if c.Namespace == "" {
		return "global  " + c.File
	}
	return "namespace " + c.Namespace + "  " + c.File
}

type policyFilesMsg struct {
	list []PolicyChoice
	err  error
}

// openPolicySwitch lists the policy files in the background (reading
// crio.conf and signature_policy_dir is I/O) and then offers them.
func (m *Model) openPolicySwitch() tea.Cmd {
	if m.deps.PolicyFiles == nil {
		m.setStatus(true, "switching policy files is not available here")
		return nil
	}
	list := m.deps.PolicyFiles
	return func() tea.Msg {
		l, err := list()
		return policyFilesMsg{list: l, err: err}
	}
}

func (m *Model) policyFiles(msg policyFilesMsg) {
	switch {
	case msg.err != nil:
		m.setStatus(true, "cannot list the policy files: %s", safeErr(msg.err))
	case len(msg.list) < 2:
		m.setStatus(false, "no per-namespace policies on this node (crio.conf signature_policy_dir): only the global policy")
	default:
		d := &policySwitchDialog{list: msg.list}
		for i, c := range msg.list {
			if c.Current {
				d.sel = i
			}
		}
		m.modal = d
	}
}

// policySwitchDialog picks the policy file to edit. Switching starts a
// new session on that file, so staged edits must be saved or undone
// first.
type policySwitchDialog struct {
	list []PolicyChoice
	sel  int
}

func (d *policySwitchDialog) update(m *Model, msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	switch k.String() {
	case "up", "k":
		d.sel = max(0, d.sel-1)
	case "down", "j":
		d.sel = min(len(d.list)-1, d.sel+1)
	case "esc", "q":
		return true, nil
	case "enter":
		c := d.list[d.sel]
		if c.Current {
			return true, nil
		}
		if m.dirty() {
			m.setStatus(true, "save (ctrl+s) or undo (u) the staged edits before switching to another policy file")
			return true, nil
		}
		m.switchTo = &c
		return true, tea.Quit
	}
	return false, nil
}

func (d *policySwitchDialog) bindings() []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "choose")),
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "edit it")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

func (d *policySwitchDialog) render(m *Model, w, h int) string {
	dw := min(w, 76)
	var b strings.Builder
	b.WriteString(wrap("A namespace's policy replaces the global one for its pods (CRI-O signature_policy_dir).", dw-4) + "\n\n")
	for i, c := range d.list {
		mark := "  "
		if i == d.sel {
			mark = m.th.G.Cursor + " "
		}
		line := ansi.Truncate(safe(c.label()), dw-8, m.th.G.Ellipsis)
		if c.Current {
			line += m.th.Faint.Render(" (editing)")
		}
		if i == d.sel {
			line = m.th.Bold.Render(line)
		}
		b.WriteString(mark + line + "\n")
	}
	body := strings.TrimRight(b.String(), "\n")
	box := boxed(m.th.Dialog, " Policy file ", body, dw, min(h, strings.Count(body, "\n")+4))
	return placeTop(box, w, h)
}

// SwitchTo is the policy file the admin chose to edit next, if any: the
// program has quit so that the caller opens a session on it.
func (m *Model) SwitchTo() (PolicyChoice, bool) {
	if m.switchTo == nil {
		return PolicyChoice{}, false
	}
	return *m.switchTo, true
}
