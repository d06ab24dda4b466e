package gpg

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs/nodefstest"
)

// TestKeysDirConfined: /etc/gpg as an absolute link, and a key file in it
// as a link climbing with "..", resolve inside the root: the inventory
// lists the node's keys, an import is written on the node, a forced
// import over a linked file replaces the node's target, and nothing is
// written on the machine imgtrust runs on.
func TestKeysDirConfined(t *testing.T) {
	k := keys(t)
	base := t.TempDir()
	root := filepath.Join(base, "node")
	podKeys := filepath.Join(base, "pod-gpg") // exists on the pod only
	os.MkdirAll(podKeys, 0o755)
	os.WriteFile(filepath.Join(podKeys, "pod.gpg"), publicBytes(t, k.other), 0o644)
	nodeKeys := filepath.Join(root, podKeys)
	os.MkdirAll(nodeKeys, 0o755)
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	if err := os.Symlink(podKeys, filepath.Join(root, "etc/gpg")); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "usr/share/keys"), 0o755)
	os.WriteFile(filepath.Join(root, "usr/share/keys/vendor.gpg"), publicBytes(t, k.rsa), 0o644)
	os.Symlink("../../../../../../usr/share/keys/vendor.gpg", filepath.Join(nodeKeys, "vendor.gpg"))
	paths := node.NewPaths(root, "", "", "")

	inv, err := BuildInventory(paths, nil, MechXCrypto, testNow)
	if err != nil {
		t.Fatal(err)
	}
	// vendor.gpg is a link, which the inventory's directory scan skips as
	// before; what matters is that pod.gpg (the pod's) is not listed.
	for _, ik := range inv.Keys {
		if ik.Fingerprint == fingerprint(k.other.PrimaryKey) {
			t.Fatalf("the pod's key is listed: %+v", ik)
		}
	}
	res, err := Import(publicBytes(t, k.ed), paths, ImportOptions{Name: "new.gpg", AuditLog: paths.Host("/var/log/imgtrust/audit.log")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(nodeKeys, "new.gpg")); err != nil || res.NodePath != "/etc/gpg/new.gpg" {
		t.Errorf("import not on the node: %v, %s", err, res.NodePath)
	}
	if _, err := os.Stat(filepath.Join(podKeys, "new.gpg")); err == nil {
		t.Error("import written on the pod")
	}
	if _, err := Import(publicBytes(t, k.subkeyed), paths, ImportOptions{Name: "vendor.gpg", Force: true}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(filepath.Join(nodeKeys, "vendor.gpg")); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
	data, _ := os.ReadFile(filepath.Join(root, "usr/share/keys/vendor.gpg"))
	if kr, err := ParseKeyring(data); err != nil || kr.Keys[0].Fingerprint != fingerprint(k.subkeyed.PrimaryKey) {
		t.Errorf("the node's target does not hold the new key: %v", err)
	}
	if err := removeKeyFile(paths, nil, "/etc/gpg/new.gpg", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(nodeKeys, "new.gpg")); err == nil {
		t.Error("not removed")
	}
	if data, _ := os.ReadFile(filepath.Join(podKeys, "pod.gpg")); string(data) != string(publicBytes(t, k.other)) {
		t.Error("the pod's key file changed")
	}
}

// TestHostileKeyFilesInKeysDir: a FIFO, a device, a sparse 2 GB file in
// /etc/gpg or named by the policy is reported as a problem at once.
func TestHostileKeyFilesInKeysDir(t *testing.T) {
	for _, h := range nodefstest.All() {
		t.Run(h.Name, func(t *testing.T) {
			paths := node.NewPaths(t.TempDir(), "", "", "")
			h.Make(t, filepath.Join(paths.KeysDir, "x.gpg"))
			var inv *Inventory
			var err error
			nodefstest.Bounded(t, func() { inv, err = BuildInventory(paths, nil, MechXCrypto, testNow) })
			if err != nil {
				t.Fatal(err)
			}
			if h.Name == "sparse-2GB" && (len(inv.Problems) != 1 || !strings.Contains(inv.Problems[0].Message, "key file")) {
				t.Errorf("problems %v", inv.Problems)
			}
		})
	}
}

// TestRuntimeBinaryConfined: /usr/bin/crio as an absolute link is read
// inside the root (here the test binary itself, a Go binary with build
// information, stands for CRI-O); a FIFO or device in its place is
// skipped at once.
func TestRuntimeBinaryConfined(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "opt"), 0o755)
	os.WriteFile(filepath.Join(root, "opt/crio"), data, 0o755)
	os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755)
	os.Symlink("/opt/crio", filepath.Join(root, "usr/bin/crio"))
	if d := DetectMechanism(root); d.Binary != "/usr/bin/crio" {
		t.Fatalf("the node's binary was not read through its link: %+v", d)
	}
	for _, h := range nodefstest.All() {
		t.Run(h.Name, func(t *testing.T) {
			root := t.TempDir()
			h.Make(t, filepath.Join(root, "usr/bin/crio"))
			var d Detection
			nodefstest.Bounded(t, func() { d = DetectMechanism(root) })
			if d.Binary != "" {
				t.Errorf("%+v", d)
			}
		})
	}
}
