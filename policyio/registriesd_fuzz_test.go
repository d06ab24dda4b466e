package policyio

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/distribution/reference"
)

// FuzzLoadRegistriesD: any file content loads or yields diagnostics, never
// a panic; what loads gives a look-aside for any image.
func FuzzLoadRegistriesD(f *testing.F) {
	for _, s := range []string{
		"docker:\n  registry.example.net:\n    lookaside: https://lookaside.example.com\n",
		"default-docker:\n  lookaside: https://lookaside.example.org\n",
		"docker:\n\texample.com: {}\n",
		"- a\n",
		"docker:\n  a.com: {use-sigstore-attachments: maybe}\n",
	} {
		f.Add(s)
	}
	ref, _ := reference.ParseNormalizedNamed("registry.example.net/team/app:1")
	f.Fuzz(func(t *testing.T, content string) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(content), 0o644)
		rd, diags := LoadRegistriesD(dir)
		if diags.HasErrors() {
			return
		}
		if m := rd.LookasideFor(ref); m.BaseURL == "" {
			t.Fatal("no look-aside base")
		}
	})
}
