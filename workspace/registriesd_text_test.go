package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const rdPolicy = `{"default": [{"type": "reject"}]}`

func writeRD(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A registries.d file edited as text: linted with the rest of the
// directory, staged (Problems sees it, the disk does not), undone, and
// saved only when the directory is valid with it.
func TestRegistriesTextStageLintUndoSave(t *testing.T) {
	paths := newRoot(t, rdPolicy)
	writeRD(t, paths.RegistriesD, map[string]string{
		"a.yaml": "docker:\n  registry.example.net:\n    lookaside: https://a.example.com\n",
		"b.yaml": "default-docker:\n  lookaside: https://b.example.com\n",
	})
	w, err := Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(paths.RegistriesD, "a.yaml")
	files, err := w.RegistriesFiles()
	if err != nil || len(files) != 2 || files[0] != a {
		t.Fatalf("files %v, %v", files, err)
	}
	cases := []struct {
		name, text string
		wantCode   string // "" for no error in the file
		wantLine   int
	}{
		{"yaml syntax", "docker:\n  registry.example.net:\n\tlookaside: x\n", "registriesd-yaml", 3},
		{"typo", "docker:\n  registry.example.net:\n    lookasid: https://a.example.com\n", "registriesd-unknown-key", 3},
		{"conflict", "default-docker:\n  lookaside: https://c.example.com\n", "registriesd-conflict", 0},
		{"good", "docker:\n  registry.example.net:\n    lookaside: https://new.example.com\n", "", 0},
	}
	for _, c := range cases {
		diags := w.LintRegistriesText(a, []byte(c.text))
		var got string
		var line int
		for _, d := range diags {
			if d.Severity >= 1 && got == "" {
				got, line = d.Code, d.Pos.Line
			}
		}
		if got != c.wantCode || (c.wantLine > 0 && line != c.wantLine) {
			t.Errorf("%s: got %q at line %d (%v), want %q at %d", c.name, got, line, diags, c.wantCode, c.wantLine)
		}
	}
	// Staged text with an error: Problems shows it, the save refuses it.
	bad := "default-docker:\n  lookaside: https://c.example.com\n"
	if err := w.StageRegistriesText(a, []byte(bad)); err != nil {
		t.Fatal(err)
	}
	if !w.Dirty() || len(w.Edits()) != 1 {
		t.Fatalf("not dirty after staging: %v", w.Edits())
	}
	found := false
	for _, d := range w.Problems() {
		found = found || d.Code == "registriesd-conflict"
	}
	if !found {
		t.Fatal("Problems does not see the staged text")
	}
	if err := w.Save("", false); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("saved a registries.d with a conflict: %v", err)
	}
	if b, _ := os.ReadFile(a); !strings.Contains(string(b), "a.example.com") {
		t.Fatal("the refused save wrote")
	}
	if s, ok := w.Undo(); !ok || !strings.Contains(s, "a.yaml") {
		t.Fatalf("undo: %q %v", s, ok)
	}
	if w.Dirty() {
		t.Fatal("dirty after undo")
	}
	good := cases[3].text
	if err := w.StageRegistriesText(a, []byte(good)); err != nil {
		t.Fatal(err)
	}
	ch, err := w.RegistriesChanges()
	if err != nil || len(ch) != 1 || !strings.Contains(ch[0].Diff, "+    lookaside: https://new.example.com") {
		t.Fatalf("changes %v %v", ch, err)
	}
	if err := w.Save("", false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(a); string(b) != good {
		t.Fatalf("written:\n%s", b)
	}
	if w.Dirty() {
		t.Fatal("dirty after save")
	}
	// A path outside registries.d is never staged.
	for _, p := range []string{paths.Policy, filepath.Join(paths.RegistriesD, "x.conf"), filepath.Join(paths.RegistriesD, "sub", "a.yaml")} {
		if err := w.StageRegistriesText(p, []byte("x")); err == nil {
			t.Errorf("staged %s", p)
		}
	}
}

// Undo takes back the last edit whatever its file: a policy edit after a
// registries.d edit goes first.
func TestRegistriesTextUndoOrder(t *testing.T) {
	paths := newRoot(t, rdPolicy)
	writeRD(t, paths.RegistriesD, map[string]string{"a.yaml": "docker: {}\n"})
	w, err := Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(paths.RegistriesD, "a.yaml")
	if err := w.StageRegistriesText(a, []byte("default-docker:\n  lookaside: https://x.example.com\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.StageRaw("", []byte(`{"default": [{"type": "reject"}], "transports": {}}`)); err != nil {
		t.Fatal(err)
	}
	if s, _ := w.Undo(); !strings.Contains(s, "policy.json") {
		t.Fatalf("undid %q first", s)
	}
	if s, _ := w.Undo(); !strings.Contains(s, "a.yaml") {
		t.Fatalf("undid %q second", s)
	}
	if w.Dirty() {
		t.Fatal("dirty after undoing both")
	}
}
