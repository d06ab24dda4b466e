package verify

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/nodefs/nodefstest"
)

const signedByPolicy = `{"default":[{"type":"reject"}],"transports":{"docker":{"REG":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/release.gpg"}]}}}`

// TestKeyPathConfined: a keyPath that is an absolute link is followed as
// the node follows it, inside the root: the node's key verifies the
// image although no file of that path exists on the machine imgtrust
// runs on.
func TestKeyPathConfined(t *testing.T) {
	n := newNode(t)
	release := n.key("release", nil)
	app := n.push("team/app:v1")
	n.sign(release, "team/app", app, n.host+"/team/app:v1", 1)
	podPath := "/imgtrust-test-" + filepath.Base(n.root) + "/keys/release.gpg" // absent here
	keyFile := filepath.Join(n.root, "etc/gpg/release.gpg")
	data, _ := os.ReadFile(keyFile)
	n.write(podPath, string(data))
	os.Remove(keyFile)
	if err := os.Symlink(podPath, keyFile); err != nil {
		t.Fatal(err)
	}
	n.policy(signedByPolicy)
	if res := n.verify("REG/team/app:v1"); !res.Accepted {
		t.Fatalf("rejected:\n%s", render(res))
	}
}

// TestHostileKeyAndSignatureFiles: a FIFO, a device, a 2 GB sparse file or
// a directory as a keyPath target, as a file:// look-aside signature or
// as a dir: image's signature or manifest ends the check at once, in
// bounded memory, with a reason naming the kind of file.
func TestHostileKeyAndSignatureFiles(t *testing.T) {
	for _, h := range nodefstest.All() {
		t.Run(h.Name+"/keyPath", func(t *testing.T) {
			n := newNode(t)
			release := n.key("release", nil)
			app := n.push("team/app:v1")
			n.sign(release, "team/app", app, n.host+"/team/app:v1", 1)
			n.policy(signedByPolicy)
			os.Remove(filepath.Join(n.root, "etc/gpg/release.gpg"))
			h.Make(t, filepath.Join(n.root, "etc/gpg/release.gpg"))
			var res *Result
			nodefstest.Bounded(t, func() { res = n.verify("REG/team/app:v1") })
			if res.Accepted || !strings.Contains(render(res), "key file") {
				t.Fatalf("got:\n%s", render(res))
			}
		})
		t.Run(h.Name+"/file-lookaside", func(t *testing.T) {
			n := newNode(t)
			n.key("release", nil)
			app := n.push("team/app:v1")
			n.write("etc/containers/registries.d/default.yaml", "default-docker:\n  lookaside: file:///var/lib/sigs\n")
			n.policy(signedByPolicy)
			h.Make(t, filepath.Join(n.root, fmt.Sprintf("var/lib/sigs/team/app@sha256=%s/signature-1", app.Encoded())))
			var res *Result
			nodefstest.Bounded(t, func() { res = n.verify("REG/team/app:v1") })
			if res.Accepted || !res.Incomplete || !strings.Contains(render(res), "signature") {
				t.Fatalf("got:\n%s", render(res))
			}
		})
		for _, name := range []string{"signature-1", "manifest.json"} {
			t.Run(h.Name+"/dir-"+name, func(t *testing.T) {
				dir := t.TempDir()
				os.WriteFile(filepath.Join(dir, "manifest.json"), []byte("{}"), 0o644)
				os.Remove(filepath.Join(dir, name))
				h.Make(t, filepath.Join(dir, name))
				var err error
				nodefstest.Bounded(t, func() { _, _, err = dirManifestAndSignatures(&Image{Dir: dir}) })
				if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, name)) {
					t.Fatalf("got %v", err)
				}
			})
		}
	}
}

// TestDirSignaturesBounded: a dir: image stops at the runtime's 128
// signatures, like a look-aside; a signature over 4 MiB is refused.
func TestDirSignaturesBounded(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte("{}"), 0o644)
	for i := 1; i <= 128; i++ {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("signature-%d", i)), []byte("x"), 0o644)
	}
	if _, sigs, err := dirManifestAndSignatures(&Image{Dir: dir}); err != nil || len(sigs) != 128 {
		t.Fatalf("128 signatures: %d, %v", len(sigs), err)
	}
	os.WriteFile(filepath.Join(dir, "signature-129"), []byte("x"), 0o644)
	if _, _, err := dirManifestAndSignatures(&Image{Dir: dir}); err == nil || !strings.Contains(err.Error(), "too many signatures") {
		t.Fatalf("129 signatures: %v", err)
	}
	os.Remove(filepath.Join(dir, "signature-129"))
	os.WriteFile(filepath.Join(dir, "signature-2"), bytes.Repeat([]byte("x"), 4<<20+1), 0o644)
	if _, _, err := dirManifestAndSignatures(&Image{Dir: dir}); err == nil || !strings.Contains(err.Error(), "at most 4 MiB") {
		t.Fatalf("a 4 MiB + 1 signature: %v", err)
	}
}

// TestHostileAuthFile: --authfile (and REGISTRY_AUTH_FILE) naming a
// FIFO, a device or a 2 GB sparse file is an error at once.
func TestHostileAuthFile(t *testing.T) {
	for _, h := range nodefstest.All() {
		t.Run(h.Name, func(t *testing.T) {
			n := newNode(t)
			p := filepath.Join(t.TempDir(), "auth.json")
			h.Make(t, p)
			n.policy(signedByPolicy)
			v, err := New(Options{Paths: n.paths, AuthFile: p})
			if err != nil {
				t.Fatal(err)
			}
			nodefstest.Bounded(t, func() { _, err = v.authenticator(n.host, true) })
			if err == nil || !strings.Contains(err.Error(), "--authfile") || !strings.Contains(err.Error(), p) {
				t.Fatalf("got %v", err)
			}
		})
	}
}
