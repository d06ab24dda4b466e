package ui

import (
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/kios/imgtrust/model"
)

// The keys each component's help names do what the help says: every key
// of a binding it shows is pressed and its effect checked, so that help
// and behaviour cannot disagree.

func closes(a action) bool { _, ok := a.(closeModal); return ok }

// helpKeys lists the keys of the bindings whose help says desc.
func helpKeys(t *testing.T, bs []key.Binding, desc string) []string {
	t.Helper()
	for _, b := range bs {
		if b.Help().Desc == desc {
			return b.Keys()
		}
	}
	t.Fatalf("no binding %q in the help %v", desc, bs)
	return nil
}

func TestConfirmDialogKeysDoWhatTheHelpSays(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	newDialog := func(yes *int) *confirmDialog {
		d := &confirmDialog{title: "t", body: strings.Repeat("line\n", 60), yes: "do it",
			onYes: func(*Model) tea.Cmd { *yes++; return nil }}
		d.render(m, 80, 20) // the body is taller than the screen: scrollable
		return d
	}
	var yes int
	d := newDialog(&yes)
	for _, k := range helpKeys(t, d.bindings(), "do it") {
		yes = 0
		if act, _ := newDialog(&yes).update(m, kp(k)); !closes(act) || yes != 1 {
			t.Errorf("%q: yes %d", k, yes)
		}
	}
	for _, k := range helpKeys(t, d.bindings(), "cancel") {
		yes = 0
		if act, _ := newDialog(&yes).update(m, kp(k)); !closes(act) || yes != 0 {
			t.Errorf("%q: yes %d", k, yes)
		}
	}
	for _, k := range helpKeys(t, d.bindings(), "scroll") {
		d := newDialog(&yes)
		d.view.SetYOffset(5)
		if act, _ := d.update(m, kp(k)); closes(act) || d.view.YOffset() == 5 {
			t.Errorf("%q did not scroll (offset %d)", k, d.view.YOffset())
		}
	}
}

func TestSaveDialogKeysDoWhatTheHelpSays(t *testing.T) {
	open := func(t *testing.T) (*Model, *saveDialog) {
		d, _, _, _ := testDeps(t, testPolicy)
		d.Trial = &fakeTrial{now: time.Now()}
		m := sized(New(d), 80, 24)
		send(t, m, "2", "j", "j", "j", "d", "y", "ctrl+s")
		sd, ok := m.modal.(*saveDialog)
		if !ok {
			t.Fatalf("no save dialog:\n%s", screen(m))
		}
		return m, sd
	}
	_, sd := open(t)
	bs := sd.bindings()
	for _, k := range helpKeys(t, bs, "cancel") {
		m, _ := open(t)
		send(t, m, k)
		if m.modal != nil || !strings.Contains(m.status, "save cancelled") {
			t.Errorf("%q did not cancel: %T %q", k, m.modal, m.status)
		}
	}
	for _, k := range helpKeys(t, bs, "write") {
		m, _ := open(t)
		if press(m, k) == nil || m.busy != "saving" {
			t.Errorf("%q did not start the save (busy %q)", k, m.busy)
		}
	}
	for _, k := range helpKeys(t, bs, "try 5 min") {
		m, d := open(t)
		if press(m, k) == nil || m.busy != "saving" || !d.trial {
			t.Errorf("%q did not start a trial save (busy %q, trial %v)", k, m.busy, d.trial)
		}
	}
	for _, k := range helpKeys(t, bs, "scroll") {
		m, d := open(t)
		screen(m) // drawn: the diff is in its viewport
		d.diff.SetYOffset(2)
		send(t, m, k)
		if d.diff.YOffset() == 2 || m.modal != d {
			t.Errorf("%q did not scroll (offset %d)", k, d.diff.YOffset())
		}
	}
	// The typed confirmation of a widening: enter confirms, esc goes back.
	m, d := open(t)
	d.stage = "widen"
	if bs := d.bindings(); len(helpKeys(t, bs, "confirm")) == 0 || len(helpKeys(t, bs, "back")) == 0 {
		t.Fatal("no confirm/back help")
	}
	for _, k := range helpKeys(t, d.bindings(), "back") {
		d.stage = "widen"
		send(t, m, k)
		if d.stage != "" || m.modal != d {
			t.Errorf("%q did not go back (stage %q)", k, d.stage)
		}
	}
	for _, k := range helpKeys(t, func() []key.Binding { d.stage = "widen"; return d.bindings() }(), "confirm") {
		d.stage = "widen"
		d.confirm.SetValue("no")
		send(t, m, k)
		if !strings.Contains(d.err, `type "yes"`) {
			t.Errorf("%q did not check the typed confirmation: %q", k, d.err)
		}
	}
}

func TestFixChoiceKeysDoWhatTheHelpSays(t *testing.T) {
	newChoice := func() *fixChoice {
		return &fixChoice{diag: model.Diagnostic{Fixes: []model.QuickFix{{Title: "a"}, {Title: "b"}, {Title: "c"}}}}
	}
	for _, k := range helpKeys(t, fixChoiceKeys, "choose") {
		c := newChoice()
		c.cursor = 1
		if _, done := c.key(kp(k)); done || c.cursor == 1 {
			t.Errorf("%q did not move the choice", k)
		}
	}
	// "up/dn" names both directions.
	c := newChoice()
	c.key(kp("down"))
	c.key(kp("down"))
	c.key(kp("up"))
	if c.cursor != 1 {
		t.Errorf("down, down, up: cursor %d", c.cursor)
	}
	for _, k := range helpKeys(t, fixChoiceKeys, "apply") {
		c := newChoice()
		c.cursor = 2
		if i, done := c.key(kp(k)); !done || i != 2 {
			t.Errorf("%q: picked %d, done %v", k, i, done)
		}
	}
	// enter/1-9: a digit picks that fix, one past the last is ignored.
	if i, done := newChoice().key(kp("2")); !done || i != 1 {
		t.Errorf("2: picked %d, done %v", i, done)
	}
	if _, done := newChoice().key(kp("4")); done {
		t.Error("4 of 3 fixes was taken")
	}
	for _, k := range helpKeys(t, fixChoiceKeys, "cancel") {
		if i, done := newChoice().key(kp(k)); !done || i != -1 {
			t.Errorf("%q: picked %d, done %v", k, i, done)
		}
	}
}

func TestPolicySwitchKeysDoWhatTheHelpSays(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	newDialog := func() *policySwitchDialog {
		return &policySwitchDialog{list: []PolicyChoice{{File: "/etc/containers/policy.json", Current: true}, {Namespace: "ns", File: "/etc/crio/policies/ns.json"}}}
	}
	bs := newDialog().bindings()
	for _, k := range helpKeys(t, bs, "choose") {
		d := newDialog()
		start := 0
		if k == "up" || k == "k" {
			d.sel, start = 1, 1
		}
		if act, _ := d.update(m, kp(k)); closes(act) || d.sel == start {
			t.Errorf("%q did not move (sel %d)", k, d.sel)
		}
	}
	for _, k := range helpKeys(t, bs, "edit it") {
		d := newDialog()
		d.sel = 1
		if act, _ := d.update(m, kp(k)); act != (switchPolicy{d.list[1]}) {
			t.Errorf("%q did not switch: %#v", k, act)
		}
	}
	for _, k := range helpKeys(t, bs, "cancel") {
		if act, cmd := newDialog().update(m, kp(k)); !closes(act) || cmd != nil {
			t.Errorf("%q did not cancel", k)
		}
	}
}

func TestOverviewKeepTrialKeyDoesWhatTheHelpSays(t *testing.T) {
	for _, k := range newKeyMap().KeepTrial.Keys() {
		d, _, _, _ := testDeps(t, testPolicy)
		tr := &fakeTrial{now: time.Now()}
		d.Trial = tr
		m := sized(New(d), 80, 24)
		send(t, m, "2", "j", "j", "j", "d", "y", "ctrl+s", "t", "1")
		if len(helpKeys(t, m.viewBindings(), "keep the trial change")) == 0 {
			t.Fatal("no keep help")
		}
		send(t, m, k)
		if tr.confirmed != 1 {
			t.Errorf("%q did not keep the trial", k)
		}
	}
}

// TestRootAppliesModalActions: a modal says what happens next and the
// root does it; a close leaves a modal the closing one's work opened.
func TestRootAppliesModalActions(t *testing.T) {
	next := &confirmDialog{title: "next"}
	tests := []struct {
		name      string
		act       action
		modal     func(cur modal) modal // the modal after the action
		quits     bool
		switchTo  string
		reviewing bool
	}{
		{name: "stay", act: stayOpen{}, modal: func(cur modal) modal { return cur }},
		{name: "close", act: closeModal{}, modal: func(modal) modal { return nil }},
		{name: "open next", act: openModal{next}, modal: func(modal) modal { return next }},
		{name: "quit", act: quitApp{}, modal: func(modal) modal { return nil }, quits: true},
		{name: "switch policy", act: switchPolicy{PolicyChoice{Namespace: "ns"}}, modal: func(modal) modal { return nil }, quits: true, switchTo: "ns"},
		{name: "review save", act: reviewSave{status: "staged: x"}, modal: func(modal) modal { return nil }, reviewing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
			send(t, m, "2", "j", "j", "j", "d", "y") // something to review
			cur := &confirmDialog{title: "cur"}
			m.modal = cur
			cmd := m.applyAction(cur, tt.act, nil)
			if m.modal != tt.modal(cur) {
				t.Errorf("modal %v, want %v", m.modal, tt.modal(cur))
			}
			if tt.quits {
				if cmd == nil {
					t.Fatal("no command")
				}
				if _, ok := cmd().(tea.QuitMsg); !ok {
					t.Error("does not quit")
				}
			}
			if c, ok := m.SwitchTo(); ok != (tt.switchTo != "") || c.Namespace != tt.switchTo {
				t.Errorf("SwitchTo %v %v", c, ok)
			}
			if tt.reviewing && (m.busy == "" || m.before.text != "staged: x") {
				t.Errorf("no review started (busy %q, status %q)", m.busy, m.before.text)
			}
		})
	}
	// A close after the closing modal's work opened another keeps it.
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	cur := &confirmDialog{title: "cur"}
	m.modal = next
	m.applyAction(cur, closeModal{}, nil)
	if m.modal != next {
		t.Error("a close dropped the modal its work opened")
	}
}
