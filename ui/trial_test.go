package ui

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

type fakeTrial struct {
	now       time.Time
	tried     []time.Duration
	deadline  time.Time
	confirmed int
	err       error // what Pending says (an unreadable record, a failed revert)
}

func (f *fakeTrial) Try(save func() error, d time.Duration) (time.Time, error) {
	if !f.deadline.IsZero() {
		return time.Time{}, errors.New("busy")
	}
	if err := save(); err != nil {
		return time.Time{}, err
	}
	f.tried = append(f.tried, d)
	f.deadline = f.now.Add(d)
	return f.deadline, nil
}

func (f *fakeTrial) Confirm() error {
	f.confirmed++
	f.deadline = time.Time{}
	return nil
}

func (f *fakeTrial) Pending() (time.Time, bool, error) {
	if f.err != nil {
		return time.Time{}, false, f.err
	}
	return f.deadline, !f.deadline.IsZero(), nil
}

// TestSaveOnTrial: the save dialog offers a 5-minute trial; the Overview
// says when it will be put back and c keeps it; a plain save is refused
// while the trial runs.
func TestSaveOnTrial(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	tr := &fakeTrial{now: time.Now()}
	at := tr.now.Add(5 * time.Minute).Local().Format("15:04:05")
	d.Trial = tr
	m := sized(New(d), 80, 24)
	send(t, m, "2", "j", "j", "j", "d", "y", "ctrl+s")
	if s := screen(m); !strings.Contains(s, "t: apply for 5 minutes, then revert unless confirmed") {
		t.Fatalf("trial not offered:\n%s", s)
	}
	send(t, m, "t")
	if len(tr.tried) != 1 || tr.tried[0] != 5*time.Minute {
		t.Fatalf("trial: %v", tr.tried)
	}
	if b, _ := os.ReadFile(m.deps.Paths.Policy); strings.Contains(string(b), "registry.k8s.io") {
		t.Fatalf("not saved:\n%s", b)
	}
	send(t, m, "1")
	if s := screen(m); !strings.Contains(s, "saved on trial: put back at "+at+" unless kept (press c)") {
		t.Fatalf("overview does not show the trial:\n%s", s)
	}
	// Another save while the trial runs is refused.
	send(t, m, "2", "j", "j", "d", "y", "ctrl+s", "y")
	if s := screen(m); !strings.Contains(s, "a trial change is in progress until "+at) {
		t.Fatalf("a save during the trial was not refused:\n%s", s)
	}
	send(t, m, "esc", "1", "c")
	if tr.confirmed != 1 || strings.Contains(screen(m), "saved on trial") || !strings.Contains(screen(m), "confirmed: the change stays") {
		t.Fatalf("c did not keep the trial (%d):\n%s", tr.confirmed, screen(m))
	}
}

type fakeShadow struct {
	s     ShadowStatus
	calls int
}

func (f *fakeShadow) Status() (ShadowStatus, bool, error) { f.calls++; return f.s, true, nil }

// TestOverviewShowsShadowSoak: the summary comes through a tea.Cmd (Init),
// untrusted text escaped.
func TestOverviewShowsShadowSoak(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	sh := &fakeShadow{s: ShadowStatus{Headline: "3 days, 241 pulls, 2 would have been rejected", Rejected: 2, Running: true,
		Examples: []string{"quay.io/x/app:1\x1b[2J: no signature", "quay.io/x/tool:2: rejected by default"}}}
	d.Shadow = sh
	m := sized(New(d), 80, 24)
	if sh.calls != 0 {
		t.Fatal("the log was read outside a tea.Cmd")
	}
	if strings.Contains(screen(m), "Shadow soak") {
		t.Fatal("shown before it was read")
	}
	runCmd(m, m.Init())
	s := screen(m)
	for _, want := range []string{"Shadow soak:      3 days, 241 pulls, 2 would have been rejected", `quay.io/x/app:1\x1b[2J: no signature`, "quay.io/x/tool:2"} {
		if !strings.Contains(s, want) {
			t.Errorf("overview lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(m.View().Content, "\x1b[2J") {
		t.Error("an escape from the log reached the terminal")
	}
}

// TestOverviewTrialPastDeadline: once the deadline has passed the
// Overview no longer offers to keep the change: its files are back.
func TestOverviewTrialPastDeadline(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	past := time.Now().Add(-time.Minute)
	d.Trial = &fakeTrial{deadline: past}
	m := sized(New(d), 80, 24)
	send(t, m, "1")
	want := "not kept by " + past.Local().Format("15:04:05") + ": the previous files are back (reopen)"
	if s := screen(m); !strings.Contains(s, want) || strings.Contains(s, "unless kept") {
		t.Errorf("overview lacks %q:\n%s", want, s)
	}
}

// TestSaveRefusedWhenTheTrialRecordIsBad: a trial record that cannot be
// read, or a failed revert, refuses a save as the commands refuse a
// change; nothing is written.
func TestSaveRefusedWhenTheTrialRecordIsBad(t *testing.T) {
	for _, msg := range []string{"reading the trial record: not JSON", "the revert of the trial \"x\" failed"} {
		t.Run(msg, func(t *testing.T) {
			d, _, _, _ := testDeps(t, testPolicy)
			d.Trial = &fakeTrial{err: errors.New(msg)}
			before, _ := os.ReadFile(d.Paths.Policy)
			m := sized(New(d), 80, 24)
			if s := screen(m); !strings.Contains(s, "Trial:            saves refused, run imgtrust confirm: "+msg[:5]) {
				t.Errorf("the Overview does not say it:\n%s", s)
			}
			send(t, m, "2", "j", "j", "j", "d", "y", "ctrl+s", "y")
			if s := screen(m); !strings.Contains(s, "refused, nothing written") {
				t.Errorf("save not refused:\n%s", s)
			}
			if after, _ := os.ReadFile(d.Paths.Policy); string(after) != string(before) {
				t.Errorf("policy.json written:\n%s", after)
			}
		})
	}
}
