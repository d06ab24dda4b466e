package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// verify --from names the file it could not read; a name the person gave
// (or a script built) must not reach the terminal with its escapes.
func TestVerifyFromReadErrorIsEscaped(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "list\x1b]0;pwned\x07")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skip("the file system refuses the name:", err)
	}
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := verifyBatch(context.Background(), a, &globalFlags{}, nil, verifyFlags{from: dir, jobs: 1}); code != exitUsage {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if !strings.Contains(errb.String(), "imgtrust verify --from:") {
		t.Fatalf("stderr %q", errb.String())
	}
	if strings.ContainsAny(errb.String(), "\x1b\x07") {
		t.Fatalf("the read error reached the terminal unescaped: %q", errb.String())
	}
}
