package ui

import (
	"os"
	"strings"
	"testing"

	"github.com/kios/imgtrust/workspace"
)

type fakeRunner struct {
	started []*workspace.Review
	stopped int
}

func (f *fakeRunner) Start(rev *workspace.Review) (ShadowRun, error) {
	f.started = append(f.started, rev)
	return ShadowRun{PID: 4242, Candidate: "/var/lib/imgtrust/candidate-x.json"}, nil
}

func (f *fakeRunner) Stop() (ShadowRun, error) { f.stopped++; return ShadowRun{PID: 4242}, nil }

// TestSaveReviewStartsShadow: s in the save review starts a shadow soak
// of the reviewed change from a tea.Cmd instead of saving; the edits stay
// staged, the Overview shows the soak and x (confirmed) stops it.
func TestSaveReviewStartsShadow(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	r := &fakeRunner{}
	d.ShadowRunner = r
	m := sized(New(d), 80, 24)
	before, _ := os.ReadFile(d.Paths.Policy)
	send(t, m, "2", "j", "j", "j", "d", "y", "ctrl+s")
	if s := screen(m); !strings.Contains(s, "s: try it in shadow instead") {
		t.Fatalf("shadow not offered:\n%s", s)
	}
	_, cmd := m.Update(kp("s"))
	if len(r.started) != 0 || cmd == nil {
		t.Fatalf("started in Update (%d) or no command", len(r.started))
	}
	m.Update(cmd())
	if len(r.started) != 1 || r.started[0] == nil || len(r.started[0].Files) != 1 {
		t.Fatalf("the runner did not get the reviewed change: %+v", r.started)
	}
	if now, _ := os.ReadFile(d.Paths.Policy); string(now) != string(before) {
		t.Fatal("policy.json written")
	}
	if !m.dirty() {
		t.Fatal("the staged edits were dropped")
	}
	send(t, m, "1")
	s := screen(m)
	for _, w := range []string{"Shadow soak:      started (pid 4242), no image judged yet (x stops it)", "candidate /var/lib/imgtrust/candidate-x.json", "1 staged edit(s), not saved"} {
		if !strings.Contains(s, w) {
			t.Errorf("overview lacks %q:\n%s", w, s)
		}
	}
	send(t, m, "x")
	if !strings.Contains(screen(m), "Stop the shadow soak (pid 4242)?") || r.stopped != 0 {
		t.Fatalf("x did not ask first (%d):\n%s", r.stopped, screen(m))
	}
	_, cmd = m.Update(kp("y"))
	m.Update(cmd().(shadowStopMsg))
	if s := screen(m); r.stopped != 1 || strings.Contains(s, "started (pid 4242)") || !strings.Contains(s, "shadow soak stopped (pid 4242)") {
		t.Fatalf("not stopped (%d):\n%s", r.stopped, s)
	}
}

// TestOverviewStopsRecordedShadow: a soak recorded beside the log (PID in
// its status) can be stopped from a later TUI.
func TestOverviewStopsRecordedShadow(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	r := &fakeRunner{}
	d.ShadowRunner = r
	d.Shadow = &fakeShadow{s: ShadowStatus{Headline: "1 hour, 3 pulls, none would have been rejected", Running: true, PID: 77}}
	m := sized(New(d), 80, 24)
	runCmd(m, m.Init())
	if s := screen(m); !strings.Contains(s, "none would have been rejected (x stops it)") {
		t.Fatalf("stop not offered:\n%s", s)
	}
	send(t, m, "x")
	_, cmd := m.Update(kp("y"))
	if msg, ok := cmd().(shadowStopMsg); !ok || r.stopped != 1 {
		t.Fatalf("not stopped: %#v", msg)
	}
}
