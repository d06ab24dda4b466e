package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/gpg/gpgtest"
)

// runStdin is run with data on standard input.
func runStdin(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: bytes.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := a.main(args)
	return code, out.String(), errb.String()
}

// treeState is every file and directory under root with its mode and
// content, to assert that a refused command wrote nothing.
func treeState(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		data, _ := os.ReadFile(p)
		fmt.Fprintf(&b, "%s %v %x\n", p, info.Mode(), data)
		return nil
	})
	return b.String()
}

// TestKeysImportRefusesSecretsEverywhere: every disguise of a private key
// is refused from a file and from stdin, with or without --reference, and
// nothing under the root changes.
func TestKeysImportRefusesSecretsEverywhere(t *testing.T) {
	for name, data := range gpgtest.SecretForms(t) {
		t.Run(name, func(t *testing.T) {
			root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"etc/gpg/.keep": "", "in/key": string(data)})
			before := treeState(t, root)
			for _, args := range [][]string{
				{"keys", "import", filepath.Join(root, "in/key")},
				{"keys", "import", "-"},
				{"keys", "import", "-", "--reference", "example.com"},
			} {
				code, out, errs := runStdin(t, data, append([]string{"--root", root}, args...)...)
				if code != exitFindings || !strings.Contains(errs, "gpg --export") {
					t.Errorf("%v: exit %d\n%s%s", args, code, out, errs)
				}
			}
			if after := treeState(t, root); after != before {
				t.Errorf("files changed:\n%s\n---\n%s", before, after)
			}
		})
	}
}

// TestPolicyWithPrivateMaterialNeverRewritten: `keys import --reference`
// on a policy that already holds a secret key (or a PEM private key) in
// another rule refuses, names the rule, and writes neither the key file
// nor policy.json; lint reports it as an error.
func TestPolicyWithPrivateMaterialNeverRewritten(t *testing.T) {
	forms := gpgtest.SecretForms(t)
	sec1, _, _ := gpgtest.ECPrivatePEM(t)
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct{ name, rule, field string }{
		{"signedBy keyData, relabelled", fmt.Sprintf(`{"type":"signedBy","keyType":"GPGKeys","keyData":%q}`, b64(forms["relabelled behind a MESSAGE line"])), "keyData"},
		{"signedBy keyData, -----BEGIN in user ID", fmt.Sprintf(`{"type":"signedBy","keyType":"GPGKeys","keyData":%q}`, b64(forms["binary, -----BEGIN in user ID"])), "keyData"},
		{"sigstoreSigned keyData, EC private PEM", fmt.Sprintf(`{"type":"sigstoreSigned","keyData":%q}`, b64(sec1)), "keyData"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy := `{"default":[{"type":"reject"}],"transports":{"docker":{"secret.example.com":[` + tt.rule + `]}}}`
			root := scratchRoot(t, policy, map[string]string{"etc/gpg/.keep": "", "pub.gpg": testPublicKey(t)})
			before := treeState(t, root)
			code, out, errs := run(t, "--root", root, "keys", "import", filepath.Join(root, "pub.gpg"), "--reference", "new.example.com")
			if code != exitFindings || !strings.Contains(errs, "docker:secret.example.com requirement 0") || !strings.Contains(errs, tt.field) ||
				!strings.Contains(errs, "public part") {
				t.Errorf("exit %d\n%s%s", code, out, errs)
			}
			if after := treeState(t, root); after != before {
				t.Errorf("files changed")
			}
			code, out, _ = run(t, "--root", root, "lint")
			if code != exitFindings || !strings.Contains(out, "key-private") && !strings.Contains(out, "private key material") {
				t.Errorf("lint: exit %d\n%s", code, out)
			}
		})
	}
}

// TestLintFindsDisguisedKeyFiles: a disguised secret key in a key file
// that a rule references is an error, not "ok".
func TestLintFindsDisguisedKeyFiles(t *testing.T) {
	forms := gpgtest.SecretForms(t)
	for _, name := range []string{"relabelled behind a MESSAGE line", "binary, -----BEGIN in user ID", "secret subkeys only, relabelled"} {
		t.Run(name, func(t *testing.T) {
			root := scratchRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}}}`,
				map[string]string{"etc/gpg/k.gpg": string(forms[name])})
			code, out, errs := run(t, "--root", root, "lint")
			if code != exitFindings || !strings.Contains(out, "private key material") {
				t.Errorf("exit %d\n%s%s", code, out, errs)
			}
		})
	}
}

// TestKeysRemoveComparesCleanedPaths: a key referenced through an
// uncleaned path is in use, as the inventory says, and is not removed.
func TestKeysRemoveComparesCleanedPaths(t *testing.T) {
	for _, ref := range []string{"/etc/gpg/./release.gpg", "/etc/gpg//release.gpg", "/etc/x/../gpg/release.gpg"} {
		t.Run(ref, func(t *testing.T) {
			policy := `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"` + ref + `"}]}}}`
			root := scratchRoot(t, policy, map[string]string{"etc/gpg/release.gpg": testPublicKey(t)})
			before := treeState(t, root)
			code, out, errs := run(t, "--root", root, "keys", "remove", "release.gpg")
			if code != exitFindings || !strings.Contains(errs, "still used by docker:example.com") {
				t.Errorf("exit %d\n%s%s", code, out, errs)
			}
			if treeState(t, root) != before {
				t.Error("files changed")
			}
			code, out, errs = run(t, "--root", root, "keys", "remove", "release.gpg", "--drop-references")
			if code != exitOK {
				t.Fatalf("--drop-references: exit %d\n%s%s", code, out, errs)
			}
			data, _ := os.ReadFile(filepath.Join(root, "etc/containers/policy.json"))
			if strings.Contains(string(data), "release.gpg") || !strings.Contains(string(data), `"reject"`) {
				t.Errorf("reference not dropped:\n%s", data)
			}
		})
	}
}

// TestKeysImportAlreadyThere: importing a key that is there (once, or
// many copies in one input) writes nothing and says where it is; many
// copies of a new key are written once.
func TestKeysImportAlreadyThere(t *testing.T) {
	pub := testPublicKey(t)
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"etc/gpg/.keep": "", "three.gpg": pub + pub + pub})
	code, out, errs := run(t, "--root", root, "keys", "import", filepath.Join(root, "three.gpg"), "--name", "k.gpg")
	// The details, the diff and the receipt name the key once, not three times.
	if code != exitOK || strings.Count(out, "fingerprint  ") != 1 || strings.Count(out, "+key ") != 1 || strings.Count(out, "imported to /etc/gpg/k.gpg") != 1 {
		t.Fatalf("three copies: exit %d, want one key imported once\n%s%s", code, out, errs)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "etc/gpg/k.gpg")); len(data) != len(pub) {
		t.Errorf("the key was written %d bytes, want one copy (%d)", len(data), len(pub))
	}
	before := treeState(t, root)
	for _, input := range []string{pub, pub + pub + pub} {
		code, out, errs := runStdin(t, []byte(input), "--root", root, "keys", "import", "-")
		if code != exitOK || !strings.Contains(out, "already in /etc/gpg/k.gpg: nothing written") {
			t.Errorf("exit %d\n%s%s", code, out, errs)
		}
	}
	if treeState(t, root) != before {
		t.Error("files changed")
	}
	// A --reference that fails (the policy has an error elsewhere) must
	// not claim an import.
	os.WriteFile(filepath.Join(root, "etc/containers/policy.json"), []byte(`{"default":[{"type":"reject"}],"transports":{"docker":{"x.example.com":[{"type":"sigstoreSigned"}]}}}`), 0o644)
	code, out, errs = runStdin(t, []byte(pub), "--root", root, "keys", "import", "-", "--reference", "example.com")
	if code != exitFindings || strings.Contains(errs, "is imported") || !strings.Contains(errs, "already in /etc/gpg/k.gpg") {
		t.Errorf("failed --reference: exit %d\n%s%s", code, out, errs)
	}
}

// TestKeysImportNameRefused: --name is a plain key file name.
func TestKeysImportNameRefused(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"etc/gpg/.keep": "", "pub.gpg": testPublicKey(t)})
	before := treeState(t, root)
	for _, name := range []string{"policy.json", "x.yaml", "X.YML", "a/b.gpg", `..\x.gpg`, ".hidden"} {
		code, out, errs := run(t, "--root", root, "keys", "import", filepath.Join(root, "pub.gpg"), "--name", name)
		if code != exitFindings || !strings.Contains(errs, "invalid key file name") {
			t.Errorf("%s: exit %d\n%s%s", name, code, out, errs)
		}
	}
	if treeState(t, root) != before {
		t.Error("files changed")
	}
}

// TestLookasideSetFileElsewhere: --file cannot move a section that lives
// in another file; it says so instead of editing the other file silently.
func TestLookasideSetFileElsewhere(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{
		"etc/containers/registries.d/a.yaml": "docker:\n  registry.example.net:\n    lookaside: https://old.example.com\n",
	})
	before := treeState(t, root)
	code, out, errs := run(t, "--root", root, "lookaside", "set", "registry.example.net", "https://new.example.com", "--file", "b.yaml")
	if code != exitFindings || !strings.Contains(errs, "already has a section in a.yaml") {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
	if treeState(t, root) != before {
		t.Error("files changed")
	}
	code, out, errs = run(t, "--root", root, "lookaside", "set", "registry.example.net", "https://new.example.com", "--file", "a.yaml")
	if code != exitOK {
		t.Errorf("--file naming its own file: exit %d\n%s%s", code, out, errs)
	}
}
