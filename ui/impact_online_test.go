package ui

import (
	"context"
	"os"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/kios/imgtrust/impact"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/workspace"
)

// pauseRow is the pause image's impact row with the candidate's verdict.
func pauseRow(cand impact.Verdict, change impact.Change) impact.Row {
	return impact.Row{Image: node.NodeImage{Ref: "registry.k8s.io/pause:3.10", Role: node.RolePause},
		Current: impact.Verdict{Status: impact.Pullable, Offline: true, Reason: "insecureAcceptAnything"}, Candidate: cand, Change: change}
}

// TestSaveReviewOnlineImpact: the offline rows that need the network show
// "checking online..." while the online check runs in a tea.Cmd; its
// result replaces them, and the typed confirmation follows it. A save
// asked for before the result waits for it (w writes without it, and the
// status says so).
func TestSaveReviewOnlineImpact(t *testing.T) {
	rejected := pauseRow(impact.Verdict{Status: impact.Rejected, Scope: "docker:registry.k8s.io", Reason: "no signature"}, impact.Lockout)
	unreachable := pauseRow(impact.Verdict{Status: impact.NotChecked, Scope: "docker:registry.k8s.io", Reason: "cannot check: connection refused"}, impact.Unknown)
	tests := []struct {
		name   string
		online impact.Row
		// early: y before the result arrives; then keys after it.
		early, skip bool
		wantScreen  []string
		wantSaved   bool
		wantStatus  string
	}{
		{name: "rejected online is a lockout", online: rejected,
			wantScreen: []string{"LOCKOUT: the pause image registry.k8s.io/pause:3.10 would be rejected (no", "y: continue (you will be asked to type the image's name)"}},
		{name: "save waits, then asks for the name", online: rejected, early: true,
			wantScreen: []string{"Type registry.k8s.io/pause:3.10 to save anyway."}},
		{name: "unreachable stays not checked", online: unreachable, early: true, wantSaved: true,
			wantStatus: "saved /etc/containers/policy.json (backup kept)"},
		{name: "w writes without the online check", online: rejected, early: true, skip: true, wantSaved: true,
			wantStatus: "(backup kept); 1 image(s) not checked online"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, _, _ := testDeps(t, testPolicy)
			calls := 0
			d.SaveImpact = func(*workspace.Review) *impact.Report {
				return &impact.Report{Rows: []impact.Row{pauseRow(impact.Verdict{Status: impact.NotChecked, Reason: impact.ReasonOffline}, impact.Unknown)}}
			}
			d.SaveImpactOnline = func(*workspace.Review) func(context.Context) *impact.Report {
				return func(ctx context.Context) *impact.Report {
					calls++
					if _, ok := ctx.Deadline(); !ok {
						t.Error("the online check has no deadline")
					}
					return &impact.Report{Rows: []impact.Row{tt.online}}
				}
			}
			m := sized(New(d), 80, 24)
			before, _ := os.ReadFile(d.Paths.Policy)
			send(t, m, "2", "j", "j", "j", "d", "y")
			cmd := openReviewNow(m)
			if calls != 0 || cmd == nil {
				t.Fatalf("online check ran in Update (%d) or was not started", calls)
			}
			if s := screen(m); !strings.Contains(s, "checking online... registry.k8s.io/pause:3.10 (pause)") || strings.Contains(s, "LOCKOUT") {
				t.Fatalf("pending row not shown:\n%s", s)
			}
			if tt.early {
				send(t, m, "y")
				if s := screen(m); !strings.Contains(s, "Waiting for the online check of 1 image(s)") {
					t.Fatalf("y did not wait for the online check:\n%s", s)
				}
				if tt.skip {
					send(t, m, "w")
				}
			}
			_, next := m.Update(cmd().(saveImpactMsg))
			runCmd(m, next) // a save waiting for the result goes on
			s := screen(m)
			for _, w := range tt.wantScreen {
				if !strings.Contains(s, w) {
					t.Errorf("screen lacks %q:\n%s", w, s)
				}
			}
			if strings.Contains(s, "checking online...") && !tt.wantSaved {
				t.Errorf("still checking after the result:\n%s", s)
			}
			now, _ := os.ReadFile(d.Paths.Policy)
			if saved := string(now) != string(before); saved != tt.wantSaved {
				t.Fatalf("saved = %v, want %v:\n%s", saved, tt.wantSaved, s)
			}
			if tt.wantStatus != "" && !strings.Contains(s, tt.wantStatus) {
				t.Errorf("status lacks %q:\n%s", tt.wantStatus, s)
			}
		})
	}
}

// TestSaveReviewStaleOnlineResult: the result of a review that was
// closed does not reach the next review, which waits for its own.
func TestSaveReviewStaleOnlineResult(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	d.SaveImpact = func(*workspace.Review) *impact.Report {
		return &impact.Report{Rows: []impact.Row{pauseRow(impact.Verdict{Status: impact.NotChecked, Reason: impact.ReasonOffline}, impact.Unknown)}}
	}
	d.SaveImpactOnline = func(*workspace.Review) func(context.Context) *impact.Report {
		return func(context.Context) *impact.Report {
			return &impact.Report{Rows: []impact.Row{pauseRow(impact.Verdict{Status: impact.Rejected, Reason: "no signature"}, impact.Lockout)}}
		}
	}
	m := sized(New(d), 80, 24)
	send(t, m, "2", "j", "j", "j", "d", "y")
	first := openReviewNow(m)
	send(t, m, "esc")
	second := openReviewNow(m)
	m.Update(first().(saveImpactMsg))
	if s := screen(m); !strings.Contains(s, "checking online...") || strings.Contains(s, "LOCKOUT") {
		t.Fatalf("an earlier review's result reached this one:\n%s", s)
	}
	m.Update(second().(saveImpactMsg))
	if s := screen(m); !strings.Contains(s, "LOCKOUT") {
		t.Fatalf("this review's result not shown:\n%s", s)
	}
}

// TestSaveReviewLateLockoutStopsConfirmation: after w (write without the
// online check) the admin is typing "yes" for a widening when the result
// arrives with a lockout: the confirmation stops, and the save then wants
// the pause image's name first — the newest result decides.
func TestSaveReviewLateLockoutStopsConfirmation(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	d.SaveImpact = func(*workspace.Review) *impact.Report {
		return &impact.Report{Rows: []impact.Row{pauseRow(impact.Verdict{Status: impact.NotChecked, Reason: impact.ReasonOffline}, impact.Unknown)}}
	}
	d.SaveImpactOnline = func(*workspace.Review) func(context.Context) *impact.Report {
		return func(context.Context) *impact.Report {
			return &impact.Report{Rows: []impact.Row{pauseRow(impact.Verdict{Status: impact.Rejected, Reason: "no signature"}, impact.Lockout)}}
		}
	}
	m := sized(New(d), 80, 24)
	before, _ := os.ReadFile(d.Paths.Policy)
	send(t, m, "2", "j", "j", "j", "d", "y")
	cmd := openReviewNow(m)
	sd := m.modal.(*saveDialog)
	// A widening in the same change: the save asks for "yes".
	sd.widen = []policyio.Weakening{{Was: "signed", Now: "anything"}}
	send(t, m, "y", "w")
	if sd.stage != "widen" {
		t.Fatalf("stage %q after w", sd.stage)
	}
	send(t, m, "type:ye")
	m.Update(cmd())
	if s := screen(m); sd.stage != "" || !strings.Contains(s, "the online check found a lockout") {
		t.Fatalf("the late lockout did not stop the confirmation (stage %q):\n%s", sd.stage, s)
	}
	send(t, m, "y")
	if sd.stage != "lockout" {
		t.Fatalf("y after the lockout asks for %q, want the image's name", sd.stage)
	}
	send(t, m, "type:registry.k8s.io/pause:3.10", "enter", "type:yes", "enter")
	if now, _ := os.ReadFile(d.Paths.Policy); string(now) == string(before) {
		t.Fatalf("not saved after both confirmations:\n%s", screen(m))
	}
}

// openReviewNow presses ctrl+s and feeds back the review's result (the
// review reads files, in a busy command); it returns the command the
// opened dialog starts (the online check).
func openReviewNow(m *Model) tea.Cmd {
	_, cmd := m.Update(kp("ctrl+s"))
	if cmd == nil || m.busy == "" {
		return cmd
	}
	_, cmd = m.Update(cmd())
	return cmd
}
