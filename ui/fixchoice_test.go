package ui

import (
	"os"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
)

func guideRepairedText(t *testing.T) string {
	t.Helper()
	guide, err := os.ReadFile("../testdata/kios-guide-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(guide), `"reject"]]`, `"reject"}]`, 1)
}

func selectProblem(t *testing.T, m *Model, code string) model.Diagnostic {
	t.Helper()
	for i, d := range m.problems {
		if d.Code == code {
			m.prob.cursor = i
			return d
		}
	}
	t.Fatalf("no %s problem in %v", code, m.problems)
	return model.Diagnostic{}
}

// f in Problems: on a comment, this one or all; on keyPath with keyPaths
// and keyData, which to keep; each choice applies only what it names.
func TestProblemsQuickFixChoices(t *testing.T) {
	d, _, _, _ := testDeps(t, guideRepairedText(t))
	m := sized(New(d), 80, 24)
	m.modal = nil
	send(t, m, "6")
	comments := len(m.problems.InFile(d.Paths.Policy))
	selectProblem(t, m, "comment")
	send(t, m, "f")
	if s := screen(m); !strings.Contains(s, "remove this comment") || !strings.Contains(s, "remove every comment") {
		t.Fatalf("f on a comment offers:\n%s", s)
	}
	send(t, m, "enter") // the first: this comment
	if m.modal != nil {
		t.Fatalf("the choice stayed open: %T", m.modal)
	}
	if len(m.problems.InFile(d.Paths.Policy)) >= comments {
		t.Fatalf("the comment fix did nothing: %s", m.status)
	}
	text, _ := d.Policy.(RawPolicyBackend).PolicyText()
	if strings.Contains(string(text), "Anything in the docker.io/library") {
		t.Fatalf("the first comment is still there:\n%s", text)
	}

	selectProblem(t, m, "signedby-many-keys")
	send(t, m, "f")
	s := screen(m)
	for _, want := range []string{"Choose a quick fix", "keep keyPath,", "keep keyPaths,", "keep keyData,"} {
		if !strings.Contains(s, want) {
			t.Fatalf("the choice does not offer %q:\n%s", want, s)
		}
	}
	send(t, m, "2") // keep keyPaths
	if m.modal != nil {
		t.Fatal("the choice stayed open")
	}
	text, _ = d.Policy.(RawPolicyBackend).PolicyText()
	for _, gone := range []string{`"keyPath":`, `"keyData":`} {
		if strings.Contains(string(text), gone) {
			t.Errorf("%s is still there:\n%s", gone, text)
		}
	}
	for _, kept := range []string{`"keyPaths": ["/etc/gpg/public-key-1.gpg", "/etc/gpg/public-key-2.gpg"]`, `"signedIdentity": {"type": "matchRespository"}`, `/* Reject any image hosted on quay.io */`} {
		if !strings.Contains(string(text), kept) {
			t.Errorf("the fix lost %s:\n%s", kept, text)
		}
	}
	for _, p := range m.problems {
		if p.Code == "signedby-many-keys" {
			t.Errorf("left: %s", p.Message)
		}
	}
	send(t, m, "u")
	text, _ = d.Policy.(RawPolicyBackend).PolicyText()
	if !strings.Contains(string(text), `"keyData":`) {
		t.Error("the choice cannot be undone")
	}
}

// enter on a problem of the text opens the editor with the cursor on it.
func TestProblemsEnterOpensEditorAtProblem(t *testing.T) {
	d, _, _, _ := testDeps(t, guideRepairedText(t))
	m := sized(New(d), 80, 24)
	m.modal = nil
	send(t, m, "6")
	send(t, m, "j")
	p := selectProblem(t, m, "comment")
	send(t, m, "enter")
	e, ok := m.modal.(*rawEditor)
	if !ok {
		t.Fatalf("enter did not open the editor: %T %s", m.modal, m.status)
	}
	if e.ta.Line()+1 != p.Pos.Line || e.ta.Column()+1 != p.Pos.Col {
		t.Fatalf("cursor at %d:%d, problem at %d:%d", e.ta.Line()+1, e.ta.Column()+1, p.Pos.Line, p.Pos.Col)
	}
}

// ctrl+f in the editor offers the same choice, then applies it to the
// buffer only.
func TestEditorQuickFixChoice(t *testing.T) {
	d, _, _, _ := testDeps(t, guideRepairedText(t))
	m := sized(New(d), 80, 24)
	m.modal = nil
	send(t, m, "2", "E")
	lintNow(t, m, nil)
	e := m.modal.(*rawEditor)
	for i, dg := range e.diags {
		if dg.Code == "signedby-many-keys" {
			e.sel = i
		}
	}
	send(t, m, "ctrl+f")
	if e.choice == nil || !strings.Contains(screen(m), "keep keyData,") {
		t.Fatalf("no choice shown:\n%s", screen(m))
	}
	_, cmd := m.Update(kp("3")) // keep keyData
	lintNow(t, m, cmd)
	text := e.ta.Value()
	if strings.Contains(text, `"keyPath"`) || strings.Contains(text, `"keyPaths"`) || !strings.Contains(text, `"keyData"`) {
		t.Fatalf("keep keyData wrote:\n%s", text)
	}
	if c := editorCodes(m); c["signedby-many-keys"] != 0 || c["bad-base64"] != 1 {
		t.Fatalf("after the choice: %v", c)
	}
	if n := len(d.Policy.Edits()); n != 0 {
		t.Fatalf("the editor's fix staged %d edit(s) before a save", n)
	}
}
