package ui

import (
	"strings"
	"sync/atomic"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/kios/imgtrust/model"
)

// feed runs cmd (a batch too) and hands its messages to m.
func feed(m *Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			feed(m, c)
		}
	case nil:
	default:
		m.Update(msg)
	}
}

// TestNodeImageProblemsAreCounted: the node's own images' problems
// (Deps.NodeImageProblems: lint's pause-image lockout) are computed in a
// tea.Cmd and shown and counted by the header, the Overview and the
// Problems view with the policy's; until the first answer the header says
// checking, never "no problems"; each change of the staged state asks
// again, and an answer for an earlier state is dropped.
func TestNodeImageProblemsAreCounted(t *testing.T) {
	const clean = `{"default":[{"type":"reject"}],"transports":{"docker":{"registry.k8s.io":[{"type":"insecureAcceptAnything"}]}}}`
	lockout := model.Diagnostic{Severity: model.Error, Code: "pause-image-rejected", Pos: model.Pos{File: "/etc/crio/crio.conf"},
		Message: "the policy rejects the pause image registry.k8s.io/pause:3.10: no new pod can start on this node"}
	var rejects atomic.Bool
	rejects.Store(true)
	var prepared atomic.Int32
	d, _, _, _ := testDeps(t, clean)
	d.NodeImageProblems = func() func() model.Diagnostics {
		prepared.Add(1)
		locked := rejects.Load() // the state as prepared, as the backend takes it
		return func() model.Diagnostics {
			if locked {
				return model.Diagnostics{lockout}
			}
			return nil
		}
	}
	m := New(d)
	m.modal = nil
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	init := m.Init()
	// The policy's own problems first: none, but the images are not known.
	feed(m, m.checkProblems())
	if s := screen(m); !strings.Contains(s, "checking…") || strings.Contains(s, "no problems") {
		t.Fatalf("before the node images' answer:\n%s", s)
	}
	feed(m, init)
	s := screen(m)
	if !strings.Contains(s, "1 error") || strings.Contains(s, "no problems") {
		t.Fatalf("header after the answer:\n%s", s)
	}
	if !strings.Contains(s, "Problems:         1 error(s), 0 warning(s)") {
		t.Errorf("Overview does not count the lockout:\n%s", s)
	}
	if !strings.Contains(s, "the policy rejects images the node needs") || strings.Contains(s, "refuse every pull") {
		t.Errorf("Overview's next step misreads the lockout:\n%s", s)
	}
	m.switchView(vProblems)
	if s := screen(m); !strings.Contains(s, "the policy rejects the pause image registry.k8s.io/pause:3.10") || !strings.Contains(s, "Problems(1)") {
		t.Errorf("Problems view lacks the lockout:\n%s", s)
	}

	// An edit asks again; the answer of the earlier state is dropped.
	stale := m.deps.NodeImageProblems()
	staleGen := m.imagesGen
	rejects.Store(false)
	before := prepared.Load()
	m.deps.Policy.Edit("comment", func(p *model.Policy) {
		p.SetScope("docker", "quay.io/x", model.Requirements{{Type: model.Reject}})
	})
	m.refresh()
	_, cmd := m.Update(kp("j"))
	if prepared.Load() == before {
		t.Fatal("a change of the staged state did not ask for its node images again")
	}
	m.Update(imageProblemsMsg{gen: staleGen, diags: stale()})
	feed(m, cmd)
	m.switchView(vOverview)
	if s := screen(m); !strings.Contains(s, "no problems") || !strings.Contains(s, "0 error(s)") {
		t.Fatalf("after the fix:\n%s", s)
	}

	// One check at a time: an edit while one runs asks for none more;
	// the answer of the state before the edit is dropped and the check
	// asked again, for the state as it is then.
	edit := func(scope string, locked bool) tea.Cmd {
		rejects.Store(locked)
		m.deps.Policy.Edit("edit "+scope, func(p *model.Policy) {
			p.SetScope("docker", scope, model.Requirements{{Type: model.Reject}})
		})
		m.refresh()
		_, cmd := m.Update(kp("j"))
		return cmd
	}
	running := edit("quay.io/y", true)
	before = prepared.Load()
	if edit("quay.io/z", false); prepared.Load() != before {
		t.Fatal("a second check was started while one runs")
	}
	msg := running().(imageProblemsMsg)
	_, again := m.Update(msg)
	if prepared.Load() == before || again == nil {
		t.Fatal("the answer for the state before the edit was not asked again")
	}
	if s := screen(m); !strings.Contains(s, "no problems") {
		t.Fatalf("the answer for the state before the edit was taken:\n%s", s)
	}
	rejects.Store(true) // the check is of the state it was prepared for, not the one it runs in
	feed(m, again)
	if s := screen(m); !strings.Contains(s, "no problems") {
		t.Fatalf("the answer is not for the state as edited last:\n%s", s)
	}
}
