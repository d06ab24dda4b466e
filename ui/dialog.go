package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/impact"
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
	// view scrolls the body when it is taller than the screen (an
	// import of several keys): ↑/↓ scroll, nothing is cut.
	view       viewport.Model
	viewReady  bool
	scrollable bool
}

// dialogKeyMap holds the keys of the yes/no and save dialogs: update
// matches with them and bindings shows them, so the footer names what the
// dialog does.
type dialogKeyMap struct {
	// Yes's help is the dialog's own verb; Write is the save's y.
	Yes, No, Up, Down, Scroll key.Binding
	PgUp, PgDown, Write, Try  key.Binding
	// Shadow soaks the change instead of saving it; while a save waits
	// for the online check, Skip writes without it, Stop cancels.
	Shadow, Skip, Stop key.Binding
	// Confirm and Back are for a typed confirmation (the pause image's
	// name, "yes").
	Confirm, Back key.Binding
}

var dialogKeys = func() dialogKeyMap {
	b := func(keys []string, k, h string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, h))
	}
	return dialogKeyMap{
		Yes:     b([]string{"y", "Y"}, "y", "yes"),
		No:      b([]string{"n", "N", "esc", "q"}, "n/esc", "cancel"),
		Up:      b([]string{"up", "k"}, "↑/k", "up"),
		Down:    b([]string{"down", "j"}, "↓/j", "down"),
		Scroll:  b([]string{"up", "k", "down", "j"}, "↑/↓", "scroll"),
		PgUp:    b([]string{"pgup"}, "pgup", "page up"),
		PgDown:  b([]string{"pgdown", "space"}, "pgdn", "page down"),
		Write:   b([]string{"y", "enter"}, "y", "write"),
		Try:     b([]string{"t"}, "t", "try 5 min"),
		Shadow:  b([]string{"s"}, "s", "shadow"),
		Skip:    b([]string{"w"}, "w", "write without the online check"),
		Stop:    b([]string{"n", "q"}, "n", "cancel"),
		Confirm: b([]string{"enter"}, "enter", "confirm"),
		Back:    b([]string{"esc"}, "esc", "back"),
	}
}()

func (d *confirmDialog) update(m *Model, msg tea.Msg) (action, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return stayOpen{}, nil
	}
	km := dialogKeys
	switch {
	case key.Matches(k, km.Yes):
		return closeModal{}, d.onYes(m)
	case key.Matches(k, km.No):
		return closeModal{}, nil
	case key.Matches(k, km.Up):
		d.view.ScrollUp(1)
	case key.Matches(k, km.Down):
		d.view.ScrollDown(1)
	}
	return stayOpen{}, nil
}

func (d *confirmDialog) bindings() []key.Binding {
	yes := dialogKeys.Yes
	yes.SetHelp("y", d.yes)
	bs := []key.Binding{yes, dialogKeys.No}
	if d.scrollable {
		bs = append(bs, dialogKeys.Scroll)
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
		if !d.viewReady {
			d.view, d.viewReady = viewport.New(), true
		}
		d.view.SetWidth(dw - 4)
		d.view.SetHeight(room - 1)
		d.view.SetContentLines(text)
		more := max(0, d.view.TotalLineCount()-d.view.Height()-d.view.YOffset())
		status := m.th.Faint.Render(m.asciiArrows(fmt.Sprintf("(line %d of %d; ↑/↓ scroll, %d more below)", d.view.YOffset()+1, len(text), more)))
		text = append(strings.Split(d.view.View(), "\n"), status)
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

// saveDialog shows the unified diff of every file a save changes
// (policy.json, key files, registries.d), how it widens trust and what it
// does to the node's images, and after confirmation writes them through
// the workspace's change set. Nothing is written before "y", the typed
// name of the pause image when the change locks it out, and the typed
// "yes" when trust widens.
type saveDialog struct {
	files []workspace.FileChange
	lines []string
	// diff scrolls the diff (bubbles' viewport); its lines are styled
	// once, when the review is first drawn.
	diff      viewport.Model
	diffReady bool
	errs      int
	widen     []policyio.Weakening
	// lockout is the pause image (or, failing that, the image imgtrust
	// runs in) the change makes unpullable; why says what rejects it,
	// whose and effect what it is and what follows. impact lists the node
	// images whose verdict changes.
	lockout, why, whose, effect string
	impact                      []string
	// checking names the images the offline check left to the network
	// while the online check runs; unchecked those still not checked
	// (unreachable, or no online check), with the reason.
	checking, unchecked []string
	// pending: the online impact check is running. waiting: the admin
	// asked to save meanwhile; the save goes on when its result arrives,
	// or at once on w (the images stay not checked, and the status line
	// says so). skipped: w was pressed.
	pending, waiting, skipped bool
	// lockoutTyped is the pause image whose name was typed: a newer
	// result that names another asks again.
	lockoutTyped string
	// keyWarnings name staged keys the node's mechanism cannot use.
	keyWarnings []string
	// stage is what is being typed: "" none, "lockout" the image's name,
	// "widen" yes.
	stage   string
	confirm textinput.Model
	err     string
	// trial: save for TrialDuration, then put back unless kept; canTry:
	// a trial backend is there to offer it.
	trial, canTry bool
	// rev is the change under review (nil without a change set): s soaks
	// it in shadow instead of saving it.
	rev      *workspace.Review
	shadowOK bool
}

// shadowStartMsg and shadowStopMsg are a ShadowRunner's answers.
type shadowStartMsg struct {
	run ShadowRun
	err error
}

type shadowStopMsg struct {
	run ShadowRun
	err error
}

// canShadow: the review can be soaked in shadow instead of saved.
func (d *saveDialog) canShadow(m *Model) bool { return m.deps.ShadowRunner != nil && d.rev != nil }

// shadow starts a soak of the reviewed change; nothing is saved and the
// staged edits stay staged.
func (d *saveDialog) shadow(m *Model) (action, tea.Cmd) {
	if d.errs > 0 {
		d.err = fmt.Sprintf("the staged policy has %d error(s): the shadow would refuse it as a candidate. Fix them first (Problems view).", d.errs)
		return stayOpen{}, nil
	}
	r, rev := m.deps.ShadowRunner, d.rev
	m.setStatus(false, "starting a shadow soak of the staged change (nothing is saved)...")
	return closeModal{}, func() tea.Msg {
		run, err := r.Start(rev)
		return shadowStartMsg{run, err}
	}
}

// saveImpactMsg is the online impact check's result for the review d.
type saveImpactMsg struct {
	d   *saveDialog
	rep *impact.Report
}

// reviewDoneMsg is the change set's review, made by a tea.Cmd: Review
// reads every file the save writes to check that none changed on disk,
// and the offline impact judges the node's images.
type reviewDoneMsg struct {
	rev    *workspace.Review
	impact *impact.Report
	err    error
}

// openSave starts the save review: with a change set the review reads the
// node's files, so it runs in a busy command and the dialog opens when
// its result arrives (openReview).
func (m *Model) openSave() tea.Cmd {
	if cs := m.changeSet(); cs != nil {
		si := m.deps.SaveImpact
		return m.runBusy("reviewing the change", func() tea.Msg {
			rev, err := cs.Review()
			r := reviewDoneMsg{rev: rev, err: err}
			if err == nil && len(rev.Files) > 0 && si != nil {
				r.impact = si(rev)
			}
			return r
		})
	}
	d := &saveDialog{canTry: m.deps.Trial != nil}
	if m.changeErr != nil {
		m.setStatus(true, "cannot render the policy: %v", m.changeErr)
		return nil
	}
	if !m.dirty() {
		m.setStatus(false, "nothing to save: no staged changes")
		return nil
	}
	d.errs = m.saveBlockers()
	for _, c := range m.pendingChanges() {
		d.files = append(d.files, *c)
		d.widen = append(d.widen, c.Weakenings...)
		d.lines = append(d.lines, strings.Split(strings.TrimRight(c.Diff, "\n"), "\n")...)
	}
	d.confirm = textinput.New()
	d.shadowOK = d.canShadow(m)
	m.modal = d
	return nil
}

// openReview opens the save dialog on a finished review; the command it
// returns is the online impact check, when one is needed.
func (m *Model) openReview(r reviewDoneMsg) tea.Cmd {
	rev, err := r.rev, r.err
	// The on-disk check comes first: a diff against files that changed
	// meanwhile would not show what the save does.
	var oc *workspace.OutsideChangeError
	switch {
	case errors.As(err, &oc):
		var names []string
		for _, c := range oc.Changes {
			names = append(names, m.deps.Paths.Node(c.Path)+" ("+c.What+")")
		}
		m.setStatus(true, "nothing written, R reloads: changed on disk since read: %s", strings.Join(names, ", "))
		return nil
	case err != nil:
		m.setStatus(true, "cannot review the change: %s", safeErr(err))
		return nil
	case len(rev.Files) == 0:
		m.setStatus(false, "nothing to save: no staged changes")
		return nil
	}
	d := &saveDialog{canTry: m.deps.Trial != nil}
	d.files, d.widen, d.keyWarnings, d.rev = rev.Files, rev.Widenings, rev.KeyWarnings, rev
	// Held back only by errors of the files it writes (a registries.d
	// fix saves while policy.json is broken elsewhere).
	var paths []string
	for _, f := range rev.Files {
		paths = append(paths, f.Path)
	}
	d.errs = m.saveBlockersIn(paths)
	d.lines = strings.Split(strings.TrimRight(rev.Diff, "\n"), "\n")
	d.diffReady = false // drawn afresh from the new lines
	var cmd tea.Cmd
	rep := r.impact
	if rep != nil && m.deps.SaveImpactOnline != nil && needsNetwork(rep) {
		// What the policy alone decides is shown at once; the images
		// that need their signatures are checked in the background.
		check := m.deps.SaveImpactOnline(rev)
		d.pending = true
		cmd = func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), OnlineImpactTimeout)
			defer cancel()
			return saveImpactMsg{d, check(ctx)}
		}
	}
	d.readImpact(rep)
	d.confirm = textinput.New()
	d.shadowOK = d.canShadow(m)
	m.modal = d
	return cmd
}

func needsNetwork(rep *impact.Report) bool {
	for _, row := range rep.Rows {
		if row.NeedsNetwork() {
			return true
		}
	}
	return false
}

// readImpact keeps what the save review says about the node's images.
// A newer report replaces what an older one said.
func (d *saveDialog) readImpact(rep *impact.Report) {
	d.lockout, d.why, d.impact, d.checking, d.unchecked = "", "", nil, nil, nil
	if rep == nil {
		return
	}
	// The own image's lockout is refused like the pause image's (the CLI
	// wants --allow-lockout for either): the admin's debug pod could not
	// start again to undo the change.
	if row := rep.PauseLockout(); row != nil {
		d.lockout, d.why = row.Image.Ref, row.Candidate.Reason+", under "+row.Candidate.Scope
		d.whose, d.effect = "the pause image", "no new pod could start on this node"
	} else if row := rep.OwnLockout(); row != nil {
		d.lockout, d.why = row.Image.Ref, row.Candidate.Reason+", under "+row.Candidate.Scope
		d.whose, d.effect = "the image imgtrust runs in", "a new debug pod from it could not start to undo this"
	}
	for _, row := range rep.Rows {
		switch {
		case row.NeedsNetwork() && d.pending:
			d.checking = append(d.checking, fmt.Sprintf("%s (%s)", row.Image.Ref, row.Image.Role))
			continue
		case row.Change == impact.Unknown:
			v := row.Candidate
			if v.Status != impact.NotChecked {
				v = row.Current
			}
			d.unchecked = append(d.unchecked, fmt.Sprintf("not checked: %s (%s): %s", row.Image.Ref, row.Image.Role, v.Reason))
			continue
		}
		switch row.Change {
		case impact.Lockout:
			d.impact = append(d.impact, fmt.Sprintf("LOCKOUT %s (%s) would be rejected: %s", row.Image.Ref, row.Image.Role, row.Candidate.Reason))
		case impact.Widening:
			d.impact = append(d.impact, fmt.Sprintf("WIDENS %s (%s) would become pullable", row.Image.Ref, row.Image.Role))
		}
	}
}

// online takes the online check's result: it replaces the offline rows,
// and the typed confirmation follows it. A lockout it finds that was not
// typed yet stops a confirmation under way; a save that was waiting for
// it goes on.
func (d *saveDialog) online(m *Model, rep *impact.Report) (action, tea.Cmd) {
	d.pending = false
	d.readImpact(rep)
	if d.lockout != "" && d.lockout != d.lockoutTyped && d.stage != "" && d.stage != "lockout" {
		d.stage = ""
		d.confirm.Blur()
		d.waiting = false
		d.err = "the online check found a lockout: review it, then y"
		return stayOpen{}, nil
	}
	if d.waiting {
		d.waiting = false
		return d.next(m)
	}
	return stayOpen{}, nil
}

// next asks for what the save still needs: the pause image's name, then
// "yes" for a widening; it saves when nothing is left.
func (d *saveDialog) next(m *Model) (action, tea.Cmd) {
	switch {
	case d.pending && !d.skipped:
		// The online check may still find a lockout: the save waits.
		d.waiting = true
		return stayOpen{}, nil
	case d.stage != "lockout" && d.lockout != "" && d.lockoutTyped != d.lockout:
		d.stage = "lockout"
		d.confirm.Prompt = "type the image's name: "
		d.confirm.CharLimit = len(d.lockout) + 8
	case d.stage != "widen" && len(d.widen) > 0:
		d.stage = "widen"
		d.confirm.Prompt = "type yes: "
		d.confirm.CharLimit = 8
	default:
		return d.save(m, len(d.widen) > 0)
	}
	d.confirm.SetValue("")
	d.err = ""
	return stayOpen{}, d.confirm.Focus()
}

func (d *saveDialog) update(m *Model, msg tea.Msg) (action, tea.Cmd) {
	if r, ok := msg.(saveImpactMsg); ok {
		if r.d != d {
			return stayOpen{}, nil // the result of an earlier review
		}
		return d.online(m, r.rep)
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return stayOpen{}, nil
	}
	km := dialogKeys
	if d.waiting {
		switch {
		case key.Matches(k, km.Skip):
			d.waiting, d.skipped = false, true
			return d.next(m)
		case key.Matches(k, km.Back):
			d.waiting, d.trial = false, false
			return stayOpen{}, nil
		case key.Matches(k, km.Stop):
			m.setStatus(false, "save cancelled: nothing was written")
			return closeModal{}, nil
		}
		return stayOpen{}, nil
	}
	if d.stage != "" {
		switch {
		case key.Matches(k, km.Back):
			d.stage, d.err = "", ""
			d.confirm.Blur()
			return stayOpen{}, nil
		case key.Matches(k, km.Confirm):
			v := strings.TrimSpace(d.confirm.Value())
			switch {
			case d.stage == "lockout" && v != d.lockout:
				d.err = "type " + d.whose + "'s name exactly (" + safe(d.lockout) + ") to save a change after which " + d.effect + ", or esc"
				return stayOpen{}, nil
			case d.stage == "widen" && v != "yes":
				d.err = `type "yes" to widen trust, or esc`
				return stayOpen{}, nil
			}
			if d.stage == "lockout" {
				d.lockoutTyped = d.lockout
			}
			return d.next(m)
		}
		var cmd tea.Cmd
		d.confirm, cmd = d.confirm.Update(k)
		return stayOpen{}, cmd
	}
	page := max(1, m.h-12)
	switch {
	case key.Matches(k, km.No):
		m.setStatus(false, "save cancelled: nothing was written")
		return closeModal{}, nil
	case key.Matches(k, km.Up):
		d.diff.ScrollUp(1)
	case key.Matches(k, km.Down):
		d.diff.ScrollDown(1)
	case key.Matches(k, km.PgUp):
		d.diff.ScrollUp(page)
	case key.Matches(k, km.PgDown):
		d.diff.ScrollDown(page)
	case key.Matches(k, km.Shadow):
		if !d.canShadow(m) {
			return stayOpen{}, nil
		}
		return d.shadow(m)
	case key.Matches(k, km.Try) && m.deps.Trial == nil:
		return stayOpen{}, nil
	case key.Matches(k, km.Try), key.Matches(k, km.Write):
		d.trial = key.Matches(k, km.Try)
		if d.errs > 0 {
			d.err = fmt.Sprintf("the staged policy has %d error(s); the runtime would refuse it. Fix them first (Problems view).", d.errs)
			return stayOpen{}, nil
		}
		return d.next(m)
	}
	return stayOpen{}, nil
}

// saveDoneMsg is the result of a save run by a tea.Cmd.
type saveDoneMsg struct {
	err error
	// trial: the save was a trial, put back at deadline unless kept.
	trial    bool
	deadline time.Time
	// running is the deadline of a trial that was already running:
	// nothing was written.
	running time.Time
	// trialErr: the trial record is unreadable or its revert failed; the
	// command line refuses every change then, and so does the TUI.
	trialErr error
	// lists are the keys and look-asides as saved.
	lists lists
}

// save writes the change set in a command. Until its result arrives the
// root is busy: it shows "saving...", draws the frame it had and takes no
// keys, so that nothing is staged while the workspace writes and View
// never reads the workspace while the command changes it.
func (d *saveDialog) save(m *Model, allowWeaken bool) (action, tea.Cmd) {
	pol, tr, trial, read := m.deps.Policy, m.deps.Trial, d.trial, m.readLists()
	return stayOpen{}, m.runBusy("saving", func() tea.Msg {
		if tr != nil {
			// The trial's revert would undo this save too.
			dl, ok, err := tr.Pending()
			switch {
			case err != nil:
				return saveDoneMsg{trialErr: err}
			case ok:
				return saveDoneMsg{running: dl}
			}
		}
		save := func() error { return pol.Save("", allowWeaken) }
		r := saveDoneMsg{trial: trial}
		if trial {
			r.deadline, r.err = tr.Try(save, TrialDuration)
		} else {
			r.err = save()
		}
		if r.err == nil || errors.As(r.err, new(interface{ Written() bool })) {
			r.lists = read()
		}
		return r
	})
}

// saved takes the save's result: the dialog closes on success and stays
// open with the reason otherwise.
func (d *saveDialog) saved(m *Model, r saveDoneMsg) (closed bool) {
	if r.trialErr != nil {
		d.err = "refused, nothing written: " + safeErr(r.trialErr)
		return false
	}
	if !r.running.IsZero() {
		d.err = fmt.Sprintf("a trial change is in progress until %s: keep it first (Overview, c) or wait for its revert", r.running.Local().Format("15:04:05"))
		m.trialDeadline = r.running
		return false
	}
	// An error after the files were written (the audit log, the trial's
	// record): the change is in force, and the screen must show it.
	var written interface{ Written() bool }
	if r.err != nil && errors.As(r.err, &written) && written.Written() {
		m.refresh()
		m.takeLists(r.lists)
		m.setStatus(true, "saved, but: %s", safeErr(r.err))
		return true
	}
	if err := r.err; err != nil {
		var ie *policyio.InvalidError
		var rb *workspace.RollbackError
		switch {
		case errors.As(err, &ie):
			d.err = "refused, nothing written: " + safeErr(err)
		case errors.As(err, &rb):
			d.err = "save failed: " + safeErr(err)
		default:
			d.err = "save failed, nothing changed: " + safeErr(err)
		}
		d.stage = ""
		return false
	}
	m.refresh()
	m.takeLists(r.lists)
	unchecked := ""
	if d.pending {
		unchecked = fmt.Sprintf("; %d image(s) not checked online", len(d.checking))
	}
	if r.trial {
		m.trialDeadline = r.deadline
		m.setStatus(false, "saved on trial: put back at %s unless kept (Overview, c)%s", r.deadline.Local().Format("15:04:05"), unchecked)
		return true
	}
	if len(d.files) == 1 {
		m.setStatus(false, "saved %s (backup kept)%s", safe(m.deps.Paths.Node(d.files[0].Path)), unchecked)
	} else {
		m.setStatus(false, "saved %d files as one change (backups of the replaced ones kept)%s", len(d.files), unchecked)
	}
	return true
}

func (d *saveDialog) bindings() []key.Binding {
	km := dialogKeys
	if d.stage != "" {
		return []key.Binding{km.Confirm, km.Back}
	}
	if d.waiting {
		return []key.Binding{km.Skip, km.Back, km.Stop}
	}
	bs := []key.Binding{km.Scroll, km.Write}
	if d.canTry {
		bs = append(bs, km.Try)
	}
	if d.shadowOK {
		bs = append(bs, km.Shadow)
	}
	return append(bs, km.No)
}

func (d *saveDialog) render(m *Model, w, h int) string {
	var head []string
	for _, c := range d.files {
		verb := "will change"
		switch {
		case c.Remove:
			verb = "will be removed"
		case c.Old == nil:
			verb = "will be created"
		}
		if len(d.files) == 1 {
			verb += " (atomic write, backup of the old file, audit line)"
		}
		head = append(head, m.th.Bold.Render(safe(m.deps.Paths.Node(c.Path)))+" "+verb)
		if c.DropsComments {
			head = append(head, m.th.Warn.Render(m.th.G.Warn+" its comments will be lost: JSON written by imgtrust has none"))
		}
	}
	if len(d.files) > 1 {
		head = append(head, m.th.Faint.Render("written as one change: keys, registries.d, policy.json, removals; each atomic with a backup, all put back if one fails"))
	}
	if d.lockout != "" {
		head = append(head, m.th.Fail.Render(fmt.Sprintf("%s LOCKOUT: %s %s would be rejected (%s): %s", m.th.G.Fail, d.whose, safe(d.lockout), safe(d.why), d.effect)))
	}
	for _, l := range d.impact {
		if d.lockout == "" || !strings.Contains(l, d.lockout) {
			head = append(head, m.th.Warn.Render(m.th.G.Warn+" "+safe(l)))
		}
	}
	for _, c := range d.checking {
		head = append(head, m.th.Faint.Render("checking online... "+safe(c)))
	}
	for _, l := range d.unchecked {
		head = append(head, m.th.Faint.Render(safe(l)))
	}
	for _, kw := range d.keyWarnings {
		head = append(head, m.th.Warn.Render(m.th.G.Warn+" "+safe(kw)))
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
	case d.waiting:
		foot = append(foot, m.th.Warn.Render(fmt.Sprintf("Waiting for the online check of %d image(s): it may find a lockout.", len(d.checking))),
			"w: write without it (they stay not checked)   esc: back   n: cancel")
	case d.stage == "lockout":
		foot = append(foot, m.th.Fail.Render("Type "+safe(d.lockout)+" to save anyway."), d.confirm.View())
	case d.stage == "widen":
		foot = append(foot, m.th.Fail.Render("This change lets in images that were refused before."), d.confirm.View())
	case d.lockout != "":
		foot = append(foot, "y: continue (you will be asked to type the image's name)   n/esc: cancel")
	case len(d.widen) > 0:
		foot = append(foot, "y: continue (you will be asked to type yes)   n/esc: cancel, nothing is written")
	case m.deps.Trial != nil:
		foot = append(foot, "y: write   t: apply for 5 minutes, then revert unless confirmed   n/esc: cancel")
	default:
		what := "the file"
		if len(d.files) > 1 {
			what = fmt.Sprintf("the %d files", len(d.files))
		}
		foot = append(foot, "y: write "+what+"   n/esc: cancel, nothing is written")
	}
	if d.shadowOK && d.stage == "" && !d.waiting && d.errs == 0 {
		foot = append(foot, "s: try it in shadow instead: soak it on the node's pulls, save nothing")
	}
	// Each key and what it does stays readable at 80 columns: wrap, never cut.
	foot = strings.Split(wrap(strings.Join(foot, "\n"), w-4), "\n")
	if d.err != "" {
		foot = append(foot, strings.Split(m.th.Fail.Render(wrap(d.err, w-4)), "\n")...)
	}
	innerH := h - 2
	diffH := max(1, innerH-len(head)-len(foot)-1)
	if !d.diffReady {
		styled := make([]string, len(d.lines))
		for i, l := range d.lines {
			styled[i] = m.styleDiffLine(l)
		}
		d.diff = viewport.New()
		d.diff.SetContentLines(styled)
		d.diffReady = true
	}
	d.diff.SetWidth(max(1, w-4))
	d.diff.SetHeight(diffH)
	diff := strings.Split(d.diff.View(), "\n")
	for len(diff) < diffH {
		diff = append(diff, "")
	}
	all := append(append(append(head, diff[:diffH]...), ""), foot...)
	title := fmt.Sprintf(" Review and save (diff %d/%d lines) ", min(d.diff.YOffset()+diffH, len(d.lines)), len(d.lines))
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
