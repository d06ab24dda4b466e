package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/workspace"
)

// namedKey makes an ECDSA key for name; pub is its binary public part and
// fpr its fingerprint as imgtrust prints it.
func namedKey(t *testing.T, name string) (pub []byte, fpr string) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", strings.ToLower(name)+"@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
}

// TestKeysImportRefusesWidening: an import that changes what a rule
// trusts beyond what was asked is refused without --allow-weaken, says
// which key gets in, and writes nothing.
func TestKeysImportRefusesWidening(t *testing.T) {
	alice, _ := namedKey(t, "Alice")
	bob, bobFpr := namedKey(t, "Bob")
	carol, carolFpr := namedKey(t, "Carol")
	dave, _ := namedKey(t, "Dave")
	uses := func(file string) string {
		return `{"default":[{"type":"reject"}],"transports":{"docker":{"registry.example.com/team":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/` + file + `"}]}}}`
	}
	tests := []struct {
		name    string
		policy  string
		files   map[string]string
		args    []string
		input   []byte
		refused bool
		says    string
		keyFile string // must keep its content when refused
	}{
		{"--force over a referenced key file", uses("release.gpg"), map[string]string{"etc/gpg/release.gpg": string(alice)},
			[]string{"--name", "release.gpg", "--force"}, bob, true, bobFpr, "etc/gpg/release.gpg"},
		{"a key file the policy names but that is missing", uses("release.gpg"), nil,
			[]string{"--name", "release.gpg"}, bob, true, bobFpr, ""},
		{"--reference to a file that holds other keys", `{"default":[{"type":"reject"}]}`, map[string]string{"etc/gpg/team.gpg": string(alice) + string(carol)},
			[]string{"--reference", "registry.example.com/team"}, alice, true, carolFpr, ""},
		{"--force over a file only a namespace policy names", uses("release.gpg"), map[string]string{"etc/gpg/release.gpg": string(alice), "etc/gpg/spare.gpg": string(carol),
			"etc/crio/policies/team-a.json": strings.ReplaceAll(uses("spare.gpg"), `"registry.example.com/team"`, `"registry.example.com/a"`)},
			[]string{"--name", "spare.gpg", "--force"}, bob, true, "in /etc/crio/policies/team-a.json: images under docker:registry.example.com/a", "etc/gpg/spare.gpg"},
		{"--force over a file nothing uses", uses("release.gpg"), map[string]string{"etc/gpg/release.gpg": string(alice), "etc/gpg/spare.gpg": string(carol)},
			[]string{"--name", "spare.gpg", "--force"}, bob, false, "", ""},
		{"--reference to a new file: what was asked", uses("release.gpg"), map[string]string{"etc/gpg/release.gpg": string(alice)},
			[]string{"--reference", "registry.example.com/team"}, dave, false, "", ""},
		{"--force with the same key", uses("release.gpg"), map[string]string{"etc/gpg/release.gpg": string(alice)},
			[]string{"--name", "release.gpg", "--force"}, alice, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := mapWith(tt.files, "input.gpg", string(tt.input))
			root := scratchRoot(t, tt.policy, files)
			policyPath := filepath.Join(root, "etc/containers/policy.json")
			policyBefore, _ := os.ReadFile(policyPath)
			var keyBefore []byte
			if tt.keyFile != "" {
				keyBefore, _ = os.ReadFile(filepath.Join(root, tt.keyFile))
			}
			args := append([]string{"--root", root, "keys", "import", filepath.Join(root, "input.gpg")}, tt.args...)
			code, out, errs := run(t, args...)
			if !tt.refused {
				if code != exitOK {
					t.Fatalf("exit %d\n%s%s", code, out, errs)
				}
				return
			}
			if code != exitFindings || !strings.Contains(errs, "widens trust") || !strings.Contains(errs, tt.says) || !strings.Contains(errs, "--allow-weaken") {
				t.Fatalf("exit %d, want a refusal naming %s\n%s%s", code, tt.says, out, errs)
			}
			if after, _ := os.ReadFile(policyPath); !bytes.Equal(after, policyBefore) {
				t.Error("policy.json changed")
			}
			if tt.keyFile != "" {
				if after, _ := os.ReadFile(filepath.Join(root, tt.keyFile)); !bytes.Equal(after, keyBefore) {
					t.Errorf("%s changed", tt.keyFile)
				}
			}
			if code, out, errs := run(t, append(args, "--allow-weaken")...); code != exitOK {
				t.Fatalf("with --allow-weaken: exit %d\n%s%s", code, out, errs)
			}
		})
	}
}

// TestTUIImportStagesAndReviewsWidening: the TUI's import stages the key
// file and writes nothing; when the saved policy names the file, the save
// review reports the widening (naming the key) and the save is refused
// without consent; a file nothing uses saves without one.
func TestTUIImportStagesAndReviewsWidening(t *testing.T) {
	alice, fpr := namedKey(t, "Alice")
	kr, err := gpg.ParseKeyring(alice)
	if err != nil {
		t.Fatal(err)
	}
	name := gpg.FileName(kr.Keys[0])
	for _, tt := range []struct {
		name, policy string
		widens       bool
	}{
		{"file the policy names", `{"default":[{"type":"reject"}],"transports":{"docker":{"registry.example.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/` + name + `"}]}}}`, true},
		{"file nothing uses", `{"default":[{"type":"reject"}]}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := scratchRoot(t, tt.policy, nil)
			paths := node.NewPaths(root, "", "", "")
			ws, err := workspace.Open(paths)
			if err != nil {
				t.Fatal(err)
			}
			if _, err = (tuiKeys{paths: paths, ws: ws, mech: gpg.MechGoCrypto}).Import(alice); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(root, "etc/gpg", name)
			if _, err := os.Stat(file); err == nil {
				t.Fatal("the import wrote the key file before the save")
			}
			rev, err := ws.Review()
			if err != nil {
				t.Fatal(err)
			}
			if got := len(rev.Widenings) > 0; got != tt.widens {
				t.Fatalf("widenings %v, want widening %v", rev.Widenings, tt.widens)
			}
			if tt.widens {
				if !strings.Contains(rev.Widenings[0].String(), fpr) {
					t.Errorf("the widening does not name the key %s: %s", fpr, rev.Widenings[0])
				}
				if err := ws.Save("", false); err == nil || !strings.Contains(err.Error(), "widens trust") {
					t.Fatalf("save without consent: %v", err)
				}
				if _, err := os.Stat(file); err == nil {
					t.Fatal("written without consent")
				}
			}
			if err := ws.Save("", tt.widens); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(file); err != nil {
				t.Fatalf("not written by the save: %v", err)
			}
		})
	}
}
