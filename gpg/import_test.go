package gpg

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
)

func dirState(t *testing.T, dir string) string {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		names = append(names, e.Name()+":"+string(rune(len(b))))
	}
	return strings.Join(names, ",")
}

func TestImport(t *testing.T) {
	k := keys(t)
	paths := node.NewPaths(t.TempDir(), "", "", "")
	res, err := Import(armoredPublic(t, k.rsa), paths, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.NodePath, "/etc/gpg/release-example.com-") || !strings.HasSuffix(res.NodePath, ".gpg") {
		t.Errorf("node path %q", res.NodePath)
	}
	host := paths.Host(res.NodePath)
	fi, err := os.Stat(host)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("file %v mode %v", err, fi)
	}
	data, _ := os.ReadFile(host)
	if data[0]&0x80 == 0 {
		t.Error("key not written in binary form")
	}
	if v, err := VerifySignature(signAt(t, k.rsa, []byte("x"), testNow.Add(-time.Hour), 0), [][]byte{data}, MechXCrypto, testNow); err != nil || v == nil {
		t.Errorf("the written file does not verify: %v", err)
	}

	// Importing again writes nothing and says where it is.
	before := dirState(t, paths.KeysDir)
	again, err := Import(publicBytes(t, k.rsa), paths, ImportOptions{})
	if err != nil || again.AlreadyIn != res.NodePath {
		t.Fatalf("re-import: %+v %v", again, err)
	}
	if dirState(t, paths.KeysDir) != before {
		t.Error("re-import changed the keys directory")
	}
	// A name clash is refused without --force.
	if _, err := Import(publicBytes(t, k.other), paths, ImportOptions{Name: filepath.Base(res.NodePath)}); err == nil {
		t.Error("overwrote a file with other keys")
	}
	if _, err := Import(publicBytes(t, k.other), paths, ImportOptions{Name: "../evil.gpg"}); err == nil {
		t.Error("accepted a path as name")
	}
	if _, err := Import(publicBytes(t, k.other), paths, ImportOptions{Name: filepath.Base(res.NodePath), Force: true}); err != nil {
		t.Errorf("--force: %v", err)
	}
}

func TestImportRefusesSecretsAndWritesNothing(t *testing.T) {
	for name, data := range secretForms(t) {
		t.Run(name, func(t *testing.T) {
			paths := node.NewPaths(t.TempDir(), "", "", "")
			os.MkdirAll(paths.KeysDir, 0o755)
			_, err := Import(data, paths, ImportOptions{})
			var se *SecretKeyError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v", err)
			}
			if entries, _ := os.ReadDir(paths.KeysDir); len(entries) != 0 {
				t.Errorf("keys directory changed: %v", entries)
			}
		})
	}
}

func TestInventoryAndRemove(t *testing.T) {
	k := keys(t)
	paths := node.NewPaths(t.TempDir(), "", "", "")
	used, _ := Import(publicBytes(t, k.rsa), paths, ImportOptions{Name: "used.gpg"})
	Import(publicBytes(t, k.other), paths, ImportOptions{Name: "unused.gpg"})
	Import(publicBytes(t, k.ed), paths, ImportOptions{Name: "ed.gpg"})
	pol := &model.Policy{Default: model.Requirements{{Type: model.Reject}}}
	pol.SetScope("docker", "example.com", model.Requirements{{Type: model.SignedBy, KeyType: "GPGKeys", KeyPaths: []string{used.NodePath, "/etc/gpg/missing.gpg"}}})
	pol.SetScope("docker", "inline.example", model.Requirements{{Type: model.SignedBy, KeyType: "GPGKeys", KeyData: publicBytes(t, k.subkeyed)}})

	inv, err := BuildInventory(paths, pol, MechXCrypto, testNow)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]InventoryKey{}
	for _, ik := range inv.Keys {
		got[ik.File+"|"+ik.Fingerprint] = ik
	}
	check := func(file string, fpr string, usedBy string, status string) {
		t.Helper()
		ik, ok := got[file+"|"+fpr]
		if !ok {
			t.Fatalf("no %s %s in %v", file, fpr, inv.Keys)
		}
		if strings.Join(ik.UsedBy, ",") != usedBy || !strings.HasPrefix(ik.Status, status) {
			t.Errorf("%s: used by %v status %q", file, ik.UsedBy, ik.Status)
		}
	}
	check("/etc/gpg/used.gpg", fingerprint(k.rsa.PrimaryKey), "docker:example.com", "ok")
	check("/etc/gpg/unused.gpg", fingerprint(k.other.PrimaryKey), "", "ok")
	check("/etc/gpg/ed.gpg", fingerprint(k.ed.PrimaryKey), "", "unusable")
	check("", fingerprint(k.subkeyed.PrimaryKey), "docker:inline.example", "ok")
	if len(inv.Problems) != 1 || inv.Problems[0].Code != "key-missing" {
		t.Errorf("problems: %v", inv.Problems)
	}
	if f := inv.Find(fingerprint(k.rsa.PrimaryKey)[32:]); len(f) != 1 || f[0].File != "/etc/gpg/used.gpg" {
		t.Errorf("find by short fingerprint: %v", f)
	}

	var re *ReferencedError
	if err := removeKeyFile(paths, pol, "/etc/gpg/used.gpg", ""); !errors.As(err, &re) {
		t.Fatalf("removed a referenced key: %v", err)
	}
	if err := removeKeyFile(paths, pol, "/etc/gpg/unused.gpg", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(paths.Host("/etc/gpg/unused.gpg")); !os.IsNotExist(err) {
		t.Error("not removed")
	}
	DropReferences(pol, "/etc/gpg/used.gpg")
	if r := pol.Transport("docker").Scope("example.com").Requirements[0]; r.Type != model.SignedBy || len(r.KeyPaths) != 1 {
		t.Errorf("after drop: %+v", r)
	}
	DropReferences(pol, "/etc/gpg/missing.gpg")
	if r := pol.Transport("docker").Scope("example.com").Requirements[0]; r.Type != model.Reject {
		t.Errorf("a rule without keys must become reject: %+v", r)
	}
}
