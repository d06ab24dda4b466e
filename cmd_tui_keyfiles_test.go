package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/gpg/gpgtest"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/ui"
)

// TestTUIKeyFiles: the rule form's embed reader reads node files under
// --root only, names what it embeds (full fingerprints, PEM keys) and
// refuses what must not be embedded.
func TestTUIKeyFiles(t *testing.T) {
	root := t.TempDir()
	key := gpgtest.NewKey(t, "Embed Me")
	sec1, _, pub := gpgtest.ECPrivatePEM(t)
	files := map[string][]byte{
		"etc/gpg/a.gpg":      gpgtest.Public(t, key),
		"etc/gpg/secret.gpg": gpgtest.Secret(t, key),
		"etc/c/cosign.pub":   pub,
		"etc/c/cosign.key":   sec1,
		"etc/c/not-pem":      []byte("hello"),
	}
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Outside the root: a node path must never reach it.
	if err := os.WriteFile(filepath.Join(filepath.Dir(root), "outside.gpg"), gpgtest.Public(t, key), 0o644); err != nil {
		t.Fatal(err)
	}
	fpr := fmt.Sprintf("%X", key.PrimaryKey.Fingerprint) // all 40 digits
	r := tuiKeyFiles{paths: node.NewPaths(root, "", "", ""), mech: gpg.MechGoCrypto}
	tests := []struct {
		path    string
		kind    ui.KeyFileKind
		want    string // in the lines, or in the error when bad
		refused bool
	}{
		{"/etc/gpg/a.gpg", ui.GPGKeyring, fpr, false},
		{"/etc/gpg/a.gpg", ui.GPGKeyring, "Embed Me", false},
		{"/etc/gpg/secret.gpg", ui.GPGKeyring, "PRIVATE", true},
		{"/etc/c/cosign.pub", ui.PEMPublicKey, "ECDSA P-256 public key", false},
		{"/etc/c/cosign.key", ui.PEMPublicKey, "PRIVATE", true},
		{"/etc/c/not-pem", ui.PEMPublicKey, "not PEM", true},
		{"/etc/gpg/missing.gpg", ui.GPGKeyring, "no such file", true},
		{"etc/gpg/a.gpg", ui.GPGKeyring, "not an absolute path", true},
		{"/../outside.gpg", ui.GPGKeyring, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.want, func(t *testing.T) {
			f, err := r.ReadKeyFile(tt.path, tt.kind)
			if tt.refused {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want a refusal saying %q (lines %q)", err, tt.want, f.Lines)
				}
				if f.Data != nil {
					t.Fatal("a refused file still gave data")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(f.Data) != string(files[strings.TrimPrefix(tt.path, "/")]) {
				t.Fatal("data is not the file's content")
			}
			if !strings.Contains(strings.Join(f.Lines, "\n"), tt.want) {
				t.Fatalf("lines %q lack %q", f.Lines, tt.want)
			}
		})
	}
}
