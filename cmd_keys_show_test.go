package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/gpg/gpgtest"
	"github.com/kios/imgtrust/nodefs"
)

var updateGolden = flag.Bool("update", false, "rewrite the CLI goldens in testdata/golden")

// keyFixtures are keys made at test time with fixed dates; the goldens
// name their fingerprints and key IDs by placeholders (normalizeKeys).
type keyFixtures struct {
	release, expiring, ed *openpgp.Entity
}

func newKeyFixtures(t *testing.T) keyFixtures {
	t.Helper()
	created := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	expiring, err := openpgp.NewEntity("expiring", "", "expiring@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256, Time: created, KeyLifetimeSecs: 86400})
	if err != nil {
		t.Fatal(err)
	}
	ed, err := openpgp.NewEntity("ed", "", "ed@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: created})
	if err != nil {
		t.Fatal(err)
	}
	return keyFixtures{release: gpgtest.NewKey(t, "release"), expiring: expiring, ed: ed}
}

// normalizeKeys replaces the generated keys' fingerprints and key IDs
// (primary and subkeys, grouped or not) by stable names, and dir by <DIR>.
func normalizeKeys(t *testing.T, s, dir string, es ...*openpgp.Entity) string {
	t.Helper()
	var pairs []string
	for i, e := range es {
		kr, err := gpg.ParseKeyring(gpgtest.Public(t, e))
		if err != nil {
			t.Fatal(err)
		}
		k := kr.Keys[0]
		n := string(rune('A' + i))
		pairs = append(pairs, gpg.GroupFingerprint(k.Fingerprint), "<FPR-"+n+" grouped>", k.Fingerprint, "<FPR-"+n+">", k.KeyID, "<KEYID-"+n+">")
		for j, sk := range k.Subkeys {
			pairs = append(pairs, sk.KeyID, "<SUBKEY-"+n+string(rune('1'+j))+">")
		}
	}
	if dir != "" {
		pairs = append(pairs, dir, "<DIR>")
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func requireCLIGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
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
		t.Fatalf("%v (go test -run %s -update writes it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestKeysShowFile: keys show FILE and keys show - describe keys that are
// not on the node, with the same detail as an imported key and the node
// mechanism's verdict; a name of the keys directory keeps meaning that
// file.
func TestKeysShowFile(t *testing.T) {
	fx := newKeyFixtures(t)
	dir := t.TempDir()
	twoKeys := append(gpgtest.ArmoredPublic(t, fx.release), gpgtest.ArmoredPublic(t, fx.expiring)...)
	if err := os.WriteFile(filepath.Join(dir, "two.asc"), twoKeys, 0o644); err != nil {
		t.Fatal(err)
	}
	root := scratchRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/release.gpg"}]}}}`,
		map[string]string{"etc/gpg/release.gpg": string(gpgtest.Public(t, fx.release))})
	tests := []struct {
		name, golden string
		stdin        []byte
		args         []string
		code         int
	}{
		{"armored file on xcrypto", "keys-show-file.txt", nil, []string{"--mechanism", "openpgp-xcrypto", "keys", "show", filepath.Join(dir, "two.asc")}, exitOK},
		{"same file on gocrypto", "keys-show-file-gocrypto.txt", nil, []string{"--mechanism", "openpgp-gocrypto", "keys", "show", filepath.Join(dir, "two.asc")}, exitOK},
		{"ed25519 from stdin on xcrypto", "keys-show-stdin.txt", gpgtest.Public(t, fx.ed), []string{"--mechanism", "openpgp-xcrypto", "keys", "show", "-"}, exitOK},
		{"json", "keys-show-file.json", nil, []string{"--mechanism", "openpgp-xcrypto", "keys", "show", "--json", filepath.Join(dir, "two.asc")}, exitOK},
		{"name in the keys directory", "keys-show-inventory.txt", nil, []string{"--mechanism", "openpgp-xcrypto", "keys", "show", "release.gpg"}, exitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runStdin(t, tc.stdin, append([]string{"--root", root}, tc.args...)...)
			if code != tc.code || errs != "" {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errs)
			}
			if strings.HasSuffix(tc.golden, ".json") && !json.Valid([]byte(out)) {
				t.Fatalf("not JSON:\n%s", out)
			}
			requireCLIGolden(t, tc.golden, normalizeKeys(t, out, dir, fx.release, fx.expiring, fx.ed))
		})
	}
}

// TestKeysShowRefusesPrivateKeys: keys show never prints private key
// material, from a file or stdin.
func TestKeysShowRefusesPrivateKeys(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, nil)
	dir := t.TempDir()
	for name, data := range gpgtest.SecretForms(t) {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, "secret")
			if err := os.WriteFile(file, data, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"keys", "show", file}, {"keys", "show", "-"}, {"keys", "show", "--json", "-"}} {
				code, out, errs := runStdin(t, data, append([]string{"--root", root}, args...)...)
				if code != exitFindings || out != "" || !strings.Contains(errs, "imgtrust stores public keys only") {
					t.Errorf("%v: exit %d, want %d and only the refusal\n%s%s", args, code, exitFindings, out, errs)
				}
			}
		})
	}
}

// runTTY is run with stdout taken for a terminal.
func runTTY(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, stdoutTTY: true}
	code := a.main(args)
	return code, out.String(), errb.String()
}

// TestKeysListFingerprints: keys list prints all 40 hex digits when its
// output is not a terminal and in --json; a terminal gets the 16-digit
// long key ID, never fewer digits.
func TestKeysListFingerprints(t *testing.T) {
	fx := newKeyFixtures(t)
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"etc/gpg/release.gpg": string(gpgtest.Public(t, fx.release))})
	kr, err := gpg.ParseKeyring(gpgtest.Public(t, fx.release))
	if err != nil {
		t.Fatal(err)
	}
	fpr := kr.Keys[0].Fingerprint
	tests := []struct {
		name      string
		tty, json bool
		want      string // the key's fingerprint column
	}{
		{"pipe", false, false, fpr},
		{"terminal", true, false, fpr[24:]},
		{"json on a terminal", true, true, fpr},
		{"json", false, true, fpr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"--root", root, "keys", "list"}
			if tc.json {
				args = append(args, "--json")
			}
			runner := run
			if tc.tty {
				runner = runTTY
			}
			code, out, errs := runner(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
			if tc.json {
				var inv struct {
					Keys []struct {
						Fingerprint string `json:"fingerprint"`
					} `json:"keys"`
				}
				if err := json.Unmarshal([]byte(out), &inv); err != nil || len(inv.Keys) != 1 || inv.Keys[0].Fingerprint != tc.want {
					t.Fatalf("%v: %s", err, out)
				}
				return
			}
			var row string
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, "release.gpg") {
					row = l
				}
			}
			if got := strings.Fields(row); len(got) == 0 || got[0] != tc.want {
				t.Errorf("row %q: want it to start with %s\n%s", row, tc.want, out)
			}
		})
	}
}

// TestKeysImportRefusesUnusableKey: import prints what is about to be
// trusted and refuses a key the node's mechanism cannot use (exit 1,
// nothing written) unless --force.
func TestKeysImportRefusesUnusableKey(t *testing.T) {
	fx := newKeyFixtures(t)
	dir := t.TempDir()
	for name, e := range map[string]*openpgp.Entity{"ed.gpg": fx.ed, "release.gpg": fx.release, "expiring.gpg": fx.expiring} {
		if err := os.WriteFile(filepath.Join(dir, name), gpgtest.Public(t, e), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, file, mech string
		force            bool
		code             int
		written          bool
		stderr           string
	}{
		{"ed25519 on xcrypto", "ed.gpg", "openpgp-xcrypto", false, exitFindings, false, "cannot verify signatures with"},
		{"ed25519 on xcrypto, forced", "ed.gpg", "openpgp-xcrypto", true, exitOK, true, ""},
		{"ed25519 on gocrypto", "ed.gpg", "openpgp-gocrypto", false, exitOK, true, ""},
		{"expired on gocrypto", "expiring.gpg", "openpgp-gocrypto", false, exitFindings, false, "expired"},
		// x/crypto never checks expiry: the key still verifies there.
		{"expired on xcrypto", "expiring.gpg", "openpgp-xcrypto", false, exitOK, true, ""},
		{"usable", "release.gpg", "openpgp-xcrypto", false, exitOK, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"etc/gpg/.keep": ""})
			before := treeState(t, root)
			args := []string{"--root", root, "--mechanism", tc.mech, "keys", "import", filepath.Join(dir, tc.file), "--name", tc.file}
			if tc.force {
				args = append(args, "--force")
			}
			code, out, errs := run(t, args...)
			if code != tc.code || !strings.Contains(errs, tc.stderr) {
				t.Fatalf("exit %d, want %d with %q\n%s%s", code, tc.code, tc.stderr, out, errs)
			}
			// The details come first, whatever the outcome.
			for _, want := range []string{"fingerprint  ", "user ID      ", "algorithm    ", "expires      ", "status       "} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			_, err := os.Stat(filepath.Join(root, "etc/gpg", tc.file))
			if written := err == nil; written != tc.written {
				t.Errorf("key file written: %v, want %v", written, tc.written)
			}
			if !tc.written && treeState(t, root) != before {
				t.Error("a refused import changed the node")
			}
		})
	}
}

// TestKeysShowStdinTooBig: stdin past the key file cap is refused as a
// file of that size is, not cut at the cap and read as if whole.
func TestKeysShowStdinTooBig(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, nil)
	fx := newKeyFixtures(t)
	pub := gpgtest.ArmoredPublic(t, fx.ed)
	tests := []struct {
		name  string
		stdin []byte
		code  int
		want  string
	}{
		{"a key after the cap", append(bytes.Repeat([]byte("\n"), int(nodefs.KeyFile.Max)), pub...), exitUsage, "stdin is more than 16 MiB: larger than imgtrust reads for a key file"},
		{"a key then padding to the cap", append(append([]byte{}, pub...), bytes.Repeat([]byte("\n"), int(nodefs.KeyFile.Max)-len(pub))...), exitOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runStdin(t, tc.stdin, "--root", root, "--mechanism", "openpgp-gocrypto", "keys", "show", "-")
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, want %d and %q\n%s%s", code, tc.code, tc.want, out, errs)
			}
		})
	}
}
