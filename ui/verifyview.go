package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
)

// verifyDoneMsg ends the verify view's run number run; a result for an
// older run (cancelled, or superseded by a newer reference) is dropped.
type verifyDoneMsg struct {
	run int
	res VerifyResult
	err error
}

// verifyView runs one verification at a time in the background against
// the staged policy.
type verifyView struct {
	input textinput.Model
	// ns is the Kubernetes namespace of the pod the pull is for ("": a
	// pull without a pod, like crictl pull).
	ns      textinput.Model
	keys    verifyKeys
	history []string
	histPos int
	running bool
	run     int // counts runs started; results carry theirs
	cancel  context.CancelFunc
	spin    spinner.Model
	res     *VerifyResult
	err     error
	staged  bool // the policy used had unsaved edits
	// result scrolls the verdict and its trace (bubbles' viewport; the
	// view's own key map drives it).
	result viewport.Model
}

func newVerifyView() verifyView {
	in := textinput.New()
	in.Prompt = "image: "
	in.Placeholder = "registry.example.com/team/app:1.0"
	in.CharLimit = 512
	in.SetStyles(textinput.DefaultStyles(true))
	ns := textinput.New()
	ns.Prompt = "namespace: "
	// The footer has no room for one more key: the field says it.
	ns.Placeholder = "none: a pull without a pod (n sets one)"
	ns.CharLimit = 63
	ns.SetStyles(textinput.DefaultStyles(true))
	return verifyView{input: in, ns: ns, keys: newVerifyKeys(), spin: spinner.New(), result: viewport.New()}
}

// focused reports whether one of the view's fields has the keyboard.
func (v *verifyView) focused() bool { return v.input.Focused() || v.ns.Focused() }

// verifyKeys are the verify view's keys: the same bindings decide what a
// key does and what the help line says.
type verifyKeys struct {
	Cancel, Focus, Verify, Leave, Older, Newer, ScrollUp, ScrollDown key.Binding
	// Namespace edits the pod's namespace; NamespaceDone returns to the
	// image field.
	Namespace, NamespaceDone key.Binding
}

func newVerifyKeys() verifyKeys {
	b := func(keys []string, k, h string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, h))
	}
	return verifyKeys{
		Cancel:        b([]string{"esc"}, "esc", "cancel"),
		Focus:         b([]string{"enter", "i"}, "enter/i", "type a reference"),
		Verify:        b([]string{"enter"}, "enter", "verify"),
		Leave:         b([]string{"esc"}, "esc", "leave input"),
		Older:         b([]string{"up"}, "↑", "older reference"),
		Newer:         b([]string{"down"}, "↓", "newer reference"),
		ScrollUp:      b([]string{"up", "k"}, "↑/k", "scroll up"),
		ScrollDown:    b([]string{"down", "j"}, "↓/j", "scroll down"),
		Namespace:     b([]string{"n"}, "n", "namespace"),
		NamespaceDone: b([]string{"enter"}, "enter", "done"),
	}
}

func (v *verifyView) bindings(m *Model) []key.Binding {
	k := v.keys
	switch {
	case v.running:
		return []key.Binding{k.Cancel}
	case v.ns.Focused():
		return []key.Binding{k.NamespaceDone, k.Leave}
	case v.input.Focused():
		return []key.Binding{k.Verify, k.Older, k.Newer, k.Leave}
	}
	return []key.Binding{k.Focus, k.ScrollUp, k.ScrollDown}
}

func (v *verifyView) paste(p tea.PasteMsg) tea.Cmd {
	var cmd tea.Cmd
	if v.ns.Focused() {
		v.ns, cmd = v.ns.Update(p)
		return cmd
	}
	v.input, cmd = v.input.Update(p)
	return cmd
}

func (v *verifyView) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	keys := v.keys
	if v.running {
		if key.Matches(k, keys.Cancel) && v.cancel != nil {
			v.cancel()
		}
		return nil
	}
	if v.ns.Focused() {
		switch {
		case key.Matches(k, keys.Leave):
			v.ns.Blur()
			return nil
		case key.Matches(k, keys.NamespaceDone):
			v.ns.Blur()
			return v.input.Focus()
		}
		var cmd tea.Cmd
		v.ns, cmd = v.ns.Update(k)
		return cmd
	}
	if !v.input.Focused() {
		switch {
		case key.Matches(k, keys.Namespace):
			return v.ns.Focus()
		case key.Matches(k, keys.Focus):
			return v.input.Focus()
		case key.Matches(k, keys.ScrollUp):
			v.result.ScrollUp(1)
		case key.Matches(k, keys.ScrollDown):
			v.result.ScrollDown(1)
		}
		return nil
	}
	switch {
	case key.Matches(k, keys.Leave):
		v.input.Blur()
		return nil
	case key.Matches(k, keys.Older):
		if v.histPos > 0 {
			v.histPos--
			v.input.SetValue(v.history[v.histPos])
			v.input.CursorEnd()
		}
		return nil
	case key.Matches(k, keys.Newer):
		if v.histPos < len(v.history)-1 {
			v.histPos++
			v.input.SetValue(v.history[v.histPos])
		} else {
			v.histPos = len(v.history)
			v.input.SetValue("")
		}
		v.input.CursorEnd()
		return nil
	case key.Matches(k, keys.Verify):
		ref := strings.TrimSpace(v.input.Value())
		if ref == "" {
			return nil
		}
		if m.deps.Verifier == nil {
			v.err = fmt.Errorf("verification (verify package) is not wired into this build yet")
			return nil
		}
		if n := len(v.history); n == 0 || v.history[n-1] != ref {
			v.history = append(v.history, ref)
			if len(v.history) > 20 {
				v.history = v.history[1:]
			}
		}
		v.histPos = len(v.history)
		v.input.Blur()
		return v.start(m, ref)
	}
	var cmd tea.Cmd
	v.input, cmd = v.input.Update(k)
	return cmd
}

// start launches a verification of ref against a snapshot of the staged
// policy; the snapshot keeps later edits from racing the check.
func (v *verifyView) start(m *Model, ref string) tea.Cmd {
	v.run++
	run := v.run
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	v.cancel = cancel
	v.running, v.res, v.err = true, nil, nil
	v.result.SetYOffset(0)
	v.staged = m.dirty()
	v.spin.Spinner = themeSpinner(m.th)
	done := func(res VerifyResult, err error) tea.Msg { return verifyDoneMsg{run: run, res: res, err: err} }
	if ns := strings.TrimSpace(v.ns.Value()); ns != "" {
		nv, ok := m.deps.Verifier.(NamespaceVerifier)
		if !ok {
			v.running, v.err = false, fmt.Errorf("checking for a namespace is not available here")
			return nil
		}
		staged := m.deps.Policy.Policy().Clone()
		return tea.Batch(func() tea.Msg { return done(nv.VerifyInNamespace(ctx, staged, ns, ref)) }, v.spin.Tick)
	}
	return tea.Batch(runVerify(ctx, m.deps.Verifier, m.deps.Policy.Policy().Clone(), ref, done), v.spin.Tick)
}

// runVerify checks ref in the background; done turns the outcome into
// the message of whoever asked (the verify view, the wizard).
func runVerify(ctx context.Context, ver Verifier, p *model.Policy, ref string, done func(VerifyResult, error) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		return done(ver.Verify(ctx, p, ref))
	}
}

// themeSpinner is bubbles' spinner with the theme's frames (ASCII on a
// Linux console).
func themeSpinner(th Theme) spinner.Spinner {
	return spinner.Spinner{Frames: th.G.Spinner, FPS: 120 * time.Millisecond}
}

func (v *verifyView) async(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if !v.running {
			return nil // the spinner stops with its run
		}
		var cmd tea.Cmd
		v.spin, cmd = v.spin.Update(msg) // ignores other spinners' ticks
		return cmd
	case verifyDoneMsg:
		if msg.run != v.run {
			return nil // a stale or cancelled run
		}
		v.running = false
		if v.cancel != nil {
			v.cancel()
		}
		if msg.err != nil {
			v.err = msg.err
		} else {
			r := msg.res
			v.res = &r
		}
	}
	return nil
}

func (v *verifyView) render(m *Model, w, h int) string {
	var b strings.Builder
	used := "the saved policy"
	if m.dirty() {
		used = "the STAGED policy (unsaved edits)"
	}
	b.WriteString(showBidi(v.input.View()) + "\n")
	b.WriteString(showBidi(v.ns.View()) + "\n")
	if ns := strings.TrimSpace(v.ns.Value()); ns != "" {
		used = "the policy CRI-O uses for pods in namespace " + safe(ns) + " (its own file if it has one, else the global one)"
	}
	b.WriteString(m.th.Faint.Render(wrap("checked against "+used+" (may contact the registry)", w-2)) + "\n\n")
	if m.deps.Verifier == nil {
		b.WriteString(m.th.Warn.Render(wrap("Verification (the verify package) is not available in this build: references cannot be checked here yet.", w-2)) + "\n")
	}
	switch {
	case v.running:
		g := v.spin.View()
		b.WriteString(g + " verifying " + safe(v.history[len(v.history)-1]) + " " + m.th.Faint.Render("(esc cancels)") + "\n")
	case v.err != nil:
		b.WriteString(m.th.Fail.Render(m.th.G.Fail+" could not finish: ") + wrap(safeErr(v.err), w-4) + "\n")
	case v.res != nil:
		// The result gets the rest of the box (borders: 2 rows).
		b.WriteString(v.renderResult(m, w-2, max(1, h-2-strings.Count(b.String(), "\n"))))
	default:
		if len(v.history) > 0 {
			// Newest first, one per line: references are long and the
			// list is what ↑ walks through.
			b.WriteString(m.th.Faint.Render(m.asciiArrows("recent (↑ recalls them):")) + "\n")
			for i := len(v.history) - 1; i >= 0 && len(v.history)-i <= h-8; i-- {
				b.WriteString(m.th.Faint.Render("  "+ansi.Truncate(safe(v.history[i]), w-6, m.th.G.Ellipsis)) + "\n")
			}
		}
	}
	return boxed(m.th.PaneFocused, " Verify an image ", b.String(), w, h)
}

func (v *verifyView) renderResult(m *Model, w, h int) string {
	r := v.res
	var lines []string
	src := "saved"
	if v.staged {
		src = "staged"
	}
	if r.Policy != "" {
		src = r.Policy
	}
	verdict := m.th.OK.Render(m.th.G.OK + " ACCEPT")
	if !r.Accepted {
		verdict = m.th.Fail.Render(m.th.G.Fail + " REJECT")
	}
	lines = append(lines, strings.Split(wrap(fmt.Sprintf("%s  %s  (policy: %s)", verdict, safe(r.Ref), src), w), "\n")...)
	if r.Scope != "" {
		lines = append(lines, strings.Split(wrap("scope: "+safe(r.Scope), w), "\n")...)
	}
	if r.Summary != "" {
		lines = append(lines, wrap(safe(r.Summary), w))
	}
	for _, s := range r.Trace {
		g := m.th.G.Dot
		st := m.th.Faint
		switch {
		case s.OK:
			g, st = m.th.G.OK, m.th.OK
		case s.Failed:
			g, st = m.th.G.Fail, m.th.Fail
		}
		// Wrapped under its glyph, never cut: a trace line names the
		// identity or key that decided, and the end is the reason.
		ind := strings.Repeat("  ", s.Depth)
		mark := st.Render(g) + " "
		if s.Detail {
			mark = "  "
		}
		textW := max(10, w-lipgloss.Width(ind)-2)
		for j, l := range strings.Split(wrap(safe(s.Text), textW), "\n") {
			l = strings.TrimRight(l, " ")
			if j == 0 {
				lines = append(lines, ind+mark+l)
			} else {
				lines = append(lines, ind+"  "+l)
			}
		}
	}
	v.result.SetWidth(w)
	v.result.SetHeight(h)
	v.result.SetContentLines(lines)
	return v.result.View()
}
