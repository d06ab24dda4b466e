package ui

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// TestProgramEditAndSave drives a real tea.Program: add a signed scope
// through the form, review the diff, save, quit. It checks the file on
// disk and pins the final screen.
func TestProgramEditAndSave(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			d, _, _, _ := testDeps(t, testPolicy)
			tm := teatest.NewTestModel(t, New(d),
				teatest.WithInitialTermSize(sz[0], sz[1]),
				teatest.WithProgramOptions(
					tea.WithColorProfile(colorprofile.ASCII),
					tea.WithEnvironment([]string{"TERM=xterm-256color", "TERM_PROGRAM=test"})))
			wait := func(s string) {
				t.Helper()
				waitScreen(t, tm, 15*time.Second, s)
			}
			wait("Trust posture")
			tm.Type("2")
			wait("Scopes (2)")
			tm.Type("a")
			wait("Add a scope")
			tm.Type("quay.io/org")
			for range 5 {
				tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
			}
			wait("staged: add scope")
			tm.Send(tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
			wait("WIDENS TRUST") // quay.io/org was rejected by the default before
			tm.Type("y")
			wait("type yes")
			tm.Type("yes")
			tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
			wait("(backup kept)")
			tm.Type("q")
			final := tm.FinalModel(t, teatest.WithFinalTimeout(3*time.Second)).(*Model)
			b, err := os.ReadFile(d.Paths.Policy)
			if err != nil || !strings.Contains(string(b), `"quay.io/org"`) {
				t.Fatalf("policy not written (%v):\n%s", err, b)
			}
			if final.dirty() {
				t.Fatal("still dirty after save")
			}
			requireGolden(t, []byte(screen(final)))
		})
	}
}
