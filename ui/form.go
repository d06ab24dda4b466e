package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/termsafe"
)

type fieldKind int

const (
	fText fieldKind = iota
	fChoice
	fCheck // a box marked with space: one entry of a multi-select
)

// field is one line of a form: free text, a choice cycled with left/right,
// or a check box.
type field struct {
	key, label string
	kind       fieldKind
	in         textinput.Model
	opts       []string // values of a choice
	optLabels  []string // what is shown; defaults to opts
	sel        int
	// on and caption are a check box's state and the text beside it.
	on      bool
	caption string
	explain func(f *form) string
	show    func(f *form) bool
	// check validates live; warn marks a message that does not block.
	check func(f *form) (msg string, warn bool)
	// onChange runs after the text changed (path completion, say).
	onChange func(fd *field)
	// block lets a multi-line paste (an armored key) be kept whole in
	// pasted: the one-line input would turn its newlines into spaces.
	block  bool
	pasted string
}

// pastedLines turns the CR line ends terminals send for pasted text into
// LF. Binary data (a pasted binary key) is kept byte for byte: a 0x0d in a
// key packet is not a line end.
func pastedLines(s string) string {
	if !utf8.ValidString(s) {
		return s
	}
	for _, r := range s {
		if (r < 0x20 && r != '\r' && r != '\n' && r != '\t') || r == 0x7f {
			return s
		}
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// isBlock tells a pasted block (several lines, armor, binary, or longer
// than any path) from a pasted one-line value such as a path, which may
// come with a line end.
func isBlock(s string) bool {
	t := strings.TrimSpace(s)
	if strings.ContainsAny(t, "\r\n") || strings.Contains(t, "-----BEGIN") || len(t) > 1024 || !utf8.ValidString(t) {
		return true
	}
	for _, r := range t {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// maxPaste bounds a pasted block, as the input's character limit bounds
// typed text.
const maxPaste = 1 << 20

func (fd *field) value() string {
	if fd.pasted != "" {
		return fd.pasted
	}
	if fd.kind == fCheck {
		if fd.on {
			return "yes"
		}
		return ""
	}
	if fd.kind == fChoice {
		if fd.sel < len(fd.opts) {
			return fd.opts[fd.sel]
		}
		return ""
	}
	return strings.TrimSpace(fd.in.Value())
}

func (fd *field) setChoice(v string) {
	for i, o := range fd.opts {
		if o == v {
			fd.sel = i
		}
	}
}

func (fd *field) changed() {
	if fd.onChange != nil {
		fd.onChange(fd)
	}
}

func textField(key, label, value, placeholder string) *field {
	in := textinput.New()
	in.Prompt = ""
	if placeholder != "" {
		// Without colour a placeholder looks like a value: say it is one.
		in.Placeholder = "e.g. " + placeholder
	}
	in.CharLimit = 1024
	in.SetValue(value)
	in.SetStyles(textinput.DefaultStyles(true))
	return &field{key: key, label: label, kind: fText, in: in}
}

func choiceField(key, label string, opts, labels []string) *field {
	return &field{key: key, label: label, kind: fChoice, opts: opts, optLabels: labels}
}

func checkField(key, label, caption string, on bool) *field {
	return &field{key: key, label: label, kind: fCheck, caption: caption, on: on}
}

// form is a modal with fields, live validation and a preview of the
// problems the staged policy would have with this change applied.
type form struct {
	title  string
	fields []*field
	focus  int
	err    string
	submit func(m *Model, f *form) error
	// submitCmd, when set, replaces submit: it says what happens to the
	// form, and work that reads files is its command, whose result async
	// takes (the form stays open meanwhile).
	submitCmd func(m *Model, f *form) (action, tea.Cmd)
	// preview, when set, is called on every change and returns the work
	// that judges the staged policy with the change applied; it runs in a
	// tea.Cmd (it reads key files), and its result comes back as a
	// formPreviewMsg.
	preview func(m *Model, f *form) func() model.Diagnostics
	// previewDelay, when set, waits that long after a change before the
	// preview runs, so that typing into a form over a large policy does
	// not judge the whole policy once per keystroke.
	previewDelay time.Duration
	// changed runs after every change of a value, before the fields are
	// checked: the rule form validates its requirement there and starts
	// reading a key file to embed.
	changed func(m *Model, f *form) tea.Cmd
	// async takes the results of the Cmds changed starts.
	// A nil action: the message was not for it.
	async func(m *Model, f *form, msg tea.Msg) (action, tea.Cmd)
	diags model.Diagnostics
	// previewSeq numbers preview runs: only the latest one's result is
	// kept; previewed is the number of the one diags holds.
	previewSeq, previewed int
	// pending is the async work of the last change, which tests run at
	// once (the program runs the Cmd update returned).
	pending tea.Cmd
	note    string
	keys    *formKeyMap
	// top is the first line of the fields shown when they do not fit.
	top int
}

// formPreviewDueMsg says a delayed preview may run if nothing changed
// since it was asked for.
type formPreviewDueMsg struct {
	form *form
	seq  int
	job  func() model.Diagnostics
}

// formPreviewMsg carries a preview's diagnostics back to its form.
type formPreviewMsg struct {
	form  *form
	seq   int
	diags model.Diagnostics
}

// formKeyMap is the form's keys: update matches with them and the footer
// shows them, so that the two cannot disagree.
type formKeyMap struct {
	Next, Prev, Apply, Save, Cancel key.Binding
	PrevOpt, NextOpt, Toggle        key.Binding
	// Choose is PrevOpt and NextOpt together, for the footer.
	Choose key.Binding
	// Complete is tab while a path completion is offered.
	Complete key.Binding
}

func newFormKeyMap() *formKeyMap {
	b := func(keys []string, k, h string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, h))
	}
	km := &formKeyMap{
		Next:     b([]string{"tab", "down"}, "tab", "next"),
		Prev:     b([]string{"shift+tab", "up"}, "shift+tab", "prev"),
		Apply:    b([]string{"enter"}, "enter", "next/apply"),
		Save:     b([]string{"ctrl+s"}, "ctrl+s", "apply"),
		Cancel:   b([]string{"esc"}, "esc", "cancel"),
		PrevOpt:  b([]string{"left", "h"}, "←", "prev choice"),
		NextOpt:  b([]string{"right", "l", "space"}, "→", "next choice"),
		Toggle:   b([]string{"space", "x"}, "space", "mark"),
		Complete: b([]string{"tab"}, "tab", "complete"),
	}
	km.Choose = b(append(km.PrevOpt.Keys(), km.NextOpt.Keys()...), "←/→", "choose")
	return km
}

func (f *form) km() *formKeyMap {
	if f.keys == nil {
		f.keys = newFormKeyMap()
	}
	return f.keys
}

func (f *form) get(key string) *field {
	for _, fd := range f.fields {
		if fd.key == key {
			return fd
		}
	}
	return nil
}

func (f *form) val(key string) string {
	if fd := f.get(key); fd != nil && f.visible(fd) {
		return fd.value()
	}
	return ""
}

func (f *form) visible(fd *field) bool { return fd.show == nil || fd.show(f) }

func (f *form) visibleFields() []*field {
	var out []*field
	for _, fd := range f.fields {
		if f.visible(fd) {
			out = append(out, fd)
		}
	}
	return out
}

func (f *form) focused() *field {
	vis := f.visibleFields()
	if len(vis) == 0 {
		return nil
	}
	if f.focus >= len(vis) {
		f.focus = len(vis) - 1
	}
	return vis[f.focus]
}

func (f *form) move(d int) tea.Cmd {
	if cur := f.focused(); cur != nil && cur.kind == fText {
		cur.in.Blur()
	}
	n := len(f.visibleFields())
	f.focus = (f.focus + d + n) % n
	if cur := f.focused(); cur != nil && cur.kind == fText {
		return cur.in.Focus()
	}
	return nil
}

// blocking returns the first blocking field problem.
func (f *form) blocking() string {
	for _, fd := range f.visibleFields() {
		if fd.check != nil {
			if msg, warn := fd.check(f); msg != "" && !warn {
				return strings.TrimSpace(fd.label) + ": " + msg
			}
		}
	}
	return ""
}

func (f *form) start(m *Model) tea.Cmd {
	f.focus = 0
	cmds := []tea.Cmd{f.refresh(m)}
	if cur := f.focused(); cur != nil && cur.kind == fText {
		cmds = append(cmds, cur.in.Focus())
	}
	return tea.Batch(cmds...)
}

// refresh runs after a value changed: the form's own checks, then a new
// preview. The returned Cmd does the work that may read files.
func (f *form) refresh(m *Model) tea.Cmd {
	var cmds []tea.Cmd
	if f.changed != nil {
		cmds = append(cmds, f.changed(m, f))
	}
	if f.preview != nil {
		f.previewSeq++
		if f.blocking() == "" {
			job, seq := f.preview(m, f), f.previewSeq
			if f.previewDelay > 0 {
				cmds = append(cmds, tea.Tick(f.previewDelay, func(time.Time) tea.Msg { return formPreviewDueMsg{form: f, seq: seq, job: job} }))
			} else {
				cmds = append(cmds, runPreview(f, seq, job))
			}
		} else {
			f.diags, f.previewed = nil, f.previewSeq
		}
	}
	f.pending = tea.Batch(cmds...)
	return f.pending
}

func runPreview(f *form, seq int, job func() model.Diagnostics) tea.Cmd {
	return func() tea.Msg { return formPreviewMsg{form: f, seq: seq, diags: job()} }
}

// previewing reports whether the shown preview is older than the values.
func (f *form) previewing() bool { return f.preview != nil && f.previewed != f.previewSeq }

func (f *form) apply(m *Model) (action, tea.Cmd) {
	if p := f.blocking(); p != "" {
		f.err = p
		return stayOpen{}, nil
	}
	if f.submitCmd != nil {
		return f.submitCmd(m, f)
	}
	if err := f.submit(m, f); err != nil {
		f.err = safeErr(err)
		return stayOpen{}, nil
	}
	return closeModal{}, nil
}

func (f *form) update(m *Model, msg tea.Msg) (action, tea.Cmd) {
	cur := f.focused()
	km := f.km()
	switch msg := msg.(type) {
	case formPreviewMsg:
		if msg.form == f && msg.seq == f.previewSeq {
			f.diags, f.previewed = msg.diags, msg.seq
		}
		return stayOpen{}, nil
	case formPreviewDueMsg:
		if msg.form == f && msg.seq == f.previewSeq {
			return stayOpen{}, runPreview(f, msg.seq, msg.job)
		}
		return stayOpen{}, nil // a later change asked for its own
	case tea.PasteMsg:
		if cur != nil && cur.kind == fText && cur.block && isBlock(msg.Content) {
			f.err = ""
			if len(msg.Content) > maxPaste {
				f.err = fmt.Sprintf("the pasted text is larger than %d KiB: give a file path instead", maxPaste>>10)
				return stayOpen{}, nil
			}
			cur.pasted = pastedLines(msg.Content)
			cur.in.SetValue("")
			cur.changed()
			return stayOpen{}, f.refresh(m)
		}
		if cur != nil && cur.kind == fText {
			var cmd tea.Cmd
			cur.in, cmd = cur.in.Update(msg)
			cur.changed()
			return stayOpen{}, tea.Batch(cmd, f.refresh(m))
		}
		return stayOpen{}, nil
	case tea.KeyPressMsg:
		f.err = ""
		if cur != nil && cur.kind == fText && key.Matches(msg, km.Complete) && cur.in.ShowSuggestions &&
			cur.in.CurrentSuggestion() != "" && cur.in.CurrentSuggestion() != cur.in.Value() {
			var cmd tea.Cmd
			cur.in, cmd = cur.in.Update(msg) // tab completes a path before it moves on
			cur.changed()
			return stayOpen{}, tea.Batch(cmd, f.refresh(m))
		}
		switch {
		case key.Matches(msg, km.Cancel):
			return closeModal{}, nil
		case key.Matches(msg, km.Next):
			return stayOpen{}, f.move(1)
		case key.Matches(msg, km.Prev):
			return stayOpen{}, f.move(-1)
		case key.Matches(msg, km.Apply):
			if f.focus < len(f.visibleFields())-1 {
				return stayOpen{}, f.move(1)
			}
			return f.apply(m)
		case key.Matches(msg, km.Save):
			return f.apply(m)
		}
		if cur == nil {
			return stayOpen{}, nil
		}
		switch cur.kind {
		case fCheck:
			if !key.Matches(msg, km.Toggle) {
				return stayOpen{}, nil
			}
			cur.on = !cur.on
			return stayOpen{}, f.refresh(m)
		case fChoice:
			switch {
			case len(cur.opts) == 0:
				return stayOpen{}, nil
			case key.Matches(msg, km.PrevOpt):
				cur.sel = (cur.sel + len(cur.opts) - 1) % len(cur.opts)
			case key.Matches(msg, km.NextOpt):
				cur.sel = (cur.sel + 1) % len(cur.opts)
			default:
				return stayOpen{}, nil
			}
			return stayOpen{}, f.refresh(m)
		}
		// Typing after a paste replaces the pasted block.
		cur.pasted = ""
		before := cur.in.Value()
		var cmd tea.Cmd
		cur.in, cmd = cur.in.Update(msg)
		if cur.in.Value() == before {
			return stayOpen{}, cmd // the cursor moved: nothing to check again
		}
		cur.changed()
		return stayOpen{}, tea.Batch(cmd, f.refresh(m))
	}
	if f.async != nil {
		if act, cmd := f.async(m, f, msg); act != nil {
			return act, cmd
		}
	}
	if cur != nil && cur.kind == fText {
		var cmd tea.Cmd
		cur.in, cmd = cur.in.Update(msg)
		return stayOpen{}, cmd
	}
	return stayOpen{}, nil
}

func (f *form) bindings() []key.Binding {
	km := f.km()
	bs := []key.Binding{km.Next, km.Prev}
	if cur := f.focused(); cur != nil {
		switch cur.kind {
		case fChoice:
			bs = append(bs, km.Choose)
		case fCheck:
			bs = append(bs, km.Toggle)
		}
	}
	return append(bs, km.Apply, km.Cancel)
}

const formLabelW = 18

// renderField draws one field with its explanation (when full) and its
// live check.
func (f *form) renderField(m *Model, fd *field, focused, full bool, valW int) []string {
	mark := "  "
	if focused {
		mark = m.th.G.Cursor + " "
	}
	label := fmt.Sprintf("%-*s", formLabelW, ansi.Truncate(fd.label, formLabelW-1, ""))
	var val string
	switch {
	case fd.kind == fCheck:
		box := "[ ] "
		if fd.on {
			box = "[x] "
		}
		val = box + ansi.Truncate(safe(fd.caption), valW-4, m.th.G.Ellipsis)
		if focused {
			val = m.th.Selected.Render(val)
		}
	case fd.kind == fChoice:
		shown := fd.value()
		if fd.optLabels != nil && fd.sel < len(fd.optLabels) {
			shown = fd.optLabels[fd.sel]
		}
		val = fmt.Sprintf("< %s >", ansi.Truncate(safe(shown), valW-4, m.th.G.Ellipsis))
		if focused {
			val = m.th.Selected.Render(val)
		}
	case fd.pasted != "":
		val = ansi.Truncate(fmt.Sprintf("[pasted: %d lines, %d bytes]",
			strings.Count(strings.TrimRight(fd.pasted, "\n"), "\n")+1, len(fd.pasted)), valW, m.th.G.Ellipsis)
		if focused {
			val = m.th.Selected.Render(val)
		}
	default:
		fd.in.SetWidth(max(10, valW-1))
		val = showBidi(fd.in.View())
	}
	out := []string{mark + m.th.Bold.Render(label) + val}
	indent := strings.Repeat(" ", formLabelW+2)
	if fd.explain != nil && (full || focused) {
		if e := fd.explain(f); e != "" {
			for _, l := range strings.Split(wrap(termsafe.Text(e), valW), "\n") {
				out = append(out, indent+m.th.Faint.Render(l))
			}
		}
	}
	if fd.check != nil {
		if msg, warn := fd.check(f); msg != "" {
			st, g := m.th.Fail, m.th.G.Fail
			if warn {
				st, g = m.th.Warn, m.th.G.Warn
			}
			// Wrapped, never cut: the end of a check is its reason.
			for _, l := range strings.Split(wrap(g+" "+safe(msg), valW), "\n") {
				out = append(out, indent+st.Render(strings.TrimRight(l, " ")))
			}
		}
	}
	return out
}

func (f *form) render(m *Model, w, h int) string {
	innerW := w - 4
	valW := innerW - formLabelW - 2
	var tail []string
	tail = append(tail, "")
	if f.preview != nil {
		if p := f.blocking(); p != "" {
			tail = append(tail, m.th.Fail.Render(m.th.G.Fail+" fix the field above first"))
		} else if f.previewed == 0 {
			tail = append(tail, m.th.Faint.Render("checking the policy with this change"+m.th.G.Ellipsis))
		} else {
			e, wn := f.diags.Count(model.Error), f.diags.Count(model.Warning)
			line := fmt.Sprintf("With this change the policy has %d error(s), %d warning(s)", e, wn)
			st := m.th.OK
			if e > 0 {
				st = m.th.Fail
			} else if wn > 0 {
				st = m.th.Warn
			}
			if f.previewing() {
				line += m.th.G.Ellipsis
			}
			tail = append(tail, st.Render(line))
			for i, d := range f.diags.Sorted() {
				if i == 2 {
					break
				}
				// Wrapped, not cut: it may be the only place the problem shows.
				for j, l := range strings.Split(wrap(d.Severity.String()+": "+safe(d.Message), innerW-4), "\n") {
					ind := "  "
					if j > 0 {
						ind = "    "
					}
					tail = append(tail, ind+strings.TrimRight(l, " "))
				}
			}
		}
	}
	if f.note != "" {
		tail = append(tail, strings.Split(m.th.Faint.Render(wrap(f.note, innerW)), "\n")...)
	}
	if f.err != "" {
		tail = append(tail, strings.Split(m.th.Fail.Render(wrap(m.th.G.Fail+" "+termsafe.Text(f.err), innerW)), "\n")...)
	}
	room := max(3, h-2-len(tail)) // the box's border takes two lines
	vis := f.visibleFields()
	lines, focusAt, focusEnd := f.fieldLines(m, vis, true, valW)
	if len(lines) > room {
		// Too tall: explanations only for the focused field, and the
		// fields scroll to keep it in view.
		lines, focusAt, focusEnd = f.fieldLines(m, vis, false, valW)
	}
	if len(lines) > room {
		f.top = min(max(f.top, focusEnd-room+1), focusAt, len(lines)-room)
		f.top = max(0, f.top)
		more := func(s string) string { return m.th.Faint.Render(s) }
		win := slices.Clone(lines[f.top : f.top+room])
		if f.top > 0 {
			win[0] = more(fmt.Sprintf("  (%d more line(s) above: shift+tab)", f.top))
		}
		if below := len(lines) - f.top - room; below > 0 {
			win[room-1] = more(fmt.Sprintf("  (%d more line(s) below: tab)", below))
		}
		lines = win
	} else {
		f.top = 0
	}
	body := strings.Join(append(lines, tail...), "\n") + "\n"
	return boxed(m.th.PaneFocused.Padding(0, 1), " "+f.title+" ", body, w, h)
}

// fieldLines renders the visible fields and says where the focused one
// starts and ends.
func (f *form) fieldLines(m *Model, vis []*field, full bool, valW int) (lines []string, focusAt, focusEnd int) {
	for i, fd := range vis {
		if i == f.focus {
			focusAt = len(lines)
		}
		lines = append(lines, f.renderField(m, fd, i == f.focus, full, valW)...)
		if i == f.focus {
			focusEnd = len(lines) - 1
		}
	}
	return lines, focusAt, focusEnd
}
