package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// strengthOf names a requirement list's effect in one word, as the
// domain rules classify it (the TUI does not classify requirements).
func (m *Model) strengthOf(reqs model.Requirements) string {
	return strengthWord(m.deps.Rules.Strength(reqs))
}

// strengthWord is the one word of a strength level.
func strengthWord(l policyio.StrengthLevel) string {
	switch l {
	case policyio.StrengthReject:
		return "reject"
	case policyio.StrengthSigned:
		return "signed"
	}
	return "any"
}

func (m *Model) strengthLabel(reqs model.Requirements) string {
	switch m.strengthOf(reqs) {
	case "reject":
		return m.th.Fail.Render("REJECT")
	case "signed":
		return m.th.OK.Render("SIGNED")
	}
	return m.th.Warn.Render("ANY")
}

// overviewView is the Overview tab: it only shows, so its keys are the
// guided setup (a global binding) and, while a trial runs, c to keep it.
type overviewView struct{}

func (overviewView) update(m *Model, k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.km.KeepTrial) && !m.trialDeadline.IsZero() && m.deps.Trial != nil:
		return m.confirmTrial()
	case key.Matches(k, m.km.StopShadow) && m.shadowPID() != 0:
		m.askStopShadow()
	}
	return nil
}

// shadowPID is the soak this TUI can stop: the one it started, or the
// one recorded beside the log whose process runs.
func (m *Model) shadowPID() int {
	switch {
	case m.deps.ShadowRunner == nil:
		return 0
	case m.shadowRun != nil:
		return m.shadowRun.PID
	case m.shadow != nil:
		return m.shadow.PID
	}
	return 0
}

func (m *Model) askStopShadow() {
	r := m.deps.ShadowRunner
	m.modal = &confirmDialog{
		title: "Stop the shadow soak",
		body: fmt.Sprintf("Stop the shadow soak (pid %d)? It writes its summary to the log and exits; the node's policy is not touched. "+
			"A soak of the same candidate started again carries on where it stopped.", m.shadowPID()),
		yes: "stop it",
		onYes: func(*Model) tea.Cmd {
			return func() tea.Msg {
				run, err := r.Stop()
				return shadowStopMsg{run, err}
			}
		},
	}
}

func (overviewView) render(m *Model, w, h int) string { return m.renderOverview(w, h) }

func (overviewView) bindings(m *Model) []key.Binding {
	var bs []key.Binding
	if !m.trialDeadline.IsZero() {
		bs = append(bs, m.km.KeepTrial)
	}
	if m.shadowPID() != 0 {
		bs = append(bs, m.km.StopShadow)
	}
	return append(bs, m.km.Wizard)
}

func (m *Model) renderOverview(w, h int) string {
	var b strings.Builder
	p := m.deps.Policy.Policy()
	pf := m.deps.Policy.PolicyFile()
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	line("%s", m.th.Title.Render("Trust posture"))
	switch {
	case pf == nil || !pf.Exists:
		line("  policy.json does not exist: the runtime refuses every pull.")
	case p == nil:
		line("  policy.json cannot be parsed: the runtime refuses every pull.")
	}
	// Each list shows as many names as its line has room for: joining and
	// truncating 10,000 of them was most of the first frame's drawing
	// (issue 15).
	room := w - 20
	var signed, open, rejected overviewList
	if p != nil {
		line("  Default rule:     %s  %s", m.strengthLabel(p.Default), safe(p.Default.DescribeList(m.keyLabel)))
		for _, t := range p.Transports {
			for _, s := range t.Scopes {
				l := &open
				switch m.strengthOf(s.Requirements) {
				case "signed":
					l = &signed
				case "reject":
					l = &rejected
				}
				l.add(room, func() string { return safe(t.Name + ":" + displayScope(s.Name)) })
			}
		}
	}
	list := func(label string, l overviewList) {
		s := strings.Join(l.names, ", ")
		if s == "" {
			s = "none"
		}
		line("  %-17s %s", fmt.Sprintf(label, l.n), ansi.Truncate(s, room, m.th.G.Ellipsis))
	}
	list("Signed (%d):", signed)
	list("Unsigned ok (%d):", open)
	list("Rejected (%d):", rejected)
	line("")
	if keys, err := m.keys.items, m.keys.err; m.deps.Keys == nil {
		line("  Keys:             inventory not available in this build")
	} else if err != nil {
		line("  Keys:             %s", m.th.Fail.Render(safeErr(err)))
	} else {
		line("  Keys:             %d public key(s) in %s", len(keys), safe(m.deps.Paths.KeysDir))
	}
	e := m.problems.Count(model.Error) // none yet while they are checked
	if m.problemsChecking() {
		line("  Problems:         checking%s", m.th.G.Ellipsis)
	} else {
		wn := m.problems.Count(model.Warning)
		line("  Problems:         %d error(s), %d warning(s), %d note(s)", e, wn, m.problems.Count(model.Info))
	}
	state := "saved"
	if m.dirty() {
		state = fmt.Sprintf("%d staged edit(s), not saved", len(m.deps.Policy.Edits()))
	}
	line("  Changes:          %s", state)
	switch {
	case m.trialErr != nil && m.trialDeadline.IsZero():
		line("  Trial:            %s", m.th.Fail.Render(ansi.Truncate("saves refused, run imgtrust confirm: "+safeErr(m.trialErr), max(10, w-20), m.th.G.Ellipsis)))
	case m.trialDeadline.IsZero():
	case time.Now().After(m.trialDeadline):
		// The watcher has put the files back; the staged view is stale.
		line("  Trial:            %s", m.th.Fail.Render(fmt.Sprintf("not kept by %s: the previous files are back (reopen)", m.trialDeadline.Local().Format("15:04:05"))))
	default:
		line("  Trial:            %s", m.th.Warn.Render(fmt.Sprintf("saved on trial: put back at %s unless kept (press c)", m.trialDeadline.Local().Format("15:04:05"))))
	}
	switch {
	case m.shadowErr != nil:
		line("  Shadow soak:      %s", m.th.Fail.Render(safeErr(m.shadowErr)))
	case m.shadowRun != nil && (m.shadow == nil || !m.shadow.Running):
		line("  Shadow soak:      %s", m.th.Warn.Render(fmt.Sprintf("started (pid %d), no image judged yet (x stops it)", m.shadowRun.PID)))
		line("                    %s", ansi.Truncate(safe("candidate "+m.shadowRun.Candidate), w-22, m.th.G.Ellipsis))
		if m.shadowRun.Note != "" {
			line("                    %s", ansi.Truncate(safe(m.shadowRun.Note), w-22, m.th.G.Ellipsis))
		}
	case m.shadow != nil:
		head := safe(m.shadow.Headline)
		if !m.shadow.Running {
			head += " (stopped)"
		} else if m.shadowPID() != 0 {
			head += " (x stops it)"
		}
		if m.shadow.Rejected > 0 {
			head = m.th.Fail.Render(head)
		} else {
			head = m.th.OK.Render(head)
		}
		line("  Shadow soak:      %s", ansi.Truncate(head, w-20, m.th.G.Ellipsis))
		for i, ex := range m.shadow.Examples {
			if i == 2 {
				line("                    %s", m.th.Faint.Render(fmt.Sprintf("and %d more: imgtrust shadow --report", m.shadow.Rejected-2)))
				break
			}
			line("                    %s", ansi.Truncate(safe(ex), w-22, m.th.G.Ellipsis))
		}
	}
	line("")
	line("%s", m.th.Title.Render("Next step"))
	line("  %s", m.nextStep(e))
	m.renderTour(&b, w, h)
	return b.String()
}

// renderTour adds the demo's tour below the posture, as many lines as the
// pane has room for: it is a reminder, never worth pushing the posture out.
func (m *Model) renderTour(b *strings.Builder, w, h int) {
	if len(m.deps.Tour) == 0 {
		return
	}
	used := strings.Count(b.String(), "\n")
	var lines []string
	for _, t := range m.deps.Tour {
		lines = append(lines, strings.Split(wrap(m.asciiArrows(t), w-6), "\n")...)
	}
	room := h - used - 2 // a blank line and the title
	if room <= 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n", m.th.Title.Render("Try this (demo)"))
	for i, l := range lines {
		if i == room-1 && len(lines) > room {
			fmt.Fprintf(b, "  %s\n", m.th.Faint.Render(m.th.G.Ellipsis))
			return
		}
		fmt.Fprintf(b, "  %s\n", strings.TrimRight(l, " "))
	}
}

// nextStep suggests the one most useful action.
func (m *Model) nextStep(errors int) string {
	p := m.deps.Policy.Policy()
	pf := m.deps.Policy.PolicyFile()
	switch {
	case pf == nil || !pf.Exists:
		return "no policy.json yet: press w for guided setup"
	case errors > 0 && m.policyProblems.Count(model.Error) == 0:
		// Only the node's own images' errors: the runtime loads the
		// policy, which rejects what the node needs.
		return fmt.Sprintf("%d error(s): the policy rejects images the node needs: press 6 to see them", errors)
	case errors > 0:
		return fmt.Sprintf("%d error(s) make the runtime refuse every pull: press 6 to see and fix them", errors)
	case p != nil && m.strengthOf(p.Default) == "any":
		return "the default accepts anything: press w for guided setup"
	case m.dirty():
		return "staged edits are not saved: press ctrl+s to review the diff and save"
	}
	return "press 5 to test an image against the policy, or 2 to edit it"
}

func displayScope(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// keyLabel names a key by the inventory, when it is known there.
func (m *Model) keyLabel(k model.KeyRef) string {
	if k.Inline() {
		return ""
	}
	for _, ki := range m.keys.items {
		if ki.Path == k.Path {
			return shortFpr(ki.Fingerprint, m.th.G.Ellipsis) + " (" + ki.UserID + ")"
		}
	}
	return ""
}

// shortFpr is the 16-digit long key ID, as the CLI and the traces print
// it: 4+4 digits around an ellipsis can be matched by a made-up key in
// seconds. (The second parameter, once the ellipsis, is no longer used.)
func shortFpr(f, _ string) string {
	if len(f) <= 16 {
		return f
	}
	return f[len(f)-16:]
}

// overviewList counts the scopes of one strength and keeps the names of
// the first ones, until their list is wider than its line: truncating
// that prefix gives what truncating the whole list would.
type overviewList struct {
	n     int
	names []string
	width int
}

func (l *overviewList) add(room int, name func() string) {
	l.n++
	if l.width > room {
		return
	}
	s := name()
	if len(l.names) > 0 {
		l.width += 2 // ", "
	}
	l.names = append(l.names, s)
	l.width += ansi.StringWidth(s)
}
