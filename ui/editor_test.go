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

const brokenPolicy = "{\"default\": [{\"type\": \"reject\"]]}\n"

// TestProgramRawEditorRepair drives a real program over a policy.json that
// cannot be parsed: the Policy view refuses tree edits and offers the
// editor, the editor opens on the error, a typed fix makes the error
// vanish from the live lint, and the save goes through the review.
func TestProgramRawEditorRepair(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			d, _, _, _ := testDeps(t, brokenPolicy)
			d.ASCII = true
			tm := teatest.NewTestModel(t, New(d),
				teatest.WithInitialTermSize(sz[0], sz[1]),
				teatest.WithProgramOptions(
					tea.WithColorProfile(colorprofile.ASCII),
					tea.WithEnvironment([]string{"TERM=linux"})))
			// wait consumes output until every string has been seen.
			wait := func(ss ...string) {
				t.Helper()
				waitScreen(t, tm, 15*time.Second, ss...)
			}
			tm.Type("2")
			wait("policy.json cannot be parsed")
			tm.Type("a")
			wait("the tree cannot be edited")
			tm.Type("E")
			wait("line 1, col 31", "invalid character ']'")
			tm.Send(tea.KeyPressMsg{Code: tea.KeyDelete})
			tm.Type("}")
			wait("no problems in the text")
			tm.Send(tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
			wait("Review")
			tm.Type("y")
			wait("(backup kept)")
			tm.Type("q")
			final := tm.FinalModel(t, teatest.WithFinalTimeout(3*time.Second)).(*Model)
			b, err := os.ReadFile(d.Paths.Policy)
			if err != nil || !strings.Contains(string(b), `"reject"`) || strings.Contains(string(b), "]]") {
				t.Fatalf("repaired policy not written (%v):\n%s", err, b)
			}
			if final.dirty() || final.policyUnparsable() {
				t.Fatal("still dirty or unparsable after the save")
			}
		})
	}
}

// The tree over an unparsable file cannot be edited or saved, through any
// key of the Policy view.
func TestUnparsablePolicyViewBlocksTreeEdits(t *testing.T) {
	d, _, _, _ := testDeps(t, brokenPolicy)
	m := sized(New(d), 80, 24)
	send(t, m, "2", "a", "e", "d", "K", "enter", "ctrl+s")
	if m.modal != nil {
		t.Fatalf("a dialog opened over the unparsable policy: %T", m.modal)
	}
	if n := len(m.deps.Policy.Edits()); n != 0 {
		t.Fatalf("%d edit(s) staged on the empty tree", n)
	}
	if got, _ := os.ReadFile(d.Paths.Policy); string(got) != brokenPolicy {
		t.Fatalf("file changed:\n%s", got)
	}
	if s := screen(m); !strings.Contains(s, "cannot be parsed") || !strings.Contains(s, "E opens") {
		t.Fatalf("the Policy view does not say why or offer the editor:\n%s", s)
	}
}

// lintNow runs the editor's lint command and feeds its result back, as
// the program would after the debounce.
func lintNow(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	e, ok := m.modal.(*rawEditor)
	if !ok {
		t.Fatalf("the editor is not open: %T", m.modal)
	}
	if cmd == nil {
		cmd = e.lint(m)
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			if c != nil {
				if r, ok := c().(editorLintDoneMsg); ok {
					msg = r
				}
			}
		}
	}
	m.Update(msg)
}

func editorCodes(m *Model) map[string]int {
	out := map[string]int{}
	for _, d := range m.modal.(*rawEditor).diags {
		out[d.Code]++
	}
	return out
}

// The kiOS guide's policy in the editor: the "]]" fixed by typing, every
// comment and trailing comma dropped with one key, the duplicate "type"
// by its quick fix; the rule's other keys stay.
func TestEditorRepairsGuidePolicy(t *testing.T) {
	guide, err := os.ReadFile("../testdata/kios-guide-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	d, _, _, _ := testDeps(t, string(guide))
	m := sized(New(d), 80, 24)
	m.modal = nil // the setup offer
	send(t, m, "2")
	_, cmd := m.Update(kp("E"))
	lintNow(t, m, nil)
	_ = cmd
	if c := editorCodes(m); c["syntax"] != 1 {
		t.Fatalf("want the syntax error, got %v", c)
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyDelete})
	m.Update(kp("}"))
	lintNow(t, m, nil)
	c := editorCodes(m)
	if c["syntax"] != 0 || c["comment"] == 0 {
		t.Fatalf("after the typed fix: %v", c)
	}
	_, cmd = m.Update(kp("ctrl+x"))
	lintNow(t, m, cmd)
	if c := editorCodes(m); c["comment"] != 0 || c["trailing-comma"] != 0 {
		t.Fatalf("comments or trailing commas left: %v", c)
	}
	e := m.modal.(*rawEditor)
	for i, dg := range e.diags {
		if dg.Code == "duplicate-key" && dg.Replacement == "keyType" {
			e.sel = i
		}
	}
	_, cmd = m.Update(kp("ctrl+f"))
	lintNow(t, m, cmd)
	if c := editorCodes(m); c["duplicate-key"] != 0 {
		t.Fatalf("duplicate key left: %v (%s)", c, e.err)
	}
	text := e.ta.Value()
	for _, keep := range []string{`"keyType": "GPGKeys"`, `"signedIdentity"`, `"keyData"`, `"keyPaths"`} {
		if !strings.Contains(text, keep) {
			t.Errorf("the text lost %s", keep)
		}
	}
}
