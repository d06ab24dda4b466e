package ui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/termsafe"
	"github.com/kios/imgtrust/workspace"
)

// confirmDialog asks yes/no about one action, which it only describes;
// onYes performs it.
type confirmDialog struct {
	title, body, yes string
	danger, quit     bool
	onYes            func(m *Model) tea.Cmd
	// offset is the first body line shown when the body is taller than
	// the screen (an import of several keys): ↑/↓ scroll, nothing is cut.
	offset     int
	scrollable bool
}

func (d *confirmDialog) update(m *Model, msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	switch k.String() {
	case "y", "Y":
		return true, d.onYes(m)
	case "n", "N", "esc", "q":
		return true, nil
	case "up", "k":
		d.offset = max(0, d.offset-1)
	case "down", "j":
		d.offset++ // render clamps it
	}
	return false, nil
}

func (d *confirmDialog) bindings() []key.Binding {
	bs := []key.Binding{
		key.NewBinding(key.WithKeys("y"), key.WithHelp("y", d.yes)),
		key.NewBinding(key.WithKeys("n"), key.WithHelp("n/esc", "cancel")),
	}
	if d.scrollable {
		bs = append(bs, key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "scroll")))
	}
	return bs
}

func (d *confirmDialog) render(m *Model, w, h int) string {
	st := m.th.Dialog
	if d.danger {
		st = m.th.DialogDanger
	}
	dw := min(w, 72)
	// Callers escape each value they put in the body; Text keeps the
	// body's own lines and escapes whatever is left.
	text := strings.Split(wrap(termsafe.Text(d.body), dw-4), "\n")
	// Two lines above the box, its borders and padding, and the y/n line
	// with the blank before it leave room-1 lines of body.
	room := max(3, h-7)
	d.scrollable = len(text) > room
	if d.scrollable {
		d.offset = min(d.offset, len(text)-(room-1))
		more := len(text) - (room - 1) - d.offset
		text = append(text[d.offset:d.offset+room-1:d.offset+room-1], m.th.Faint.Render(m.asciiArrows(fmt.Sprintf("(line %d of %d; ↑/↓ scroll, %d more below)", d.offset+1, len(text), more))))
	}
	body := strings.Join(text, "\n") + "\n\n" + m.th.Bold.Render("y") + " " + d.yes + "    " + m.th.Bold.Render("n") + " cancel"
	lines := strings.Count(body, "\n") + 3
	box := boxed(st, " "+d.title+" ", body, dw, min(h, lines+1))
	return placeTop(box, w, h)
}

// placeTop centres a box horizontally two lines below the top.
func placeTop(box string, w, h int) string {
	lines := strings.Split(box, "\n")
	bw := 0
	for _, l := range lines {
		bw = max(bw, ansi.StringWidth(l))
	}
	pad := strings.Repeat(" ", max(0, (w-bw)/2))
	out := []string{"", ""}
	for _, l := range lines {
		out = append(out, pad+l)
	}
	return strings.Join(out, "\n")
}

// saveDialog shows the unified diff of every file a save changes and,
// after confirmation, writes through the workspace's safe writer. Nothing
// is written before "y" (and, when trust widens, the typed "yes").
type saveDialog struct {
	changes []*workspace.FileChange
	lines   []string
	offset  int
	errs    int
	widen   []policyio.Weakening
	typing  bool
	confirm textinput.Model
	err     string
	// trial: save for TrialDuration, then put back unless kept; canTry:
	// a trial backend is there to offer it.
	trial, canTry bool
}

func (m *Model) openSave() {
	if m.changeErr != nil {
		m.setStatus(true, "cannot render the policy: %v", m.changeErr)
		return
	}
	if m.change == nil {
		m.setStatus(false, "nothing to save: no staged changes")
		return
	}
	d := &saveDialog{changes: []*workspace.FileChange{m.change}, errs: m.problems.Count(model.Error), canTry: m.deps.Trial != nil}
	for _, c := range d.changes {
		d.widen = append(d.widen, c.Weakenings...)
		d.lines = append(d.lines, strings.Split(strings.TrimRight(c.Diff, "\n"), "\n")...)
	}
	d.confirm = textinput.New()
	d.confirm.Prompt = "type yes: "
	d.confirm.CharLimit = 8
	m.modal = d
}

func (d *saveDialog) update(m *Model, msg tea.Msg) (bool, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return false, nil
	}
	if d.typing {
		switch k.String() {
		case "esc":
			d.typing = false
			d.confirm.Blur()
			return false, nil
		case "enter":
			if strings.TrimSpace(d.confirm.Value()) != "yes" {
				d.err = `type "yes" to widen trust, or esc`
				return false, nil
			}
			return d.save(m, true)
		}
		var cmd tea.Cmd
		d.confirm, cmd = d.confirm.Update(k)
		return false, cmd
	}
	page := max(1, m.h-12)
	switch k.String() {
	case "esc", "n", "q":
		m.setStatus(false, "save cancelled: nothing was written")
		return true, nil
	case "up", "k":
		d.offset--
	case "down", "j":
		d.offset++
	case "pgup":
		d.offset -= page
	case "pgdown", "space":
		d.offset += page
	case "t":
		if m.deps.Trial == nil {
			return false, nil
		}
		d.trial = true
		fallthrough
	case "y", "enter":
		if d.errs > 0 {
			d.err = fmt.Sprintf("the staged policy has %d error(s); the runtime would refuse it. Fix them first (Problems view).", d.errs)
			return false, nil
		}
		if len(d.widen) > 0 {
			d.typing = true
			return false, d.confirm.Focus()
		}
		return d.save(m, false)
	}
	d.offset = max(0, min(d.offset, len(d.lines)-1))
	return false, nil
}

func (d *saveDialog) save(m *Model, allowWeaken bool) (bool, tea.Cmd) {
	// A local atomic write takes milliseconds; doing it here keeps the
	// workspace from being read by View while a goroutine changes it.
	if m.deps.Trial != nil {
		// The trial's revert would undo this save too.
		if dl, ok, err := m.deps.Trial.Pending(); err == nil && ok {
			d.err = fmt.Sprintf("a trial change is in progress until %s: keep it first (Overview, c) or wait for its revert", dl.Local().Format("15:04:05"))
			m.trialDeadline = dl
			return false, nil
		}
	}
	save := func() error { return m.deps.Policy.Save("", allowWeaken) }
	var err error
	var deadline time.Time
	if d.trial {
		deadline, err = m.deps.Trial.Try(save, TrialDuration)
	} else {
		err = save()
	}
	if err != nil {
		var ie *policyio.InvalidError
		if errors.As(err, &ie) {
			d.err = "refused, nothing written: " + safeErr(err)
		} else {
			d.err = "save failed, nothing changed: " + safeErr(err)
		}
		return false, nil
	}
	m.refresh()
	if d.trial {
		m.trialDeadline = deadline
		m.setStatus(false, "saved on trial: put back at %s unless kept (Overview, c)", deadline.Local().Format("15:04:05"))
		return true, nil
	}
	m.setStatus(false, "saved %s (backup kept)", safe(m.deps.Paths.Node(d.changes[0].Path)))
	return true, nil
}

func (d *saveDialog) bindings() []key.Binding {
	b := func(k, h string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, h)) }
	if d.typing {
		return []key.Binding{b("enter", "confirm"), b("esc", "back")}
	}
	if d.canTry {
		return []key.Binding{b("↑/↓", "scroll"), b("y", "write"), b("t", "try 5 min"), b("n/esc", "cancel")}
	}
	return []key.Binding{b("↑/↓", "scroll"), b("y", "write"), b("n/esc", "cancel")}
}

func (d *saveDialog) render(m *Model, w, h int) string {
	var head []string
	for _, c := range d.changes {
		verb := "will change"
		if len(c.Old) == 0 {
			verb = "will be created"
		}
		head = append(head, m.th.Bold.Render(safe(c.Path))+" "+verb+" (atomic write, backup of the old file, audit line)")
		if c.DropsComments {
			head = append(head, m.th.Warn.Render(m.th.G.Warn+" its comments will be lost: JSON written by imgtrust has none"))
		}
	}
	for _, wk := range d.widen {
		head = append(head, m.th.Fail.Render(m.th.G.Warn+" WIDENS TRUST: "+safe(wk.String())))
	}
	if d.errs > 0 {
		head = append(head, m.th.Fail.Render(fmt.Sprintf("%s %d error(s): cannot be saved", m.th.G.Fail, d.errs)))
	}
	head = strings.Split(wrap(strings.Join(head, "\n"), w-4), "\n")
	var foot []string
	switch {
	case d.errs > 0:
		foot = append(foot, "n/esc: back (nothing is written); fix the errors in the Problems view (6)")
	case d.typing:
		foot = append(foot, m.th.Fail.Render("This change lets in images that were refused before."), d.confirm.View())
	case len(d.widen) > 0:
		foot = append(foot, "y: continue (you will be asked to type yes)   n/esc: cancel, nothing is written")
	case m.deps.Trial != nil:
		foot = append(foot, "y: write   t: apply for 5 minutes, then revert unless confirmed   n/esc: cancel")
	default:
		foot = append(foot, "y: write the file   n/esc: cancel, nothing is written")
	}
	if d.err != "" {
		foot = append(foot, strings.Split(m.th.Fail.Render(wrap(d.err, w-4)), "\n")...)
	}
	innerH := h - 2
	diffH := max(1, innerH-len(head)-len(foot)-1)
	var diff []string
	for i := d.offset; i < len(d.lines) && len(diff) < diffH; i++ {
		diff = append(diff, m.styleDiffLine(d.lines[i]))
	}
	for len(diff) < diffH {
		diff = append(diff, "")
	}
	all := append(append(append(head, diff...), ""), foot...)
	title := fmt.Sprintf(" Review and save (diff %d/%d lines) ", min(d.offset+diffH, len(d.lines)), len(d.lines))
	return boxed(m.th.Dialog, title, strings.Join(all, "\n"), w, h)
}

func (m *Model) styleDiffLine(l string) string {
	// The old side is the file on disk as it was, whatever it holds; tabs
	// of a hand-indented file are shown as spaces.
	l = safe(strings.ReplaceAll(l, "\t", "    "))
	switch {
	case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		return m.th.Bold.Render(l)
	case strings.HasPrefix(l, "+"):
		return m.th.DiffAdd.Render(l)
	case strings.HasPrefix(l, "-"):
		return m.th.DiffDel.Render(l)
	case strings.HasPrefix(l, "@@"):
		return m.th.DiffHunk.Render(l)
	}
	return l
}
