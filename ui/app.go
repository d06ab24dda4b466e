package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/workspace"
)

type viewID int

const (
	vOverview viewID = iota
	vPolicy
	vKeys
	vLookaside
	vVerify
	vProblems
	numViews
)

var viewNames = [numViews]string{"Overview", "Policy", "Keys", "Look-aside", "Verify", "Problems"}

// Minimum size: the kiOS console is 80x25; one line is left for tmux or a
// status bar.
const minW, minH = 80, 24

// Model is the root and only tea.Model; views are plain structs it drives.
type Model struct {
	deps Deps
	th   Theme
	km   keyMap
	help help.Model

	w, h      int
	view      viewID
	showHelp  bool
	status    string
	statusBad bool

	// Derived from the staged policy after every change, not per frame:
	// validating a large policy takes longer than a frame should.
	problems model.Diagnostics
	// problemsDue: the problems of the policy as opened are still being
	// computed (checkProblems); problemsGen tells a late answer from the
	// current one. The first frame of a large policy is drawn without
	// them; anything the user does first waits for them (ensureProblems).
	problemsDue bool
	problemsGen int
	// policyProblems are Policy.Problems' part of problems, imageProblems
	// the node images' part (Deps.NodeImageProblems), computed in a
	// command after every change of the staged state: imagesDue asks for
	// that command, one at a time (imagesInFlight: edits in a row do not
	// pile checks of every node image up), imagesGen tells a late answer
	// from the current one, and an answer for a state changed since it
	// was asked is dropped and asked again;
	// imagesKnown is set once a first answer came (until then the header
	// says checking rather than "no problems" on a locked-out node; later
	// answers replace the last one, shown meanwhile).
	policyProblems model.Diagnostics
	imageProblems  model.Diagnostics
	imagesDue      bool
	imagesInFlight bool
	imagesGen      int
	imagesKnown    bool
	change         *workspace.FileChange
	changeErr      error
	// pending: a save would write something (policy.json, a staged key
	// file or look-aside edit).
	pending   bool
	rdChanges []*workspace.FileChange // staged registries.d text

	pol   policyView
	prob  problemsView
	keys  keysView
	la    lookasideView
	ver   verifyView
	modal modal
	// switchTo is the policy file chosen in the switcher; the program
	// quits so that its caller opens a session on it (SwitchTo).
	switchTo *PolicyChoice
	wiz      *wizard

	// shadow is the last summary read from the shadow log (nil: none yet).
	shadow    *ShadowStatus
	shadowErr error
	// shadowRun is the soak started from this TUI, until its log shows it.
	shadowRun *ShadowRun
	// trialDeadline is the running trial's; zero when none.
	trialDeadline time.Time

	// busy names the workspace operation a tea.Cmd is running (a save, a
	// review, a reload); "" when none. Until its busyDoneMsg arrives the
	// root takes no keys or pastes, so that nothing is staged meanwhile,
	// and View draws frozen, the frame of when it started, so that the
	// workspace is never read while the command changes it.
	busy   string
	frozen string
	// before is the status line the operation replaced with its own;
	// held are the messages that arrived meanwhile, fed again after.
	before status
	held   []tea.Msg
	// trialErr: the trial record could not be read or its revert failed
	// (the CLI warns on stderr, which the TUI's screen hides).
	trialErr error
}

type status struct {
	text string
	bad  bool
}

// Busy names the operation a command is running on the workspace ("saving"),
// "" when none: a driver that runs commands itself (a test) waits for
// the command Update returned while it is set.
func (m *Model) Busy() string { return m.busy }

// lists are the keys and look-aside tables, read in the command of an
// operation that changed what they show (a save, a reload): List reads
// the key files and registries.d.
type lists struct {
	keys    []KeyRow
	keysErr error
	la      []LookasideRow
	laDiags model.Diagnostics
	laErr   error
}

// readLists returns the work that reads the tables, for a command.
func (m *Model) readLists() func() lists {
	kb, lb := m.deps.Keys, m.deps.Lookaside
	return func() lists {
		var l lists
		if kb != nil {
			l.keys, l.keysErr = kb.List()
		}
		if lb != nil {
			l.la, l.laDiags, l.laErr = lb.List()
		}
		return l
	}
}

// takeLists shows tables a command read.
func (m *Model) takeLists(l lists) {
	if m.deps.Keys != nil {
		m.keys.items, m.keys.err = l.keys, l.keysErr
		m.keys.cursor = max(0, min(m.keys.cursor, len(m.keys.items)-1))
	}
	if m.deps.Lookaside != nil {
		m.la.items, m.la.diags, m.la.err = l.la, l.laDiags, l.laErr
		m.la.cursor = max(0, min(m.la.cursor, len(m.la.items)-1))
	}
}

// busyDoneMsg carries the typed result of a busy operation.
type busyDoneMsg struct{ result tea.Msg }

// runBusy starts op, which uses the workspace, in a command and makes the
// root busy until its result arrives.
func (m *Model) runBusy(what string, op func() tea.Msg) tea.Cmd {
	m.busy = what
	m.before = status{m.status, m.statusBad}
	m.setStatus(false, "%s...", what)
	if m.w > 0 {
		m.frozen = guardFrame(m.render())
	}
	return func() tea.Msg { return busyDoneMsg{result: op()} }
}

// trialConfirmMsg is the result of keeping a trial change.
type trialConfirmMsg struct{ err error }

// shadowMsg carries a shadow log summary read by a tea.Cmd.
type shadowMsg struct {
	s   ShadowStatus
	ok  bool
	err error
}

// shadowTickMsg asks for the shadow summary again: a running shadow
// keeps appending.
type shadowTickMsg struct{}

// shadowRefresh is how often the Overview rereads a shadow log.
const shadowRefresh = 10 * time.Second

func (m *Model) loadShadow() tea.Cmd {
	if m.deps.Shadow == nil {
		return nil
	}
	b := m.deps.Shadow
	return func() tea.Msg {
		s, ok, err := b.Status()
		return shadowMsg{s, ok, err}
	}
}

// modal owns the keyboard while it is open. Its update says what the
// root is to do next as an action, which the root applies (crush's dialog
// actions): a modal never assigns m.modal.
type modal interface {
	update(m *Model, msg tea.Msg) (action, tea.Cmd)
	render(m *Model, w, h int) string
	bindings() []key.Binding
}

// action is what a modal asks of the root after a message.
type action interface{ isAction() }

type (
	// stayOpen: the modal keeps the keyboard.
	stayOpen struct{}
	// closeModal: the modal is done (its work, if any, is in the Cmd).
	closeModal struct{}
	// openModal replaces the modal with the next step (the import's
	// confirmation after the form).
	openModal struct{ next modal }
	// quitApp leaves the TUI.
	quitApp struct{}
	// reviewSave closes the modal, which staged an edit, and opens the
	// save review; status says what was staged.
	reviewSave struct{ status string }
	// switchPolicy leaves the TUI so that its caller opens a session on
	// the chosen policy file (SwitchTo).
	switchPolicy struct{ to PolicyChoice }
)

func (stayOpen) isAction()     {}
func (closeModal) isAction()   {}
func (openModal) isAction()    {}
func (quitApp) isAction()      {}
func (reviewSave) isAction()   {}
func (switchPolicy) isAction() {}

// applyAction does what the modal cur asked. A close leaves a modal that
// cur's work opened meanwhile (a confirmation's yes that asks again).
func (m *Model) applyAction(cur modal, act action, cmd tea.Cmd) tea.Cmd {
	switch a := act.(type) {
	case closeModal:
		if m.modal == cur {
			m.modal = nil
		}
	case openModal:
		m.modal = a.next
	case quitApp:
		m.modal = nil
		return tea.Quit
	case reviewSave:
		m.modal = nil
		m.refresh()
		m.setStatus(false, "%s", a.status)
		return tea.Batch(cmd, m.openSave())
	case switchPolicy:
		m.modal = nil
		m.switchTo = &a.to
		return tea.Quit
	}
	return cmd
}

// New builds the root model.
func New(d Deps) *Model {
	m := &Model{deps: d, th: NewTheme(d.ASCII), km: newKeyMap(), help: help.New()}
	m.help.Styles = help.DefaultStyles(true)
	m.help.Styles.ShortKey = m.th.Key
	m.help.Styles.FullKey = m.th.Key
	if m.th.ASCII {
		m.help.ShortSeparator = " | "
		m.help.Ellipsis = "..."
	}
	m.ver = newVerifyView()
	m.ver.history = append([]string(nil), d.Recent...)
	m.ver.histPos = len(m.ver.history)
	m.initFilters()
	// The problems come after the first frame (Init): at 10,000 scopes
	// checking them costs more than loading the policy (issue 15).
	m.problemsDue = true
	m.refreshChange()
	m.keys.reload(m)
	m.la.reload(m)
	if m.deps.Trial != nil {
		if d, ok, err := m.deps.Trial.Pending(); err != nil {
			m.trialErr = err
		} else if ok {
			m.trialDeadline = d
		}
	}
	if m.needsSetup() {
		// Offered, not forced: the admin may only want to look.
		m.modal = &confirmDialog{
			title: "Start the guided setup?",
			body:  m.setupReason() + "\nThe setup asks which registries must be signed, by which key, and what happens to everything else; nothing is written until you review the diff.",
			yes:   "start the setup",
			onYes: func(m *Model) tea.Cmd { return m.startWizard() },
		}
	}
	return m
}

// Init asks for the shadow log's summary only: colours are ANSI and the
// theme assumes a dark background, which is right for the console.
func (m *Model) Init() tea.Cmd { return tea.Batch(m.loadShadow(), m.checkProblems(), m.checkImages()) }

// imageProblemsMsg carries the node images' problems of generation gen.
type imageProblemsMsg struct {
	gen   int
	diags model.Diagnostics
}

// checkImages starts the check of the node's images under the staged
// state, when one is due and nothing writes the workspace (the check
// takes the staged state when it is prepared).
func (m *Model) checkImages() tea.Cmd {
	if m.deps.NodeImageProblems == nil || m.busy != "" || m.imagesInFlight {
		return nil
	}
	m.imagesDue, m.imagesInFlight = false, true
	m.imagesGen++
	gen, f := m.imagesGen, m.deps.NodeImageProblems()
	return func() tea.Msg { return imageProblemsMsg{gen: gen, diags: f()} }
}

// problemsChecking: the header, the Overview and the Problems view say
// the problems are being checked, not that there are none.
func (m *Model) problemsChecking() bool {
	return m.problemsDue || (m.deps.NodeImageProblems != nil && !m.imagesKnown)
}

// problemsMsg carries the problems checkProblems computed for generation
// gen; later, when the backend cannot compute them away from Update.
type problemsMsg struct {
	gen   int
	diags model.Diagnostics
	later bool
}

// problemsLater is a PolicyBackend that can compute its problems on
// another goroutine (*workspace.Workspace).
type problemsLater interface {
	ProblemsLater() func() model.Diagnostics
}

// checkProblems computes the due problems away from Update.
func (m *Model) checkProblems() tea.Cmd {
	if !m.problemsDue {
		return nil
	}
	gen := m.problemsGen
	pl, ok := m.deps.Policy.(problemsLater)
	if !ok {
		return func() tea.Msg { return problemsMsg{gen: gen, later: true} }
	}
	f := pl.ProblemsLater()
	return func() tea.Msg { return problemsMsg{gen: gen, diags: f()} }
}

// ensureProblems computes the due problems now: nothing may act on the
// problems of a state before they are known (the save review, a quick
// fix, the Problems view's cursor).
func (m *Model) ensureProblems() {
	if m.problemsDue {
		m.setProblems(m.deps.Policy.Problems())
	}
}

// setProblems takes the problems of the staged state; an answer of
// checkProblems still on its way is then stale.
func (m *Model) setProblems(d model.Diagnostics) {
	m.policyProblems = d
	m.problemsDue = false
	m.problemsGen++
	m.mergeProblems()
}

// mergeProblems lists the policy's and the node images' problems as one.
func (m *Model) mergeProblems() {
	m.problems = m.policyProblems
	if len(m.imageProblems) > 0 {
		m.problems = append(m.policyProblems[:len(m.policyProblems):len(m.policyProblems)], m.imageProblems...).Sorted()
	}
	m.prob.clamp(len(m.problems))
}

// refresh recomputes what depends on the staged policy.
func (m *Model) refresh() {
	m.setProblems(m.deps.Policy.Problems())
	m.imagesDue = true
	m.refreshChange()
}

// refreshChange recomputes what depends on the staged policy apart from
// its problems.
func (m *Model) refreshChange() {
	m.change, m.changeErr = m.deps.Policy.PolicyChange()
	m.refreshRegistries()
	// PolicyChange above is the policy's part; the staged files are the
	// rest (asking the workspace for both would diff the policy twice).
	m.pending = m.change != nil
	if cs := m.changeSet(); cs != nil && !m.pending {
		m.pending = len(cs.StagedFiles()) > 0
	}
	m.pol.rebuild(m)
}

func (m *Model) dirty() bool { return m.pending }

// changeSet is the policy backend's change set, nil when it has none.
func (m *Model) changeSet() ChangeSetBackend {
	cs, _ := m.deps.Policy.(ChangeSetBackend)
	return cs
}

// reloadDoneMsg is the result of re-reading every file.
type reloadDoneMsg struct {
	res   *workspace.ReloadResult
	err   error
	lists lists
}

// reload re-reads every file in a command: the staged edits that still
// apply are staged again over them, the others are named (reloaded).
func (m *Model) reload() tea.Cmd {
	cs := m.changeSet()
	if cs == nil {
		return m.rereadLists(func(m *Model, _ error) tea.Cmd {
			m.setStatus(false, "reloaded the keys and look-aside views")
			return nil
		})
	}
	read := m.readLists()
	return m.runBusy("reloading", func() tea.Msg {
		res, err := cs.Refresh()
		r := reloadDoneMsg{res: res, err: err}
		if err == nil {
			r.lists = read()
		}
		return r
	})
}

func (m *Model) reloaded(r reloadDoneMsg) {
	res, err := r.res, r.err
	if err != nil {
		m.setStatus(true, "reload failed: %v", err)
		return
	}
	m.refresh()
	m.takeLists(r.lists)
	msg := "reloaded all files"
	if len(res.Reapplied) > 0 {
		msg += fmt.Sprintf(", %s re-applied", plural(len(res.Reapplied), "edit"))
	}
	if len(res.Outside) > 0 {
		var names []string
		for _, o := range res.Outside {
			names = append(names, m.deps.Paths.Node(o.Path)+" ("+o.What+")")
		}
		msg += "; changed outside: " + strings.Join(names, ", ")
	}
	if len(res.Conflicts) > 0 {
		var names []string
		for _, c := range res.Conflicts {
			names = append(names, fmt.Sprintf("%q (%s)", c.Edit, c.Why))
		}
		m.setStatus(true, "%s; dropped, conflicting: %s", msg, strings.Join(names, "; "))
		return
	}
	m.setStatus(false, "%s", msg)
}

// busyDone takes a busy operation's result.
func (m *Model) busyDone(result tea.Msg) tea.Cmd {
	m.busy, m.frozen = "", ""
	m.status, m.statusBad = m.before.text, m.before.bad
	switch r := result.(type) {
	case stagedMsg:
		return m.staged(r)
	case saveDoneMsg:
		if d, ok := m.modal.(*saveDialog); ok && d.saved(m, r) {
			m.modal = nil
		}
	case reviewDoneMsg:
		return m.openReview(r)
	case reloadDoneMsg:
		m.reloaded(r)
	}
	return nil
}

// stagedMsg is the result of staging a key or look-aside change, which
// the backend does from a command: it reads the trial record, the key
// files and registries.d.
type stagedMsg struct {
	err   error
	lists lists
	done  func(m *Model, err error) tea.Cmd
}

// stage runs op, a change to the change set through a backend, in a
// busy command that then reads the tables again; done reports its
// result on the root (a status, the form it came from) and may go on.
func (m *Model) stage(what string, op func() error, done func(m *Model, err error) tea.Cmd) tea.Cmd {
	read := m.readLists()
	return m.runBusy(what, func() tea.Msg {
		err := op()
		return stagedMsg{err: err, lists: read(), done: done}
	})
}

// rereadLists reads the keys and look-aside tables again in a command.
func (m *Model) rereadLists(done func(m *Model, err error) tea.Cmd) tea.Cmd {
	return m.stage("reading the keys and look-asides", func() error { return nil }, done)
}

func (m *Model) staged(r stagedMsg) tea.Cmd {
	m.takeLists(r.lists)
	m.refresh() // Problems reads the staged keys and registries.d
	return r.done(m, r.err)
}

func (m *Model) needsSetup() bool {
	pf := m.deps.Policy.PolicyFile()
	if pf == nil || !pf.Exists {
		return true
	}
	p := m.deps.Policy.Policy()
	return p != nil && len(p.Default) > 0 && m.strengthOf(p.Default) == "any"
}

func (m *Model) setupReason() string {
	if pf := m.deps.Policy.PolicyFile(); pf == nil || !pf.Exists {
		return "There is no policy.json: the runtime refuses every pull."
	}
	return "The default rule accepts any image, signed or not."
}

func (m *Model) setStatus(bad bool, format string, a ...any) {
	m.status = fmt.Sprintf(format, a...)
	m.statusBad = bad
}

// edit stages a change to the policy and refreshes everything derived.
func (m *Model) edit(summary string, fn func(p *model.Policy)) {
	m.deps.Policy.Edit(summary, fn)
	m.refresh()
	m.setStatus(false, "staged: %s (ctrl+s to review and save, u to undo)", summary)
}

// Update dispatches: terminal facts, async results, then keys to the open
// modal, the global bindings, and finally the active view.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := m.update(msg)
	if m.imagesDue {
		// Whatever changed the staged state, its node images are checked
		// again, away from Update.
		if c := m.checkImages(); c != nil {
			cmd = tea.Batch(cmd, c)
		}
	}
	return next, cmd
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case imageProblemsMsg:
		if msg.gen == m.imagesGen {
			m.imagesInFlight = false
		}
		if msg.gen == m.imagesGen && !m.imagesDue {
			m.imageProblems, m.imagesKnown = msg.diags, true
			m.mergeProblems()
		}
		return m, nil
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		// Border and "image: " prompt; without a width the input shows
		// only the placeholder's first letter.
		m.ver.input.SetWidth(max(10, msg.Width-10))
		m.ver.ns.SetWidth(max(10, msg.Width-14))
		return m, nil
	case policyFilesMsg:
		m.policyFiles(msg)
		return m, nil
	case shadowMsg:
		if msg.ok {
			m.shadow = &msg.s
		} else {
			m.shadow = nil
		}
		m.shadowErr = msg.err
		return m, tea.Tick(shadowRefresh, func(time.Time) tea.Msg { return shadowTickMsg{} })
	case shadowTickMsg:
		return m, m.loadShadow()
	case busyDoneMsg:
		next := m.busyDone(msg.result)
		held := m.held
		m.held = nil
		if len(held) == 0 {
			return m, next
		}
		cmds := []tea.Cmd{next}
		for _, h := range held {
			cmds = append(cmds, func() tea.Msg { return h })
		}
		return m, tea.Sequence(cmds...)
	case trialConfirmMsg:
		if msg.err != nil {
			m.setStatus(true, "confirm failed: %s", safeErr(msg.err))
			return m, nil
		}
		m.trialDeadline = time.Time{}
		m.setStatus(false, "confirmed: the change stays")
		return m, nil
	case problemsMsg:
		if m.busy != "" {
			// Problems reads the workspace a busy command is changing.
			m.held = append(m.held, msg)
			return m, nil
		}
		if m.problemsDue && msg.gen == m.problemsGen {
			if msg.later {
				msg.diags = m.deps.Policy.Problems()
			}
			m.setProblems(msg.diags)
		}
		return m, nil
	case shadowStartMsg:
		if msg.err != nil {
			m.setStatus(true, "shadow soak not started: %s", safeErr(msg.err))
			return m, nil
		}
		m.shadowRun = &msg.run
		m.setStatus(false, "shadow soak started (pid %d), edits still staged; Overview shows it, x stops it", msg.run.PID)
		return m, nil
	case shadowStopMsg:
		if msg.err != nil {
			m.setStatus(true, "shadow soak not stopped: %s", safeErr(msg.err))
			return m, nil
		}
		m.shadowRun = nil
		if m.shadow != nil {
			m.shadow.PID = 0
		}
		m.setStatus(false, "shadow soak stopped (pid %d): its summary stays in the log", msg.run.PID)
		return m, nil
	}
	if m.busy != "" {
		switch msg.(type) {
		case tea.KeyPressMsg, tea.PasteMsg:
			// Nothing is staged while the workspace writes.
		default:
			// Results that would read the workspace (a verdict, the
			// wizard's next check) wait for the operation's.
			m.held = append(m.held, msg)
		}
		return m, nil
	}
	switch msg := msg.(type) {
	case verifyDoneMsg, wizardCheckMsg, spinner.TickMsg:
		if m.wiz != nil {
			if cmd, ok := m.wiz.async(m, msg); ok {
				return m, cmd
			}
		}
		return m, m.ver.async(m, msg)
	}
	// Everything else is the user's doing or follows from it.
	m.ensureProblems()
	if m.modal != nil {
		if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, m.km.ForceQuit) {
			if _, isQuit := m.modal.(*confirmDialog); isQuit && m.modal.(*confirmDialog).quit {
				return m, tea.Quit // a second ctrl+c in the quit dialog leaves at once
			}
		}
		cur := m.modal
		act, cmd := cur.update(m, msg)
		return m, m.applyAction(cur, act, cmd)
	}
	if m.wiz != nil {
		return m, m.wiz.update(m, msg)
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		if p, ok := msg.(tea.PasteMsg); ok && m.view == vVerify {
			return m, m.ver.paste(p)
		}
		if p, ok := msg.(tea.PasteMsg); ok {
			m.pasteFilter(p)
		}
		return m, nil
	}
	if m.textFocused() {
		// Letters and digits belong to the field; keys that cannot be
		// typed into it still work.
		switch {
		case key.Matches(k, m.km.ForceQuit):
			return m, m.askQuit()
		case key.Matches(k, m.km.NextView):
			m.switchView((m.view + 1) % numViews)
			return m, nil
		case key.Matches(k, m.km.PrevView):
			m.switchView((m.view + numViews - 1) % numViews)
			return m, nil
		case key.Matches(k, m.km.Save):
			return m, m.openSave()
		case key.Matches(k, m.km.ReloadInField):
			return m, m.reload()
		}
		return m, m.updateView(k)
	}
	switch {
	case key.Matches(k, m.km.ForceQuit), key.Matches(k, m.km.Quit):
		return m, m.askQuit()
	case key.Matches(k, m.km.Help):
		m.showHelp = !m.showHelp
		return m, nil
	case m.showHelp && key.Matches(k, m.km.Back):
		m.showHelp = false
		return m, nil
	case key.Matches(k, m.km.NextView):
		m.switchView((m.view + 1) % numViews)
		return m, nil
	case key.Matches(k, m.km.PrevView):
		m.switchView((m.view + numViews - 1) % numViews)
		return m, nil
	case key.Matches(k, m.km.Save):
		return m, m.openSave()
	case key.Matches(k, m.km.Undo):
		if s, ok := m.deps.Policy.Undo(); ok {
			m.refresh()
			m.setStatus(false, "undone: %s", s)
		} else {
			m.setStatus(false, "nothing to undo")
		}
		return m, nil
	case key.Matches(k, m.km.Wizard):
		return m, m.startWizard()
	case key.Matches(k, m.km.Reload):
		return m, m.reload()
	case key.Matches(k, m.km.SwitchPolicy):
		return m, m.openPolicySwitch()
	}
	for i, b := range m.km.Views {
		if key.Matches(k, b) {
			m.switchView(viewID(i))
			return m, nil
		}
	}
	return m, m.updateView(k)
}

func (m *Model) switchView(v viewID) {
	m.view = v
	m.showHelp = false
	if v == vVerify {
		m.ver.input.Focus()
	}
}

// textFocused reports whether a text field of the active view has the
// keyboard, so that letters go to it rather than to global bindings.
func (m *Model) textFocused() bool {
	return m.view == vVerify && m.ver.focused() || m.filterFocused()
}

// view is what every tab of the TUI implements: the root routes keys to
// the active one, draws it, and shows its bindings in the footer and the
// help screen.
type view interface {
	update(m *Model, k tea.KeyPressMsg) tea.Cmd
	render(m *Model, w, h int) string
	bindings(m *Model) []key.Binding
}

// active is the view of the current tab; the one place that maps a tab
// to its view.
func (m *Model) active() view {
	switch m.view {
	case vPolicy:
		return &m.pol
	case vProblems:
		return &m.prob
	case vKeys:
		return &m.keys
	case vLookaside:
		return &m.la
	case vVerify:
		return &m.ver
	}
	return overviewView{}
}

func (m *Model) updateView(k tea.KeyPressMsg) tea.Cmd { return m.active().update(m, k) }

func (m *Model) askQuit() tea.Cmd {
	if !m.dirty() {
		return tea.Quit
	}
	m.modal = &confirmDialog{
		quit:   true,
		title:  "Quit with unsaved changes?",
		body:   fmt.Sprintf("%d staged edit(s) will be lost.\nctrl+s saves them first.", len(m.deps.Policy.Edits())),
		yes:    "quit without saving",
		danger: true,
		onYes:  func(*Model) tea.Cmd { return tea.Quit }, // the program ends: nothing to apply
	}
	return nil
}

// bindings are the keys that work in the current state, for the footer.
func (m *Model) bindings() []key.Binding {
	if m.modal != nil {
		return m.modal.bindings()
	}
	if m.wiz != nil {
		return m.wiz.bindings()
	}
	// The footer keeps to a few keys; ? lists the rest.
	bs := m.viewBindings()
	if len(bs) > 5 {
		bs = bs[:5]
	}
	if m.textFocused() {
		return bs
	}
	return append(bs, m.km.Help, m.km.Quit)
}

func (m *Model) globalBindings() []key.Binding {
	return []key.Binding{m.km.NextView, m.km.PrevView, m.km.Save, m.km.Undo, m.km.Reload, m.km.Wizard, m.km.SwitchPolicy, m.km.Help, m.km.Quit, m.km.ForceQuit}
}

// View renders the whole screen at exactly the terminal size.
func (m *Model) View() tea.View {
	var v tea.View
	v.AltScreen = true
	v.WindowTitle = "imgtrust"
	if m.w == 0 {
		return v
	}
	if m.busy != "" && m.frozen != "" {
		v.SetContent(m.frozen)
		return v
	}
	v.SetContent(guardFrame(m.render()))
	return v
}

func (m *Model) render() string {
	if m.w < minW || m.h < minH {
		msg := fmt.Sprintf("terminal too small: need %dx%d, have %dx%d", minW, minH, m.w, m.h)
		return lipgloss.Place(m.w, m.h, lipgloss.Center, lipgloss.Center, ansi.Truncate(msg, m.w, ""))
	}
	bodyH := m.h - 4
	var body string
	switch {
	case m.modal != nil:
		body = m.modal.render(m, m.w, bodyH)
	case m.wiz != nil:
		body = m.wiz.render(m, m.w, bodyH)
	case m.showHelp:
		body = m.renderFullHelp(m.w, bodyH)
	default:
		body = m.renderView(m.w, bodyH)
	}
	lines := []string{m.renderHeader(), m.renderTabs()}
	lines = append(lines, fitLines(body, m.w, bodyH)...)
	lines = append(lines, m.renderStatus(), m.renderFooter())
	return strings.Join(lines, "\n")
}

func (m *Model) renderView(w, h int) string { return m.active().render(m, w, h) }

func (m *Model) renderHeader() string {
	state := "saved"
	pf := m.deps.Policy.PolicyFile()
	switch {
	case m.dirty():
		state = "modified: " + plural(len(m.deps.Policy.Edits()), "edit")
	case pf == nil || !pf.Exists:
		state = "missing"
	}
	file := safe(m.deps.Paths.Node(m.deps.Paths.Policy))
	right := m.problemSummary()
	tail := " " + file + " [" + state + "]"
	root := " root " + safe(m.deps.Paths.Root)
	room := m.w - lipgloss.Width(right) - len("imgtrust") - lipgloss.Width(tail) - 1
	if room < lipgloss.Width(root) {
		root = ""
	}
	left := m.th.Header.Render("imgtrust") + root + tail
	gap := m.w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		left = ansi.Truncate(left, m.w-lipgloss.Width(right)-1, m.th.G.Ellipsis)
		gap = 1
	}
	return left + strings.Repeat(" ", gap) + right
}

func (m *Model) problemSummary() string {
	if m.problemsChecking() {
		return m.th.Faint.Render("checking" + m.th.G.Ellipsis)
	}
	e, w := m.problems.Count(model.Error), m.problems.Count(model.Warning)
	if e == 0 && w == 0 {
		return m.th.OK.Render(m.th.G.OK + " no problems")
	}
	var parts []string
	if e > 0 {
		parts = append(parts, m.th.Fail.Render(m.th.G.Fail+" "+plural(e, "error")))
	}
	if w > 0 {
		parts = append(parts, m.th.Warn.Render(m.th.G.Warn+" "+plural(w, "warning")))
	}
	return strings.Join(parts, " ")
}

func (m *Model) renderTabs() string {
	var parts []string
	for i, n := range viewNames {
		label := fmt.Sprintf("%d %s", i+1, n)
		if viewID(i) == vProblems && len(m.problems) > 0 {
			label += fmt.Sprintf("(%d)", len(m.problems))
		}
		if viewID(i) == m.view && m.modal == nil && m.wiz == nil {
			parts = append(parts, m.th.TabActive.Render(" "+label+" "))
		} else {
			parts = append(parts, m.th.TabInactive.Render(" "+label+" "))
		}
	}
	return ansi.Truncate(strings.Join(parts, ""), m.w, "")
}

func (m *Model) renderStatus() string {
	if m.status == "" {
		return ""
	}
	st := m.th.Status
	if m.statusBad {
		st = m.th.StatusError
	}
	// Status messages quote scopes, user IDs and errors: one line, escaped.
	return st.Render(ansi.Truncate(safe(m.status), m.w, m.th.G.Ellipsis))
}

func (m *Model) renderFooter() string {
	m.help.ShowAll = false
	bs := m.bindings()
	if m.th.ASCII {
		for i := range bs {
			h := bs[i].Help()
			bs[i].SetHelp(m.asciiArrows(h.Key), h.Desc)
		}
	}
	return ansi.Truncate(m.help.ShortHelpView(bs), m.w, "")
}

func (m *Model) renderFullHelp(w, h int) string { return m.renderHelpScreen(w, h) }

func (m *Model) viewBindings() []key.Binding { return m.active().bindings(m) }

// confirmTrial keeps the running trial's change, in a command: it writes
// the trial's state file.
func (m *Model) confirmTrial() tea.Cmd {
	tr := m.deps.Trial
	return func() tea.Msg { return trialConfirmMsg{err: tr.Confirm()} }
}

// fitLines cuts or pads s to exactly h lines of at most w cells, so that
// the footer never drops off the bottom.
func fitLines(s string, w, h int) []string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lines
}

// asciiArrows spells out the arrow glyphs of key help for consoles whose
// font lacks them.
func (m *Model) asciiArrows(s string) string {
	if !m.th.ASCII {
		return s
	}
	return strings.NewReplacer("↑/k", "k", "↓/j", "j", "↑/↓", "up/dn", "←/→", "left/right", "↑", "up", "↓", "dn", "←", "left", "→", "right").Replace(s)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
