package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/nodefs/nodefstest"
)

// TestLintNeverShowsFilesOutsideRoot: a policy.json that is a link to a
// file outside the root (here a file with a syntax error and a secret on
// the machine imgtrust runs on) is read as the node sees it: the pod's
// file is never read, so no snippet of it is printed.
func TestLintNeverShowsFilesOutsideRoot(t *testing.T) {
	base := t.TempDir()
	secretFile := filepath.Join(base, "secret.json")
	os.WriteFile(secretFile, []byte(`{"default": [ TOPSECRET-TOKEN-1234 ]}`), 0o600)
	root := filepath.Join(base, "node")
	p := filepath.Join(root, "etc/containers/policy.json")
	os.MkdirAll(filepath.Dir(p), 0o755)
	for _, target := range []string{secretFile, "../../.." + secretFile, strings.Repeat("../", 20) + secretFile} {
		os.Remove(p)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := run(t, "--root", root, "lint")
		if strings.Contains(out+errOut, "TOPSECRET") {
			t.Fatalf("link %s: the pod's file was shown:\n%s%s", target, out, errOut)
		}
		if code != exitFindings || !strings.Contains(out, "does not exist") {
			t.Errorf("link %s: exit %d, want the node's view (no such policy.json):\n%s%s", target, code, out, errOut)
		}
	}
}

// TestHostileFilesThroughCommands: lint and show with a FIFO, a device,
// a 2 GB sparse file or a directory as policy.json, and keys import of
// one, end at once with an error naming the file.
func TestHostileFilesThroughCommands(t *testing.T) {
	for _, h := range nodefstest.All() {
		t.Run(h.Name+"/lint", func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, "etc/containers/policy.json")
			h.Make(t, p)
			for _, cmd := range []string{"lint", "show"} {
				var code int
				var errOut string
				nodefstest.Bounded(t, func() { code, _, errOut = run(t, "--root", root, cmd) })
				if code == exitOK || !strings.Contains(errOut, p) {
					t.Errorf("%s: exit %d, %s", cmd, code, errOut)
				}
			}
		})
		t.Run(h.Name+"/keys-import", func(t *testing.T) {
			root := t.TempDir()
			src := filepath.Join(t.TempDir(), "key.gpg")
			h.Make(t, src)
			var code int
			var errOut string
			nodefstest.Bounded(t, func() { code, _, errOut = run(t, "--root", root, "keys", "import", src) })
			if code == exitOK || !strings.Contains(errOut, "key file") {
				t.Errorf("exit %d, %s", code, errOut)
			}
			if ents, _ := os.ReadDir(filepath.Join(root, "etc/gpg")); len(ents) != 0 {
				t.Errorf("written: %v", ents)
			}
		})
	}
	t.Run("dev-zero-import", func(t *testing.T) {
		var code int
		var errOut string
		nodefstest.Bounded(t, func() { code, _, errOut = run(t, "--root", t.TempDir(), "keys", "import", "/dev/zero") })
		if code == exitOK || !strings.Contains(errOut, "is a device") {
			t.Errorf("exit %d, %s", code, errOut)
		}
	})
}
