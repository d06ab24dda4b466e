package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
)

type verifyDoneMsg struct {
	id    int
	owner string // "view" or "wizard"
	res   VerifyResult
	err   error
}

type spinTickMsg struct{ id int }

// verifyView runs one verification at a time in the background against
// the staged policy.
type verifyView struct {
	input textinput.Model
	// ns is the Kubernetes namespace of the pod the pull is for ("": a
	// pull without a pod, like crictl pull).
	ns      textinput.Model
	nsUsed  string // the namespace of the last run
	history []string
	histPos int
	running bool
	id      int
	cancel  context.CancelFunc
	frame   int
	res     *VerifyResult
	err     error
	staged  bool // the policy used had unsaved edits
	offset  int
}

func newVerifyView() verifyView {
	in := textinput.New()
	in.Prompt = "image: "
	in.Placeholder = "registry.example.com/team/app:1.0"
	in.CharLimit = 512
	in.SetStyles(textinput.DefaultStyles(true))
	ns := textinput.New()
	ns.Prompt = "namespace: "
	ns.Placeholder = "none (a pull without a pod)"
	ns.CharLimit = 63
	ns.SetStyles(textinput.DefaultStyles(true))
	return verifyView{input: in, ns: ns}
}

// focused reports whether one of the view's fields has the keyboard.
func (v *verifyView) focused() bool { return v.input.Focused() || v.ns.Focused() }

func (v *verifyView) bindings(m *Model) []key.Binding {
	b := func(k, h string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, h)) }
	if v.running {
		return []key.Binding{b("esc", "cancel")}
	}
	if v.ns.Focused() {
		return []key.Binding{b("enter", "done"), b("esc", "leave input")}
	}
	if v.input.Focused() {
		return []key.Binding{b("enter", "verify"), b("↑/↓", "history"), b("esc", "leave input"), b("tab", "next view")}
	}
	return []key.Binding{b("enter/i", "type a reference"), b("n", "namespace"), b("↑/↓", "scroll")}
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
	if v.running {
		if k.String() == "esc" && v.cancel != nil {
			v.cancel()
		}
		return nil
	}
	if v.ns.Focused() {
		switch k.String() {
		case "esc":
			v.ns.Blur()
			return nil
		case "enter":
			v.ns.Blur()
			return v.input.Focus()
		}
		var cmd tea.Cmd
		v.ns, cmd = v.ns.Update(k)
		return cmd
	}
	if !v.input.Focused() {
		switch k.String() {
		case "n":
			return v.ns.Focus()
		case "enter", "i":
			return v.input.Focus()
		case "up", "k":
			v.offset = max(0, v.offset-1)
		case "down", "j":
			v.offset++
		}
		return nil
	}
	switch k.String() {
	case "esc":
		v.input.Blur()
		return nil
	case "up":
		if v.histPos > 0 {
			v.histPos--
			v.input.SetValue(v.history[v.histPos])
			v.input.CursorEnd()
		}
		return nil
	case "down":
		if v.histPos < len(v.history)-1 {
			v.histPos++
			v.input.SetValue(v.history[v.histPos])
		} else {
			v.histPos = len(v.history)
			v.input.SetValue("")
		}
		v.input.CursorEnd()
		return nil
	case "enter":
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
	v.id++
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	v.cancel = cancel
	v.running, v.res, v.err, v.offset, v.frame = true, nil, nil, 0, 0
	v.staged = m.dirty()
	v.nsUsed = strings.TrimSpace(v.ns.Value())
	if v.nsUsed != "" {
		nv, ok := m.deps.Verifier.(NamespaceVerifier)
		if !ok {
			v.running, v.err = false, fmt.Errorf("checking for a namespace is not available here")
			return nil
		}
		return tea.Batch(runVerifyIn(ctx, nv, m.deps.Policy.Policy().Clone(), v.nsUsed, ref, v.id), spinTick(v.id))
	}
	return tea.Batch(runVerify(ctx, m.deps.Verifier, m.deps.Policy.Policy().Clone(), ref, v.id, "view"), spinTick(v.id))
}

func runVerifyIn(ctx context.Context, ver NamespaceVerifier, p *model.Policy, ns, ref string, id int) tea.Cmd {
	return func() tea.Msg {
		res, err := ver.VerifyInNamespace(ctx, p, ns, ref)
		return verifyDoneMsg{id: id, owner: "view", res: res, err: err}
	}
}

func runVerify(ctx context.Context, ver Verifier, p *model.Policy, ref string, id int, owner string) tea.Cmd {
	return func() tea.Msg {
		res, err := ver.Verify(ctx, p, ref)
		return verifyDoneMsg{id: id, owner: owner, res: res, err: err}
	}
}

func spinTick(id int) tea.Cmd {
	return tea.Tick(120*time.Millisecond, func(time.Time) tea.Msg { return spinTickMsg{id: id} })
}

func (v *verifyView) async(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case spinTickMsg:
		if msg.id == v.id && v.running {
			v.frame++
			return spinTick(v.id)
		}
	case verifyDoneMsg:
		if msg.id != v.id || msg.owner != "view" {
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
		g := m.th.G.Spinner[v.frame%len(m.th.G.Spinner)]
		b.WriteString(g + " verifying " + safe(v.history[len(v.history)-1]) + " " + m.th.Faint.Render("(esc cancels)") + "\n")
	case v.err != nil:
		b.WriteString(m.th.Fail.Render(m.th.G.Fail+" could not finish: ") + wrap(safeErr(v.err), w-4) + "\n")
	case v.res != nil:
		b.WriteString(v.renderResult(m, w-2))
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

func (v *verifyView) renderResult(m *Model, w int) string {
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
	lines = append(lines, fmt.Sprintf("%s  %s  (policy: %s)", verdict, safe(r.Ref), src))
	if r.Scope != "" {
		lines = append(lines, "scope: "+safe(r.Scope))
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
		ind := strings.Repeat("  ", s.Depth)
		lines = append(lines, ansi.Truncate(ind+st.Render(g)+" "+safe(s.Text), w, m.th.G.Ellipsis))
	}
	if v.offset >= len(lines) {
		v.offset = max(0, len(lines)-1)
	}
	return strings.Join(lines[v.offset:], "\n")
}
