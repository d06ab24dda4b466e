package ui

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
)

// lintDelay is how long typing must pause before the buffer is linted
// again: parsing a large policy on every keystroke would lag the editor.
const lintDelay = 250 * time.Millisecond

// rawEditor edits policy.json as text, with the problems of the buffer
// beneath it. It is a modal so that it receives every message (its lint
// ticks and results); its save stages the text in the workspace and opens
// the same save review as every other edit.
type rawEditor struct {
	label string // the file's node path, for the title and positions
	file  string // the host path diagnostics name
	ta    textarea.Model
	orig  string
	// lintText checks a buffer; it runs in a tea.Cmd (it may read files)
	// and must not touch the model. stage stages the saved text.
	lintText func(text string) model.Diagnostics
	stage    func(m *Model, text []byte) error
	yaml     bool // registries.d: no JSON comment stripping
	loading  bool // the text is being read (registries.d)

	// seq counts buffer changes; a lint tick or result for an older seq is
	// stale and dropped. lintedSeq is noLintYet until the first check.
	seq, lintedSeq int
	diags          model.Diagnostics
	sel            int
	err            string
	keys           editorKeys
	// choice is open while the admin picks one of several quick fixes.
	choice *fixChoice
}

type editorKeys struct {
	Save, Close, NextProblem, PrevProblem, GoProblem, Fix, StripComments key.Binding
}

func newEditorKeys() editorKeys {
	return editorKeys{
		Save:        key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "stage + review save")),
		Close:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close (discard)")),
		NextProblem: key.NewBinding(key.WithKeys("ctrl+n"), key.WithHelp("ctrl+n", "next problem")),
		PrevProblem: key.NewBinding(key.WithKeys("ctrl+p"), key.WithHelp("ctrl+p", "prev problem")),
		GoProblem:   key.NewBinding(key.WithKeys("ctrl+g"), key.WithHelp("ctrl+g", "go to problem")),
		Fix:         key.NewBinding(key.WithKeys("ctrl+f"), key.WithHelp("ctrl+f", "quick fix")),
		StripComments: key.NewBinding(key.WithKeys("ctrl+x"),
			key.WithHelp("ctrl+x", "drop comments, trailing commas")),
	}
}

type editorLintTickMsg struct{ seq int }

// editorTextMsg brings the text of a file read off the Update path.
type editorTextMsg struct {
	file string
	text []byte
	err  error
	at   model.Pos
}

type editorLintDoneMsg struct {
	seq   int
	diags model.Diagnostics
}

// openRawEditor opens policy.json's text; at is where to put the cursor
// (line 0: the top).
func (m *Model) openRawEditor(at model.Pos) tea.Cmd {
	raw, ok := m.deps.Policy.(RawPolicyBackend)
	if !ok {
		m.setStatus(true, "this session has no text editor for policy.json")
		return nil
	}
	text, err := raw.PolicyText()
	if err != nil {
		m.setStatus(true, "cannot open the editor: %v", err)
		return nil
	}
	file, paths, rules := m.deps.Paths.Policy, m.deps.Paths, m.deps.Rules
	e := newRawEditor(m.deps.Paths.Node(file), file)
	e.lintText = func(text string) model.Diagnostics {
		p, diags := rules.ParsePolicy(file, []byte(text))
		if p != nil {
			diags = append(diags, rules.CheckKeyFiles(p, paths)...)
		}
		return diags.Sorted()
	}
	e.stage = func(m *Model, text []byte) error {
		return m.deps.Policy.(RawPolicyBackend).StageRaw("policy.json edited as text", text)
	}
	e.setText(string(text), at)
	m.modal = e
	return tea.Batch(e.ta.Focus(), e.lint(m))
}

// noLintYet is the lintedSeq of an editor whose text was never checked.
const noLintYet = -1

func newRawEditor(label, file string) *rawEditor {
	e := &rawEditor{label: label, file: file, keys: newEditorKeys(), lintedSeq: noLintYet}
	e.ta = textarea.New()
	e.ta.ShowLineNumbers = true
	e.ta.Prompt = ""
	e.ta.CharLimit = 0
	e.ta.MaxHeight = 0
	e.ta.MaxWidth = 0
	// The editor's own keys win over the textarea's emacs-style ones.
	e.ta.KeyMap.LineNext.SetKeys("down")
	e.ta.KeyMap.LinePrevious.SetKeys("up")
	e.ta.KeyMap.SelectAll.SetEnabled(false)
	e.ta.KeyMap.CharacterForward.SetKeys("right")
	return e
}

func (e *rawEditor) setText(text string, at model.Pos) {
	e.orig = text
	e.ta.SetValue(e.orig)
	e.ta.MoveToBegin()
	e.moveTo(at)
	if e.ta.Value() != text && strings.Contains(text, "\t") {
		// The textarea holds no tabs: say so rather than change the
		// file behind the admin's back (for YAML, tabs are the error).
		e.err = "the file's tabs are shown as spaces, and a save writes spaces"
	}
}

// moveTo puts the cursor at a diagnostic's line and column (1-based; the
// column counts bytes, which is runes for the ASCII a policy mostly is).
func (e *rawEditor) moveTo(p model.Pos) {
	if p.Line <= 0 {
		return
	}
	e.ta.MoveToBegin()
	// CursorDown steps over soft-wrapped rows too: step until the logical
	// line is reached, bounded by the buffer's size.
	for i := 0; e.ta.Line() < p.Line-1 && i < e.ta.Length()+e.ta.LineCount(); i++ {
		line, col := e.ta.Line(), e.ta.Column()
		e.ta.CursorDown()
		if e.ta.Line() == line && e.ta.Column() == col {
			break // the last row of the buffer
		}
	}
	e.ta.SetCursorColumn(max(0, p.Col-1))
}

// lint returns the command that lints the buffer as it is now: the parse
// runs off the keystroke path, and the key-file checks (file I/O) never
// run in Update.
func (e *rawEditor) lint(m *Model) tea.Cmd {
	seq, text, lint := e.seq, e.ta.Value(), e.lintText
	return func() tea.Msg {
		return editorLintDoneMsg{seq: seq, diags: lint(text)}
	}
}

func (e *rawEditor) bindings() []key.Binding {
	if e.choice != nil {
		return fixChoiceKeys
	}
	if e.yaml {
		return []key.Binding{e.keys.Save, e.keys.NextProblem, e.keys.Fix, e.keys.Close, e.keys.PrevProblem, e.keys.GoProblem}
	}
	return []key.Binding{e.keys.Save, e.keys.NextProblem, e.keys.Fix, e.keys.StripComments, e.keys.Close, e.keys.PrevProblem, e.keys.GoProblem}
}

func (e *rawEditor) update(m *Model, msg tea.Msg) (action, tea.Cmd) {
	switch msg := msg.(type) {
	case editorLintTickMsg:
		if msg.seq != e.seq {
			return stayOpen{}, nil // typing went on; a later tick lints
		}
		return stayOpen{}, e.lint(m)
	case editorTextMsg:
		if e.loading && msg.file == e.file {
			e.loading = false
			if msg.err != nil {
				m.setStatus(true, "cannot open the editor: %v", msg.err)
				return closeModal{}, nil
			}
			e.setText(string(msg.text), msg.at)
			return stayOpen{}, e.lint(m)
		}
		return stayOpen{}, nil
	case editorLintDoneMsg:
		if msg.seq == e.seq {
			e.diags, e.lintedSeq = msg.diags, msg.seq
			e.sel = max(0, min(e.sel, len(e.diags)-1))
		}
		return stayOpen{}, nil
	case tea.KeyPressMsg:
		if e.loading {
			if key.Matches(msg, e.keys.Close) {
				return closeModal{}, nil
			}
			return stayOpen{}, nil
		}
		if e.choice != nil {
			i, done := e.choice.key(msg)
			if done {
				e.choice = nil
			}
			if i >= 0 {
				return stayOpen{}, e.applyFix(m, i)
			}
			return stayOpen{}, nil
		}
		switch {
		case key.Matches(msg, e.keys.Close):
			if e.ta.Value() != e.orig {
				m.setStatus(false, "editor closed: its text was discarded (nothing staged)")
			}
			return closeModal{}, nil
		case key.Matches(msg, e.keys.Save):
			return e.save(m)
		case key.Matches(msg, e.keys.NextProblem), key.Matches(msg, e.keys.PrevProblem):
			if len(e.diags) == 0 {
				return stayOpen{}, nil
			}
			d := 1
			if key.Matches(msg, e.keys.PrevProblem) {
				d = len(e.diags) - 1
			}
			e.sel = (e.sel + d) % len(e.diags)
			e.moveTo(e.diags[e.sel].Pos)
			return stayOpen{}, nil
		case key.Matches(msg, e.keys.Fix), key.Matches(msg, e.keys.StripComments) && !e.yaml:
			return stayOpen{}, e.fix(m, key.Matches(msg, e.keys.StripComments))
		case key.Matches(msg, e.keys.GoProblem):
			if e.sel < len(e.diags) {
				e.moveTo(e.diags[e.sel].Pos)
			}
			return stayOpen{}, nil
		}
	case tea.PasteMsg:
	default:
		var cmd tea.Cmd
		e.ta, cmd = e.ta.Update(msg)
		return stayOpen{}, cmd
	}
	before := e.ta.Value()
	var cmd tea.Cmd
	e.ta, cmd = e.ta.Update(msg)
	if e.ta.Value() == before {
		return stayOpen{}, cmd
	}
	e.err = ""
	e.seq++
	seq := e.seq
	return stayOpen{}, tea.Batch(cmd, tea.Tick(lintDelay, func(time.Time) tea.Msg { return editorLintTickMsg{seq: seq} }))
}

// save stages the buffer and opens the save review; text that is not even
// JSON stays in the editor with the reason.
func (e *rawEditor) save(m *Model) (action, tea.Cmd) {
	if e.ta.Value() == e.orig {
		e.err = "nothing changed in the text"
		return stayOpen{}, nil
	}
	if err := e.stage(m, []byte(e.ta.Value())); err != nil {
		e.err = err.Error()
		return stayOpen{}, nil
	}
	return reviewSave{status: fmt.Sprintf("staged: %s edited as text (u undoes)", safe(e.label))}, nil
}

func (e *rawEditor) render(m *Model, w, h int) string {
	listH := min(8, max(4, h/3))
	edH := h - listH - 2
	e.ta.SetWidth(w - 2)
	e.ta.SetHeight(max(3, edH-2))
	title := fmt.Sprintf(" Edit %s  line %d, col %d ", safe(e.label), e.ta.Line()+1, e.ta.LineInfo().ColumnOffset+1)
	if ansi.StringWidth(title) > w-6 {
		// A long registries.d name: the position matters more than the
		// directory, which every file of it shares.
		title = fmt.Sprintf(" Edit %s  line %d, col %d ", safe(filepath.Base(e.label)), e.ta.Line()+1, e.ta.LineInfo().ColumnOffset+1)
	}
	top := boxed(m.th.PaneFocused, title, e.ta.View(), w, edH)

	var lines []string
	state := ""
	if e.lintedSeq != e.seq {
		state = " (checking...)"
	}
	switch {
	case e.err != "":
		lines = append(lines, m.th.Fail.Render(ansi.Truncate(safe(e.err), w-4, m.th.G.Ellipsis)))
	}
	switch {
	case len(e.diags) == 0 && e.lintedSeq == noLintYet:
		// Opened, not checked yet: never a green mark before the check.
		lines = append(lines, m.th.Faint.Render("checking the text..."))
	case len(e.diags) == 0:
		lines = append(lines, m.th.OK.Render(m.th.G.OK+" no problems in the text"+state))
	}
	n := listH - 2 - len(lines)
	start := max(0, min(e.sel-n/2, len(e.diags)-n))
	for i := start; i < len(e.diags) && len(lines) < listH-3; i++ {
		d := e.diags[i]
		where := fmt.Sprintf("%d:%d", d.Pos.Line, d.Pos.Col)
		if d.Pos.Line == 0 {
			where = "-"
		}
		text := fmt.Sprintf(" %-7s %s", where, safe(d.Message))
		text = ansi.Truncate(text, w-14, m.th.G.Ellipsis)
		if i == e.sel {
			text = m.th.Selected.Render(text)
		}
		lines = append(lines, m.sevLabel(d.Severity)+text)
	}
	if e.sel < len(e.diags) && e.diags[e.sel].Fix != "" {
		d := e.diags[e.sel]
		fix := "  fix: " + safe(d.Fix)
		switch {
		case len(d.Fixes) > 1:
			fix = fmt.Sprintf("  ctrl+f: %d choices: %s", len(d.Fixes), safe(d.Fix))
		case len(d.Fixes) == 1:
			fix = "  ctrl+f: " + safe(d.Fixes[0].Title)
		case d.Replacement != "":
			fix = "  ctrl+f writes " + safe(d.Replacement) + ": " + safe(d.Fix)
		}
		lines = append(lines, ansi.Truncate(fix, w-4, m.th.G.Ellipsis))
	}
	if e.choice != nil {
		lines = e.choice.lines(m, w-4)
	}
	bottom := boxed(m.th.Pane, fmt.Sprintf(" Problems of the text (%d)%s ", len(e.diags), state), strings.Join(lines, "\n"), w, listH+2)
	return top + "\n" + bottom
}

// policyUnparsable reports whether policy.json gives no tree (see
// workspace.Unparsable): the Policy view then offers only the editor.
func (m *Model) policyUnparsable() bool {
	raw, ok := m.deps.Policy.(RawPolicyBackend)
	return ok && raw.TextOnly()
}

func (v *policyView) renderUnparsable(m *Model, w, h int) string {
	var b strings.Builder
	if raw, ok := m.deps.Policy.(RawPolicyBackend); ok && !raw.Unparsable() {
		b.WriteString(m.th.Fail.Render(m.th.G.Fail+" the staged policy text has errors") + "\n\n")
		b.WriteString(wrap("The tree would show only what it could read of that text, and a save of it would drop the rest: fix the text first.", w-4) + "\n\n")
	} else {
		b.WriteString(m.th.Fail.Render(m.th.G.Fail+" policy.json cannot be parsed") + "\n\n")
		b.WriteString(wrap("The runtime refuses every pull until it is repaired. The tree is empty only because the file could not be read: it cannot be edited here, and nothing built from it can be saved over the file.", w-4) + "\n\n")
	}
	for _, d := range m.problems {
		if d.Severity == model.Error && d.Target == nil && strings.HasPrefix(d.Pos.File, m.deps.Paths.Policy) {
			b.WriteString(wrap(safe(fmt.Sprintf("%s:%d:%d: %s", m.deps.Paths.Node(m.deps.Paths.Policy), d.Pos.Line, d.Pos.Col, d.Message)), w-4) + "\n")
			if d.Fix != "" {
				b.WriteString(wrap("fix: "+safe(d.Fix), w-4) + "\n")
			}
			break
		}
	}
	b.WriteString("\n" + m.th.Key.Render("E") + " opens the file in the editor, cursor on the error; Problems (6) lists it.")
	return boxed(m.th.PaneFocused, " Policy ", b.String(), w, h)
}

// firstTextError is where the editor opens from the Policy view: on the
// first error of the file's text when it cannot be parsed, else the top.
func (m *Model) firstTextError() model.Pos {
	if !m.policyUnparsable() {
		return model.Pos{}
	}
	for _, d := range m.problems {
		if d.Severity == model.Error && d.Pos.Line > 0 && strings.HasPrefix(d.Pos.File, m.deps.Paths.Policy) {
			return d.Pos
		}
	}
	return model.Pos{}
}

// fix rewrites the buffer in memory: the selected problem's quick fix
// (Rules.ApplyDiagnosticFix: only the nodes it names; a choice first
// when there are several), or every comment and trailing comma
// (Rules.StripComments: lines and columns kept). A fix found on an
// older buffer is refused: its position may have moved.
func (e *rawEditor) fix(m *Model, strip bool) tea.Cmd {
	if strip {
		out, err := m.deps.Rules.StripComments([]byte(e.ta.Value()))
		return e.replaceText(m, out, err)
	}
	switch {
	case e.lintedSeq != e.seq:
		e.err = "the text changed since it was checked; wait a moment"
		return nil
	case e.sel >= len(e.diags) || !hasFix(e.diags[e.sel]):
		e.err = "no quick fix for this problem"
		return nil
	case len(e.diags[e.sel].Fixes) > 1:
		e.choice = &fixChoice{diag: e.diags[e.sel]}
		return nil
	}
	return e.applyFix(m, 0)
}

func (e *rawEditor) applyFix(m *Model, i int) tea.Cmd {
	if e.lintedSeq != e.seq || e.sel >= len(e.diags) {
		e.err = "the text changed since it was checked; wait a moment"
		return nil
	}
	out, err := m.deps.Rules.ApplyDiagnosticFix([]byte(e.ta.Value()), e.diags[e.sel], i)
	return e.replaceText(m, out, err)
}

func (e *rawEditor) replaceText(m *Model, out []byte, err error) tea.Cmd {
	if err != nil {
		e.err = err.Error()
		return nil
	}
	line, col := e.ta.Line(), e.ta.Column()
	e.ta.SetValue(string(out))
	e.moveTo(model.Pos{Line: line + 1, Col: col + 1})
	e.err = ""
	e.seq++
	return e.lint(m)
}
