package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/kios/imgtrust/model"
)

const goodPolicy = `{"default": [{"type": "reject"}]}` + "\n"

// TestProgramRegistriesEditorRepair drives a real program over a
// registries.d file the runtime refuses (a section defined twice):
// enter on the problem opens that file in the editor on the error, a typed
// fix makes the error vanish from the live lint, and the save goes through
// the review and writes the file.
func TestProgramRegistriesEditorRepair(t *testing.T) {
	d, _, _, _ := testDeps(t, goodPolicy)
	d.ASCII = true
	file := filepath.Join(d.Paths.RegistriesD, "site.yaml")
	broken := "docker:\n  registry.example.net:\n    lookaside: https://a.example.com\n  registry.example.net:\n    lookaside: https://b.example.com\n"
	if err := os.WriteFile(file, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, New(d),
		teatest.WithInitialTermSize(80, 24),
		teatest.WithProgramOptions(
			tea.WithColorProfile(colorprofile.ASCII),
			tea.WithEnvironment([]string{"TERM=linux"})))
	wait := func(ss ...string) {
		t.Helper()
		waitScreen(t, tm, 15*time.Second, ss...)
	}
	tm.Type("6")
	wait("site.yaml:4:3", "already defined")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	// The renderer redraws only the cells that change, so a count such as
	// "(3)" may never appear whole in the output: wait for words only the
	// checked list holds.
	wait("Edit /etc/containers/registries.d/site.yaml", "line 4, col 3", "mapping", "namespace")
	tm.Type("mirror.")
	// Two infos remain (the policy requires no signature there).
	wait("mirror.registry.example.net: the policy")
	tm.Send(tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
	wait("Review", "+  mirror.registry.example.net:")
	tm.Type("y")
	wait("(backup kept)")
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(3*time.Second)).(*Model)
	b, err := os.ReadFile(file)
	if want := strings.Replace(broken, "  registry.example.net:\n    lookaside: https://b", "  mirror.registry.example.net:\n    lookaside: https://b", 1); err != nil || string(b) != want {
		t.Fatalf("written (%v):\n%q\nwant\n%q", err, b, want)
	}
	if final.dirty() {
		t.Fatal("still dirty after the save")
	}
	for _, p := range final.problems {
		if p.Pos.File == file && p.Severity == model.Error {
			t.Errorf("left: %s", p)
		}
	}
}

// E in the Look-aside view opens the selected entry's file; a staged
// text with an error is not written, and undo takes it back.
func TestRegistriesEditorStagesAndUndoes(t *testing.T) {
	d, _, la, _ := testDeps(t, goodPolicy)
	file := filepath.Join(d.Paths.RegistriesD, "default.yaml")
	orig := "default-docker:\n  lookaside: https://a.example.com\n"
	if err := os.WriteFile(file, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	la.entries[0].File = file + ":2:3"
	m := sized(New(d), 80, 24)
	send(t, m, "4", "E")
	e, ok := m.modal.(*rawEditor)
	if !ok || e.file != file {
		t.Fatalf("E opened %T", m.modal)
	}
	// The text arrives by a command, like the file read it is.
	if e.ta.Value() != orig || e.loading {
		t.Fatalf("text %q (loading %v)", e.ta.Value(), e.loading)
	}
	send(t, m, "type:- ") // a list, not a mapping: the runtime fails on it
	send(t, m, "ctrl+s")
	if _, ok := m.modal.(*saveDialog); !ok {
		t.Fatalf("no review after ctrl+s: %T %s", m.modal, e.err)
	}
	send(t, m, "y")
	if b, _ := os.ReadFile(file); string(b) != orig {
		t.Fatalf("a registries.d with an error was written:\n%s", b)
	}
	send(t, m, "esc", "u")
	if m.dirty() {
		t.Fatalf("dirty after undo: %s", m.status)
	}
}

// f on a registries.d problem with a did-you-mean opens the file in the
// editor on it; ctrl+f there writes the suggestion into the buffer, only
// the key it names.
func TestRegistriesQuickFixInEditor(t *testing.T) {
	d, _, _, _ := testDeps(t, goodPolicy)
	file := filepath.Join(d.Paths.RegistriesD, "site.yaml")
	text := "docker:\n  registry.example.net:\n    lookasid: https://a.example.com # the mirror\n"
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	m := sized(New(d), 80, 24)
	m.modal = nil
	send(t, m, "6")
	selectProblem(t, m, "registriesd-unknown-key")
	send(t, m, "f")
	e, ok := m.modal.(*rawEditor)
	if !ok || e.file != file || e.ta.Line() != 2 {
		t.Fatalf("f did not open the file on the problem: %T %s", m.modal, m.status)
	}
	lintNow(t, m, nil)
	for i, dg := range e.diags {
		if dg.Code == "registriesd-unknown-key" {
			e.sel = i
		}
	}
	_, cmd := m.Update(kp("ctrl+f"))
	lintNow(t, m, cmd)
	if want := strings.Replace(text, "lookasid:", "lookaside:", 1); e.ta.Value() != want {
		t.Fatalf("the fix wrote %q, want %q (%s)", e.ta.Value(), want, e.err)
	}
	if c := editorCodes(m); c["registriesd-unknown-key"] != 0 {
		t.Fatalf("left: %v", c)
	}
}

// The save review is held back only by errors of the files it writes: a
// registries.d fix is saved while policy.json (not written) is broken,
// and a missing key file never holds a policy save back.
func TestSaveBlockersAreTheWrittenFiles(t *testing.T) {
	d, _, _, _ := testDeps(t, brokenPolicy)
	file := filepath.Join(d.Paths.RegistriesD, "default.yaml")
	if err := os.WriteFile(file, []byte("default-docker:\n  lookasid: https://a.example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := sized(New(d), 80, 24)
	m.modal = nil
	raw := d.Policy.(RawRegistriesBackend)
	if err := raw.StageRegistriesText(file, []byte("default-docker:\n  lookaside: https://a.example.com\n")); err != nil {
		t.Fatal(err)
	}
	m.refresh()
	if m.problems.Count(model.Error) == 0 || m.saveBlockers() != 0 {
		t.Fatalf("errors %d, blockers %d", m.problems.Count(model.Error), m.saveBlockers())
	}
	send(t, m, "ctrl+s", "y")
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), "lookaside:") {
		t.Fatalf("the registries.d fix was not saved (%s):\n%s", m.status, b)
	}

	d2, _, _, _ := testDeps(t, `{"default": [{"type": "reject"}]}`)
	m2 := sized(New(d2), 80, 24)
	m2.modal = nil
	m2.edit("sign a.example", func(p *model.Policy) {
		p.SetScope("docker", "a.example", model.Requirements{{Type: model.SignedBy, KeyType: "GPGKeys", KeyPath: "/etc/gpg/missing.gpg"}})
	})
	if m2.problems.Count(model.Error) == 0 || m2.saveBlockers() != 0 {
		t.Fatalf("missing key: errors %d, blockers %d: %v", m2.problems.Count(model.Error), m2.saveBlockers(), m2.problems)
	}
}
