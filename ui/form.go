package ui

import (
	"fmt"
	"strings"
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
)

// field is one line of a form: free text or a choice cycled with ←/→.
type field struct {
	key, label string
	kind       fieldKind
	in         textinput.Model
	opts       []string // values of a choice
	optLabels  []string // what is shown; defaults to opts
	sel        int
	explain    func(f *form) string
	show       func(f *form) bool
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

// form is a modal with fields, live validation and a preview of the
// problems the staged policy would have with this change applied.
type form struct {
	title   string
	fields  []*field
	focus   int
	err     string
	submit  func(m *Model, f *form) error
	preview func(m *Model, f *form) model.Diagnostics
	diags   model.Diagnostics
	note    string
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

func (f *form) move(m *Model, d int) tea.Cmd {
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
				return fd.label + ": " + msg
			}
		}
	}
	return ""
}

func (f *form) start(m *Model) tea.Cmd {
	f.focus = 0
	f.refreshPreview(m)
	if cur := f.focused(); cur != nil && cur.kind == fText {
		return cur.in.Focus()
	}
	return nil
}

func (f *form) refreshPreview(m *Model) {
	if f.preview != nil && f.blocking() == "" {
		f.diags = f.preview(m, f)
	} else {
		f.diags = nil
	}
}

func (f *form) update(m *Model, msg tea.Msg) (bool, tea.Cmd) {
	cur := f.focused()
	switch msg := msg.(type) {
	case tea.PasteMsg:
		if cur != nil && cur.kind == fText && cur.block && isBlock(msg.Content) {
			f.err = ""
			if len(msg.Content) > maxPaste {
				f.err = fmt.Sprintf("the pasted text is larger than %d KiB: give a file path instead", maxPaste>>10)
				return false, nil
			}
			cur.pasted = pastedLines(msg.Content)
			cur.in.SetValue("")
			cur.changed()
			f.refreshPreview(m)
			return false, nil
		}
		if cur != nil && cur.kind == fText {
			var cmd tea.Cmd
			cur.in, cmd = cur.in.Update(msg)
			cur.changed()
			f.refreshPreview(m)
			return false, cmd
		}
		return false, nil
	case tea.KeyPressMsg:
		f.err = ""
		if cur != nil && cur.kind == fText && msg.String() == "tab" && cur.in.ShowSuggestions &&
			cur.in.CurrentSuggestion() != "" && cur.in.CurrentSuggestion() != cur.in.Value() {
			var cmd tea.Cmd
			cur.in, cmd = cur.in.Update(msg) // tab completes a path before it moves on
			cur.changed()
			f.refreshPreview(m)
			return false, cmd
		}
		switch msg.String() {
		case "esc":
			return true, nil
		case "tab", "down":
			return false, f.move(m, 1)
		case "shift+tab", "up":
			return false, f.move(m, -1)
		case "enter":
			if f.focus < len(f.visibleFields())-1 {
				return false, f.move(m, 1)
			}
			if p := f.blocking(); p != "" {
				f.err = p
				return false, nil
			}
			if err := f.submit(m, f); err != nil {
				f.err = safeErr(err)
				return false, nil
			}
			return true, nil
		case "ctrl+s":
			if p := f.blocking(); p != "" {
				f.err = p
				return false, nil
			}
			if err := f.submit(m, f); err != nil {
				f.err = safeErr(err)
				return false, nil
			}
			return true, nil
		}
		if cur == nil {
			return false, nil
		}
		if cur.kind == fChoice {
			switch msg.String() {
			case "left", "h":
				cur.sel = (cur.sel + len(cur.opts) - 1) % len(cur.opts)
			case "right", "l", "space":
				cur.sel = (cur.sel + 1) % len(cur.opts)
			}
			f.refreshPreview(m)
			return false, nil
		}
		// Typing after a paste replaces the pasted block.
		cur.pasted = ""
		var cmd tea.Cmd
		cur.in, cmd = cur.in.Update(msg)
		cur.changed()
		f.refreshPreview(m)
		return false, cmd
	}
	if cur != nil && cur.kind == fText {
		var cmd tea.Cmd
		cur.in, cmd = cur.in.Update(msg)
		return false, cmd
	}
	return false, nil
}

func (f *form) bindings() []key.Binding {
	b := func(k, h string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, h)) }
	bs := []key.Binding{b("tab", "next field"), b("shift+tab", "prev")}
	if cur := f.focused(); cur != nil && cur.kind == fChoice {
		bs = append(bs, b("←/→", "choose"))
	}
	return append(bs, b("enter", "next/apply"), b("esc", "cancel"))
}

func (f *form) render(m *Model, w, h int) string {
	var b strings.Builder
	innerW := w - 4
	labelW := 18
	valW := innerW - labelW - 2
	vis := f.visibleFields()
	for i, fd := range vis {
		mark := "  "
		if i == f.focus {
			mark = m.th.G.Cursor + " "
		}
		label := fmt.Sprintf("%-*s", labelW, ansi.Truncate(fd.label, labelW-1, ""))
		var val string
		if fd.kind == fChoice {
			shown := fd.value()
			if fd.optLabels != nil && fd.sel < len(fd.optLabels) {
				shown = fd.optLabels[fd.sel]
			}
			val = fmt.Sprintf("< %s >", ansi.Truncate(safe(shown), valW-4, m.th.G.Ellipsis))
			if i == f.focus {
				val = m.th.Selected.Render(val)
			}
		} else if fd.pasted != "" {
			val = ansi.Truncate(fmt.Sprintf("[pasted: %d lines, %d bytes]",
				strings.Count(strings.TrimRight(fd.pasted, "\n"), "\n")+1, len(fd.pasted)), valW, m.th.G.Ellipsis)
			if i == f.focus {
				val = m.th.Selected.Render(val)
			}
		} else {
			fd.in.SetWidth(max(10, valW-1))
			val = showBidi(fd.in.View())
		}
		b.WriteString(mark + m.th.Bold.Render(label) + val + "\n")
		if fd.explain != nil {
			if e := fd.explain(f); e != "" {
				for _, l := range strings.Split(wrap(termsafe.Text(e), valW), "\n") {
					b.WriteString(strings.Repeat(" ", labelW+2) + m.th.Faint.Render(l) + "\n")
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
					b.WriteString(strings.Repeat(" ", labelW+2) + st.Render(strings.TrimRight(l, " ")) + "\n")
				}
			}
		}
	}
	b.WriteString("\n")
	if f.preview != nil {
		if p := f.blocking(); p != "" {
			b.WriteString(m.th.Fail.Render(m.th.G.Fail+" fix the field above first") + "\n")
		} else {
			e, wn := f.diags.Count(model.Error), f.diags.Count(model.Warning)
			line := fmt.Sprintf("With this change the policy has %d error(s), %d warning(s)", e, wn)
			st := m.th.OK
			if e > 0 {
				st = m.th.Fail
			} else if wn > 0 {
				st = m.th.Warn
			}
			b.WriteString(st.Render(line) + "\n")
			for i, d := range f.diags.Sorted() {
				if i == 2 {
					break
				}
				for j, l := range strings.Split(wrap(d.Severity.String()+": "+safe(d.Message), innerW-4), "\n") {
					ind := "  "
					if j > 0 {
						ind = "    "
					}
					b.WriteString(ind + strings.TrimRight(l, " ") + "\n")
				}
			}
		}
	}
	if f.note != "" {
		b.WriteString(m.th.Faint.Render(wrap(f.note, innerW)) + "\n")
	}
	if f.err != "" {
		b.WriteString(m.th.Fail.Render(wrap(m.th.G.Fail+" "+termsafe.Text(f.err), innerW)) + "\n")
	}
	return boxed(m.th.PaneFocused.Padding(0, 1), " "+f.title+" ", b.String(), w, h)
}
