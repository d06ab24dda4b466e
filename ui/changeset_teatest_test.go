package ui

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/impact"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/workspace"
)

// TestProgramDeletePauseScopeNeedsTypedName drives a real tea.Program:
// delete the scope that lets the pause image through (CRI-O's default
// registry.k8s.io/pause:3.10 on this root), save; the review names the
// lockout from the impact package's verdict, y asks for the image's
// name, and only the name writes.
func TestProgramDeletePauseScopeNeedsTypedName(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	ws := d.Policy.(*workspace.Workspace)
	d.SaveImpact = func(rev *workspace.Review) *impact.Report {
		imgs, _ := node.ReadNodeImages(d.Paths)
		c := impact.NewChecker(impact.Options{Paths: d.Paths, Offline: true, Mechanism: gpg.MechGoCrypto, SkipUnchanged: true})
		return c.Compare(context.Background(), impact.Config{Policy: ws.PolicyFile().LoadedPolicy()},
			impact.Config{Policy: rev.CandidatePolicy, Keys: rev.CandidateKeys, Registries: rev.CandidateRegistries}, imgs)
	}
	tm := teatest.NewTestModel(t, New(d), teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII), tea.WithEnvironment([]string{"TERM=xterm-256color", "TERM_PROGRAM=test"})))
	wait := func(s string) {
		t.Helper()
		waitScreen(t, tm, 15*time.Second, s)
	}
	before, _ := os.ReadFile(d.Paths.Policy)
	tm.Type("2")
	wait("Scopes (2)")
	tm.Type("G")
	tm.Type("d")
	wait("Delete scope")
	tm.Type("y")
	wait("staged: delete scope docker:registry.k8s.io")
	tm.Send(tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
	wait("LOCKOUT")
	tm.Type("y")
	wait("type the image's name")
	tm.Type("registry.k8s.io/pause")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	wait("exactly")
	if now, _ := os.ReadFile(d.Paths.Policy); !bytes.Equal(now, before) {
		t.Fatal("written before the image's name was typed")
	}
	tm.Type(":3.10")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	wait("(backup kept)")
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(3*time.Second)).(*Model)
	if now, _ := os.ReadFile(d.Paths.Policy); strings.Contains(string(now), "registry.k8s.io") {
		t.Fatalf("the scope is still there:\n%s", now)
	}
	if final.dirty() {
		t.Error("still dirty after the save")
	}
}
