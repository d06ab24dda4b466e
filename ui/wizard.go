package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/workspace"
)

type wizStep int

const (
	wsScopes wizStep = iota
	wsKey
	wsIdentity
	wsLookaside
	wsTest
	wsDefault
	wsImpact
	numWizSteps
)

var wizStepNames = [numWizSteps]string{"Scopes", "Key", "Identity", "Look-aside", "Test", "Default", "Impact"}

// wizard is the guided first-time setup. It collects answers step by step,
// builds the proposed policy from them, checks the node's own images
// against it, and then stages it as one edit and opens the save review.
type wizard struct {
	keys      wizardKeys
	step      wizStep
	form      *form
	submitted bool

	scopes   []string
	keyPath  string
	identity model.IdentityType
	lookURL  string
	deflt    model.RequirementType
	open     []string
	extra    []string

	// verification of the test image and the impact check
	run      int // counts checks started; results carry theirs
	running  int
	spin     spinner.Model
	cancel   context.CancelFunc
	testRes  []string
	testRef  string // set by the test step's submit, started by update
	impact   []impactRow
	pauseRef string
	rejected int
}

// wizardCheckMsg is the verdict for the index-th image of the wizard's
// check number run (the test image, or the node's images).
type wizardCheckMsg struct {
	run, index int
	res        VerifyResult
	err        error
}

type impactRow struct {
	ref, note string
	done, ok  bool
	err       error
}

func (m *Model) startWizard() tea.Cmd {
	wz := &wizard{keys: newWizardKeys(), identity: model.MatchRepoDigestOrExact, deflt: model.Reject}
	m.wiz = wz
	m.showHelp = false
	m.status = ""
	return wz.openStep(m)
}

// wizardKeys are the guided setup's own keys, used for matching and for
// its help line. Back is pgup, a plain key every console sends and no
// field takes (ctrl+b, kept as an alias, is tmux's prefix).
type wizardKeys struct {
	Next, Stage, Choose, Field, Back, ImpactBack, Leave, Quit key.Binding
}

func newWizardKeys() wizardKeys {
	b := func(keys []string, k, h string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, h))
	}
	return wizardKeys{
		Next:       b([]string{"enter"}, "enter", "next"),
		Stage:      b([]string{"enter"}, "enter", "stage and review"),
		Choose:     b([]string{"left", "right"}, "←/→", "choose"),
		Field:      b([]string{"tab"}, "tab", "field"),
		Back:       b([]string{"pgup", "ctrl+b"}, "pgup", "back"),
		ImpactBack: b([]string{"pgup", "ctrl+b", "shift+tab"}, "pgup", "back"),
		Leave:      b([]string{"esc"}, "esc", "quit setup"),
		Quit:       b([]string{"ctrl+c"}, "ctrl+c", "quit imgtrust"),
	}
}

func (wz *wizard) bindings() []key.Binding {
	k := wz.keys
	if wz.step == wsImpact {
		return []key.Binding{k.Stage, k.ImpactBack, k.Leave}
	}
	bs := []key.Binding{k.Next}
	if cur := wz.form.focused(); cur != nil && cur.kind == fChoice {
		bs = append(bs, k.Choose)
	}
	return append(bs, k.Field, k.Back, k.Leave)
}

// proposed builds the policy the answers describe, on top of the staged one.
func (wz *wizard) proposed(m *Model) *model.Policy {
	a := workspace.SetupAnswers{Default: wz.deflt, Signed: wz.scopes, KeyPath: wz.keyPath, Identity: wz.identity, Open: wz.open}
	return a.Propose(m.deps.Policy.Policy())
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func scopeListCheck(rules Rules, f *form, key string, required bool) (string, bool) {
	list := splitList(f.val(key))
	if len(list) == 0 {
		if required {
			return "name at least one registry or namespace", false
		}
		return "", false
	}
	for _, s := range list {
		if msg, _ := rules.ScopeProblem(model.TransportDocker, s); msg != "" {
			return msg, false
		}
		if msg, fix, _ := rules.DockerScopeWarning(s); msg != "" {
			return msg + " (" + fix + ")", false
		}
	}
	return "", false
}

func (wz *wizard) openStep(m *Model) tea.Cmd {
	wz.submitted = false
	f := &form{}
	next := func(m *Model, f *form) error { wz.submitted = true; return nil }
	f.submit = next
	switch wz.step {
	case wsScopes:
		f.title = "Which registries or namespaces must be signed?"
		sc := textField("scopes", "Signed scopes", strings.Join(wz.scopes, ", "), "registry.example.com/team, quay.io/org")
		sc.check = func(f *form) (string, bool) { return scopeListCheck(m.deps.Rules, f, "scopes", true) }
		sc.explain = func(*form) string { return "comma-separated; docker.io images are written docker.io/library/..." }
		f.fields = []*field{sc}
		f.note = "Images under these names will need a valid signature before the node pulls them."
		f.submit = func(m *Model, f *form) error { wz.scopes = splitList(f.val("scopes")); return next(m, f) }
	case wsKey:
		f.title = "Which key signs them?"
		fields := m.wizardKeyFields()
		for _, fd := range fields {
			if fd.key == "key" || fd.key == "keyPath" {
				if fd.key == "key" {
					fd.show = nil
				} else {
					fd.show = func(f *form) bool { return f.val("key") == keyOther }
				}
				f.fields = append(f.fields, fd)
			}
		}
		f.fields[0].setChoice(wz.keyPath)
		if wz.keyPath != "" && f.fields[0].value() != wz.keyPath {
			f.fields[0].setChoice(keyOther)
			f.fields[1].in.SetValue(wz.keyPath)
		}
		f.note = "Import new keys in the Keys view (3) first; they then appear in this list."
		f.submit = func(m *Model, f *form) error {
			wz.keyPath = f.val("key")
			if wz.keyPath == keyOther {
				wz.keyPath = f.val("keyPath")
			}
			return next(m, f)
		}
	case wsIdentity:
		f.title = "Which signed identity must match?"
		opts := []string{string(model.MatchRepoDigestOrExact), string(model.MatchRepository), string(model.MatchExact)}
		labels := []string{string(model.MatchRepoDigestOrExact) + " (recommended)", string(model.MatchRepository), string(model.MatchExact)}
		id := choiceField("identity", "Identity rule", opts, labels)
		id.setChoice(string(wz.identity))
		id.explain = func(f *form) string { return model.IdentityType(f.val("identity")).Explain() }
		f.fields = []*field{id}
		f.note = "Recommended: matchRepoDigestOrExact, the runtime's default. A pull by tag needs a signature for that tag, so an old signed image cannot be passed off under a newer tag; pulls by digest (what Kubernetes pins) accept any signature of the repository. matchRepository is looser: any signed image of the repository under any tag."
		f.submit = func(m *Model, f *form) error { wz.identity = model.IdentityType(f.val("identity")); return next(m, f) }
	case wsLookaside:
		f.title = "Where are the signatures?"
		u := textField("url", "Look-aside URL", wz.lookURL, "https://lookaside.example.com/sigs (empty: none)")
		u.check = func(f *form) (string, bool) {
			if v := f.val("url"); v != "" {
				return m.deps.Rules.LookasideURLProblem(v), false
			}
			return "", false
		}
		f.fields = []*field{u}
		f.note = "Leave empty when the registry stores the signatures (or they are already configured in registries.d)."
		if m.deps.Lookaside == nil {
			f.note += " Look-aside editing is not wired into this build: an URL given here is not written."
		}
		f.submit = func(m *Model, f *form) error { wz.lookURL = f.val("url"); return next(m, f) }
	case wsTest:
		f.title = "Test an image from each scope"
		r := textField("ref", "Image", "", wz.sampleRef())
		f.fields = []*field{r}
		f.note = "enter checks the image against the proposed policy (not saved); enter on an empty field goes on."
		if m.deps.Verifier == nil {
			f.note = "Verification is not available in this build: images cannot be tested here. enter goes on."
		}
		f.submit = func(m *Model, f *form) error {
			ref := f.val("ref")
			if ref == "" {
				return next(m, f)
			}
			if m.deps.Verifier == nil {
				m.setStatus(true, "%s was NOT tested: verification is not available in this build", ref)
				return next(m, f)
			}
			wz.testRes = []string{"checking " + safe(ref) + m.th.G.Ellipsis}
			wz.testRef = ref
			f.get("ref").in.SetValue("")
			return errPending
		}
	case wsDefault:
		f.title = "What happens to every other image?"
		d := choiceField("default", "Default", []string{string(model.Reject), string(model.InsecureAcceptAnything)},
			[]string{"reject (recommended)", "insecureAcceptAnything"})
		d.setChoice(string(wz.deflt))
		d.explain = func(f *form) string {
			if f.val("default") == string(model.Reject) {
				return "images outside the scopes are refused"
			}
			return "images outside the scopes are pulled without any check"
		}
		o := textField("open", "Open (unsigned)", strings.Join(wz.open, ", "), "registry.k8s.io (optional)")
		o.check = func(f *form) (string, bool) { return scopeListCheck(m.deps.Rules, f, "open", false) }
		o.explain = func(*form) string { return "namespaces still pulled without signatures, e.g. the pause image's" }
		x := textField("extra", "Images to check", strings.Join(wz.extra, ", "), "images this node runs (optional)")
		f.fields = []*field{d, o, x}
		f.note = "Reject is recommended: only what you listed can be pulled. The next step checks the node's images."
		f.submit = func(m *Model, f *form) error {
			wz.deflt = model.RequirementType(f.val("default"))
			wz.open = splitList(f.val("open"))
			wz.extra = splitList(f.val("extra"))
			return next(m, f)
		}
	case wsImpact:
		wz.form = nil
		return wz.startImpact(m)
	}
	wz.form = f
	return f.start(m)
}

// errPending keeps the test step open while its verification runs.
var errPending = fmt.Errorf("pending")

func (wz *wizard) sampleRef() string {
	if len(wz.scopes) > 0 {
		return strings.TrimPrefix(wz.scopes[0], "*.") + "/app:latest"
	}
	return "registry.example.com/app:1.0"
}

func (wz *wizard) update(m *Model, msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		keys := wz.keys
		switch {
		case key.Matches(k, keys.Leave):
			if wz.cancel != nil {
				wz.cancel()
			}
			m.wiz = nil
			m.setStatus(false, "guided setup left: nothing was staged")
			return nil
		case key.Matches(k, keys.Quit):
			m.wiz = nil
			return m.askQuit()
		case wz.step == wsImpact && key.Matches(k, keys.ImpactBack), wz.step != wsImpact && key.Matches(k, keys.Back):
			return wz.back(m)
		}
		if wz.step == wsImpact {
			if key.Matches(k, keys.Stage) {
				return wz.finish(m)
			}
			return nil
		}
	}
	if wz.form == nil {
		return nil
	}
	_, cmd := wz.form.update(m, msg)
	if wz.testRef != "" {
		ref := wz.testRef
		wz.testRef, wz.form.err = "", ""
		return tea.Batch(cmd, wz.verify(m, []string{ref}))
	}
	if wz.submitted {
		wz.step++
		return tea.Batch(cmd, wz.openStep(m))
	}
	return cmd
}

func (wz *wizard) back(m *Model) tea.Cmd {
	if wz.step == 0 {
		return nil
	}
	if wz.cancel != nil {
		wz.cancel()
	}
	wz.running = 0
	wz.step--
	return wz.openStep(m)
}

// verify runs refs against the proposed policy in the background.
func (wz *wizard) verify(m *Model, refs []string) tea.Cmd {
	wz.run++
	run := wz.run
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	wz.cancel = cancel
	p := wz.proposed(m)
	wz.running = len(refs)
	if wz.spin.ID() == 0 {
		wz.spin = spinner.New()
	}
	wz.spin.Spinner = themeSpinner(m.th)
	cmds := []tea.Cmd{wz.spin.Tick}
	ver := m.deps.Verifier
	if wz.step == wsImpact && m.deps.Impact != nil {
		ver = m.deps.Impact
	}
	for i, r := range refs {
		done := func(res VerifyResult, err error) tea.Msg {
			if res.Ref == "" {
				res.Ref = r // a failed check's result is empty: the line names what was asked
			}
			return wizardCheckMsg{run: run, index: i, res: res, err: err}
		}
		cmds = append(cmds, runVerify(ctx, ver, p.Clone(), r, done))
	}
	return tea.Batch(cmds...)
}

func (wz *wizard) async(m *Model, msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if msg.ID != wz.spin.ID() {
			return nil, false
		}
		if wz.running == 0 {
			return nil, true // the spinner stops with the checks
		}
		var cmd tea.Cmd
		wz.spin, cmd = wz.spin.Update(msg)
		return cmd, true
	case wizardCheckMsg:
		if msg.run != wz.run {
			return nil, true // a check of answers since changed
		}
		wz.running--
		i := msg.index
		if wz.step == wsTest {
			wz.testRes = []string{wz.verdictLine(m, msg.res.Ref, msg.res, msg.err)}
			for _, s := range msg.res.Trace {
				if s.Failed {
					wz.testRes = append(wz.testRes, "  "+m.th.G.Fail+" "+safe(s.Text))
				}
			}
			return nil, true
		}
		if wz.step == wsImpact && i < len(wz.impact) {
			row := &wz.impact[i]
			row.done, row.err, row.ok = true, msg.err, msg.err == nil && msg.res.Accepted
			if msg.err == nil {
				row.note = msg.res.Summary
			}
			wz.rejected = 0
			for _, r := range wz.impact {
				// An image that could not be checked is not a rejection.
				if r.done && r.err == nil && !r.ok {
					wz.rejected++
				}
			}
		}
		return nil, true
	}
	return nil, false
}

func (wz *wizard) verdictLine(m *Model, ref string, r VerifyResult, err error) string {
	switch {
	case err != nil:
		return m.th.Fail.Render(m.th.G.Fail+" could not check "+safe(ref)+": ") + safeErr(err)
	case r.Accepted:
		return m.th.OK.Render(m.th.G.OK+" ACCEPT ") + safe(ref) + " " + safe(r.Summary)
	}
	return m.th.Fail.Render(m.th.G.Fail+" REJECT ") + safe(ref) + " " + safe(r.Summary)
}

func (wz *wizard) startImpact(m *Model) tea.Cmd {
	var refs []string
	if m.deps.NodeImages != nil {
		refs = m.deps.NodeImages()
	}
	if len(refs) > 0 {
		wz.pauseRef = refs[0]
	}
	for _, e := range wz.extra {
		if !contains(refs, e) {
			refs = append(refs, e)
		}
	}
	wz.impact = nil
	wz.rejected = 0
	for _, r := range refs {
		wz.impact = append(wz.impact, impactRow{ref: r})
	}
	if (m.deps.Verifier == nil && m.deps.Impact == nil) || len(refs) == 0 {
		return nil
	}
	return wz.verify(m, refs)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// finish stages the proposed policy as one edit (and the look-aside), then
// opens the save review. Rejecting the pause image needs its own "yes".
func (wz *wizard) finish(m *Model) tea.Cmd {
	if wz.running > 0 {
		m.setStatus(true, "the impact check is still running")
		return nil
	}
	stage := func(m *Model) tea.Cmd {
		p := wz.proposed(m)
		m.edit(fmt.Sprintf("guided setup: %d signed scope(s), default %s", len(wz.scopes), wz.deflt), func(dst *model.Policy) { *dst = *p })
		m.wiz = nil
		m.view = vPolicy
		if wz.lookURL != "" && m.deps.Lookaside != nil {
			// The look-asides are staged in a command (the backend reads
			// the trial record and registries.d), then the review opens.
			lb, scopes, url := m.deps.Lookaside, wz.scopes, wz.lookURL
			return m.stage("staging", func() error {
				var failed []string
				for _, s := range scopes {
					if err := lb.Set(LookasideRow{Scope: s, URL: url}); err != nil {
						failed = append(failed, fmt.Sprintf("look-aside for %s not staged: %v", s, err))
					}
				}
				if len(failed) > 0 {
					return errors.New(strings.Join(failed, "; "))
				}
				return nil
			}, func(m *Model, err error) tea.Cmd {
				if err != nil {
					m.setStatus(true, "%v", err)
				}
				return m.openSave()
			})
		}
		return m.openSave()
	}
	pauseRejected := false
	for _, r := range wz.impact {
		if r.ref == wz.pauseRef && r.done && r.err == nil && !r.ok {
			pauseRejected = true
		}
	}
	unchecked := 0
	for _, r := range wz.impact {
		if !r.done || r.err != nil {
			unchecked++
		}
	}
	if !pauseRejected && unchecked > 0 {
		m.modal = &confirmDialog{
			title: fmt.Sprintf("%d image(s) of this node were NOT checked", unchecked), danger: true, yes: "stage it anyway",
			body:  fmt.Sprintf("Verification is not available, so it is unknown whether the new policy lets this node pull them, the pause image %s included. If it does not, no new pod can start.", safe(wz.pauseRef)),
			onYes: stage,
		}
		return nil
	}
	if pauseRejected {
		m.modal = &confirmDialog{
			title: "The new policy REJECTS the pause image", danger: true, yes: "stage it anyway",
			body:  fmt.Sprintf("%s would be refused: no new pod can start on this node until it is allowed (add its namespace to the signed or open scopes).", safe(wz.pauseRef)),
			onYes: stage,
		}
		return nil
	}
	return stage(m)
}

func (wz *wizard) render(m *Model, w, h int) string {
	var steps []string
	for i, n := range wizStepNames {
		label := fmt.Sprintf("%d.%s", i+1, n)
		if wizStep(i) == wz.step {
			label = m.th.TabActive.Render(label)
		} else if wizStep(i) < wz.step {
			label = m.th.OK.Render(label)
		}
		steps = append(steps, label)
	}
	head := m.th.Title.Render("Guided setup ") + strings.Join(steps, " ")
	bodyH := h - 1
	var body string
	if wz.step == wsImpact {
		body = wz.renderImpact(m, w, bodyH)
	} else {
		extra := ""
		if wz.step == wsTest && len(wz.testRes) > 0 {
			extra = strings.Join(wz.testRes, "\n")
			if wz.running > 0 {
				extra = wz.spin.View() + " " + extra
			}
		}
		f := *wz.form
		if extra != "" {
			f.note = extra + "\n\n" + f.note
		}
		body = f.render(m, w, bodyH)
	}
	return ansi.Truncate(head, w, "") + "\n" + body
}

func (wz *wizard) renderImpact(m *Model, w, h int) string {
	var lines []string
	p := wz.proposed(m)
	lines = append(lines, "Proposed: default "+safe(string(wz.deflt))+"; signed: "+safe(strings.Join(wz.scopes, ", ")))
	if len(wz.open) > 0 {
		lines = append(lines, "open: "+safe(strings.Join(wz.open, ", ")))
	}
	if d := m.deps.Rules.ValidatePolicy(p, "proposed"); d.HasErrors() {
		lines = append(lines, m.th.Fail.Render(fmt.Sprintf("%s the proposed policy has %d error(s): go back and fix the answers", m.th.G.Fail, d.Count(model.Error))))
	}
	lines = append(lines, "", m.th.Bold.Render("Images this node uses, checked against the proposed policy:"))
	if len(wz.impact) == 0 {
		lines = append(lines, "  none known (no pause image found and none listed)")
	}
	if m.deps.Verifier == nil && m.deps.Impact == nil && len(wz.impact) > 0 {
		lines = append(lines, m.th.Warn.Render("  verification is not wired into this build: these are NOT checked"))
	}
	for _, r := range wz.impact {
		tag := ""
		if r.ref == wz.pauseRef {
			tag = " (pause image)"
		}
		// The image comes first so a narrow console never cuts it off;
		// the reason follows on its own wrapped lines.
		var st, why string
		switch {
		case !r.done && wz.running > 0:
			st = wz.spin.View() + " checking"
		case !r.done:
			st = m.th.Warn.Render("? not checked")
		case r.err != nil:
			st, why = m.th.Warn.Render("? not checked"), safeErr(r.err)
		case r.ok:
			st = m.th.OK.Render(m.th.G.OK + " ACCEPT")
		default:
			st, why = m.th.Fail.Render(m.th.G.Fail+" REJECT "), safe(r.note)
		}
		lines = append(lines, ansi.Truncate("  "+st+"  "+safe(r.ref)+tag, w-4, m.th.G.Ellipsis))
		if why != "" {
			for _, l := range strings.Split(wrap(why, w-12), "\n") {
				lines = append(lines, "      "+l)
			}
		}
	}
	lines = append(lines, "")
	if wz.rejected > 0 {
		lines = append(lines, m.th.Fail.Render(fmt.Sprintf("%d image(s) above would be REJECTED.", wz.rejected)))
	}
	lines = append(lines, wrap("enter stages the policy and shows the diff to save; nothing is written before you confirm there.", w-4))
	return boxed(m.th.PaneFocused.Padding(0, 1), " Impact check ", strings.Join(lines, "\n"), w, h)
}
