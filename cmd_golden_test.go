package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// golden compares got with testdata/golden/cli-NAME.txt (-update, the
// flag of the keys show goldens, rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", "cli-"+name+".txt")
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test . -run %s -update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from %s (go test . -update rewrites it):\n--- want\n%s\n--- got\n%s", name, path, want, got)
	}
}

// The CLI's help, did-you-mean and completion texts, as a user sees them.
func TestCLIGoldens(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"help", []string{"--help"}, exitOK},
		{"lint-help", []string{"lint", "--help"}, exitOK},
		{"keys-import-help", []string{"keys", "import", "--help"}, exitOK},
		{"policy-help", []string{"policy", "--help"}, exitOK},
		{"completion-help", []string{"completion", "--help"}, exitOK},
		{"didyoumean-command", []string{"lnt"}, exitUsage},
		{"didyoumean-verb", []string{"keys", "imprt"}, exitUsage},
		{"didyoumean-flag", []string{"lint", "--ofline"}, exitUsage},
		{"didyoumean-shell", []string{"completion", "bsh"}, exitUsage},
		{"completion-bash", []string{"completion", "bash"}, exitOK},
		{"completion-zsh", []string{"completion", "zsh"}, exitOK},
		{"completion-fish", []string{"completion", "fish"}, exitOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := run(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, c.code, out, errs)
			}
			text := out
			if errs != "" {
				text += "--- stderr\n" + errs
			}
			golden(t, c.name, strings.ReplaceAll(text, "\r", ""))
		})
	}
}
