package policyio

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/safefile"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite policyio golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "registries.d", "golden", name)
	if *updateGolden {
		os.MkdirAll(filepath.Dir(path), 0o755)
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-golden)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func editDir(t *testing.T) string {
	src, err := os.ReadFile("testdata/registries.d/commented.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return writeDir(t, map[string]string{"registry.example.net.yaml": string(src)})
}

func TestSetInPlaceKeepsComments(t *testing.T) {
	rd, _ := LoadRegistriesD(editDir(t))
	ch, err := rd.Set("registry.example.net", "https://new.example.com", SetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 1 || !strings.HasSuffix(ch[0].Path, "registry.example.net.yaml") {
		t.Fatalf("changes: %+v", ch)
	}
	golden(t, "set-in-place.yaml", ch[0].New)
	for _, c := range []string{"# Signatures for the team registry.", "# the main registry", "# moved in 2026"} {
		if !strings.Contains(string(ch[0].New), c) {
			t.Errorf("comment %q lost", c)
		}
	}
}

func TestSetNewSectionAndFile(t *testing.T) {
	dir := editDir(t)
	rd, _ := LoadRegistriesD(dir)
	ch, err := rd.Set("registry.example.net/team", "https://team.example.com", SetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "set-new-section.yaml", ch[0].New)

	ch, err = rd.Set("quay.io/acme", "https://sigs.acme.example", SetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(ch[0].Path) != "quay.io.yaml" || ch[0].Old != nil || ch[0].OldSHA256 != safefile.ExpectAbsent {
		t.Errorf("new file: %+v", ch[0])
	}
	golden(t, "set-new-file.yaml", ch[0].New)

	ch, err = rd.Set("default-docker", "https://default.example", SetOptions{})
	if err != nil || filepath.Base(ch[0].Path) != "default.yaml" {
		t.Fatalf("default-docker: %v %+v", err, ch)
	}
	if err := applyChanges(ch, "", "test"); err != nil {
		t.Fatal(err)
	}
	rd2, diags := LoadRegistriesD(dir)
	if diags.HasErrors() || rd2.Default == nil || rd2.Default.ReadURL() != "https://default.example" {
		t.Fatalf("after apply: %v %+v", diags, rd2.Default)
	}
}

func TestSetRefusesInvalidResults(t *testing.T) {
	dir := editDir(t)
	os.WriteFile(filepath.Join(dir, "other.yaml"), []byte("docker:\n  quay.io/acme:\n    lookaside: https://x\n"), 0o644)
	rd, _ := LoadRegistriesD(dir)
	// A section another file defines cannot go to a second file (--file
	// would split it across files): the flag is refused, not ignored.
	if _, err := rd.Set("registry.example.net", "https://x", SetOptions{File: "other.yaml"}); err == nil ||
		!strings.Contains(err.Error(), "already has a section in registry.example.net.yaml") {
		t.Fatalf("--file naming another file: %v", err)
	}
	if _, err := rd.Set("registry.example.net", "https://x", SetOptions{File: "registry.example.net.yaml"}); err != nil {
		t.Fatalf("--file naming its own file: %v", err)
	}
	if _, err := rd.Set("busybox", "https://x", SetOptions{}); err == nil {
		t.Error("accepted a scope that never matches")
	}
	if _, err := rd.Set("quay.io", "https://x", SetOptions{File: "../x.yaml"}); err == nil {
		t.Error("accepted a path as file name")
	}
}

func TestRemoveSection(t *testing.T) {
	dir := editDir(t)
	rd, _ := LoadRegistriesD(dir)
	ch, err := rd.Remove("registry.example.net/legacy")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "remove.yaml", ch[0].New)
	if err := applyChanges(ch, filepath.Join(t.TempDir(), "audit.log"), "remove legacy"); err != nil {
		t.Fatal(err)
	}
	rd2, _ := LoadRegistriesD(dir)
	if rd2.Entry("registry.example.net/legacy") != nil || rd2.Entry("registry.example.net") == nil {
		t.Errorf("after remove: %+v", rd2.Entries)
	}
	if _, err := os.Stat(filepath.Join(dir, "registry.example.net.yaml"+safefile.BackupSuffix)); err != nil {
		t.Error("no backup kept")
	}
	// A change on disk since loading is refused.
	os.WriteFile(filepath.Join(dir, "registry.example.net.yaml"), []byte("docker: {}\n"), 0o644)
	ch, _ = rd2.Set("registry.example.net", "https://y", SetOptions{})
	if err := applyChanges(ch, "", "x"); err == nil {
		t.Error("overwrote a file changed since it was read")
	}
}

// TestLoadRegistriesDOverlay: staged content replaces, adds and
// removes files as the runtime would read the directory once written,
// and the merge rules apply across disk and staged files.
func TestLoadRegistriesDOverlay(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("docker:\n  a.example:\n    lookaside: https://a\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("docker:\n  b.example:\n    lookaside: https://b\n"), 0o644)
	tests := []struct {
		name     string
		overlay  map[string][]byte
		want     string // scope=url, sorted by file
		conflict bool
	}{
		{"none", nil, "a.example=https://a b.example=https://b", false},
		{"changed", map[string][]byte{filepath.Join(dir, "a.yaml"): []byte("docker:\n  a.example:\n    lookaside: https://a2\n")}, "a.example=https://a2 b.example=https://b", false},
		{"added", map[string][]byte{filepath.Join(dir, "c.yaml"): []byte("docker:\n  c.example:\n    lookaside: https://c\n")}, "a.example=https://a b.example=https://b c.example=https://c", false},
		{"removed", map[string][]byte{filepath.Join(dir, "b.yaml"): nil}, "a.example=https://a", false},
		{"conflict with disk", map[string][]byte{filepath.Join(dir, "c.yaml"): []byte("docker:\n  a.example:\n    lookaside: https://c\n")}, "a.example=https://a b.example=https://b", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, diags := LoadRegistriesDOverlay(nodefs.FS{}, dir, RegistriesRuntime{}, tt.overlay)
			var got []string
			for _, e := range rd.Entries {
				got = append(got, e.Scope+"="+e.Lookaside)
			}
			if strings.Join(got, " ") != tt.want || diags.HasErrors() != tt.conflict {
				t.Errorf("got %v (errors %v), want %s (conflict %v)", got, diags, tt.want, tt.conflict)
			}
		})
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "b.yaml")); len(data) == 0 {
		t.Error("the overlay touched the disk")
	}
}
