package gpg

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/kios/imgtrust/gpg/gpgtest"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
)

// TestSecretInEveryDisguise: private key material is refused however it is
// framed (relabelled or damaged armor, junk around it, text inside its
// packets, secret subkeys only), by the importer and by lint, and an
// import of it writes nothing.
func TestSecretInEveryDisguise(t *testing.T) {
	for name, data := range gpgtest.SecretForms(t) {
		t.Run(name, func(t *testing.T) {
			var se *SecretKeyError
			if err := FindSecret(data); !errors.As(err, &se) {
				t.Errorf("FindSecret: %v", err)
			}
			if _, err := ParseKeyring(data); !errors.As(err, &se) {
				t.Errorf("ParseKeyring accepted it: %v", err)
			}
			if d := DiagnoseKeyMaterial("/etc/gpg/k.gpg", model.Pos{}, data, MechGoCrypto, testNow); len(d) == 0 || d[0].Code != "key-private" {
				t.Errorf("lint does not flag it: %v", d)
			}
			paths := node.NewPaths(t.TempDir(), "", "", "")
			if err := os.MkdirAll(paths.KeysDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := Import(data, paths, ImportOptions{}); !errors.As(err, &se) {
				t.Errorf("Import: %v", err)
			}
			if entries, _ := os.ReadDir(paths.KeysDir); len(entries) != 0 {
				t.Errorf("keys directory changed: %v", entries)
			}
		})
	}
}

// TestPublicKeysNotMistakenForSecret: the wider scan must not refuse
// ordinary public keys, also when their text looks like armor.
func TestPublicKeysNotMistakenForSecret(t *testing.T) {
	k := keys(t)
	sneaky := gpgtest.NewKey(t, "-----BEGIN PGP PUBLIC KEY BLOCK-----")
	forms := map[string][]byte{
		"binary RSA":                  publicBytes(t, k.rsa),
		"armored with subkey":         armoredPublic(t, k.subkeyed),
		"several keys":                publicBytes(t, k.rsa, k.subkeyed, k.ed, k.other),
		"two armored blocks":          append(armoredPublic(t, k.rsa), armoredPublic(t, k.other)...),
		"-----BEGIN in user ID":       gpgtest.Public(t, sneaky),
		"armored behind MESSAGE line": append([]byte("-----BEGIN PGP MESSAGE-----\n"), gpgtest.ArmoredPublic(t, sneaky)...),
	}
	for name, data := range forms {
		t.Run(name, func(t *testing.T) {
			if err := FindSecret(data); err != nil {
				t.Errorf("public key refused: %v", err)
			}
			if _, err := ParseKeyring(data); err != nil {
				t.Errorf("ParseKeyring: %v", err)
			}
		})
	}
}

// FuzzSecretAlwaysFound: whatever bytes surround a secret key, binary or
// in (relabelled) armor, it is found.
func FuzzSecretAlwaysFound(f *testing.F) {
	e := gpgtest.NewKey(f, "fuzz")
	forms := [][]byte{
		gpgtest.Secret(f, e),
		gpgtest.SecretSubkeysOnly(f, e),
		gpgtest.Armor(f, openpgp.PublicKeyType, gpgtest.Secret(f, e)),
		gpgtest.Armor(f, "PGP MESSAGE", gpgtest.SecretSubkeysOnly(f, e)),
	}
	f.Add(uint8(0), []byte{}, []byte{})
	f.Add(uint8(1), []byte("-----BEGIN PGP MESSAGE-----\n"), []byte("\n"))
	f.Add(uint8(2), []byte("-----BEGIN PGP MESSAGE-----\n"), []byte("=abcd"))
	f.Add(uint8(3), []byte{0xc6, 0xff, 0x95}, []byte{0x00})
	f.Fuzz(func(t *testing.T, which uint8, before, after []byte) {
		key := forms[int(which)%len(forms)]
		data := bytes.Join([][]byte{before, key, after}, nil)
		if err := FindSecret(data); err == nil {
			t.Fatalf("secret key (form %d) not found between %q and %q", int(which)%len(forms), before, after)
		}
		if _, err := ParseKeyring(data); err == nil {
			t.Fatal("ParseKeyring accepted a secret key")
		}
	})
}

// TestParsedSecretRefused: a key the parser read from secret packets is
// refused after parsing too, whatever the byte scan said.
func TestParsedSecretRefused(t *testing.T) {
	e := gpgtest.NewKey(t, "parsed")
	for name, data := range map[string][]byte{
		"secret key":        gpgtest.Secret(t, e),
		"secret subkey":     gpgtest.PublicWithSecretSubkey(t, e),
		"subkeys-only form": gpgtest.SecretSubkeysOnly(t, e),
	} {
		ents, err := openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var se *SecretKeyError
		if err := entitySecret(ents); !errors.As(err, &se) {
			t.Errorf("%s: %v", name, err)
		}
	}
	ents, _ := openpgp.ReadKeyRing(bytes.NewReader(gpgtest.Public(t, e)))
	if err := entitySecret(ents); err != nil {
		t.Errorf("public key: %v", err)
	}
}

// TestForceOverSecretKeepsNoBackup: replacing a key file that holds a
// secret key writes the public key and keeps no copy of the secret.
func TestForceOverSecretKeepsNoBackup(t *testing.T) {
	paths := node.NewPaths(t.TempDir(), "", "", "")
	os.MkdirAll(paths.KeysDir, 0o755)
	host := paths.KeysDir + "/k.gpg"
	os.WriteFile(host, gpgtest.SecretForms(t)["relabelled behind a MESSAGE line"], 0o644)
	if _, err := Import(gpgtest.Public(t, gpgtest.NewKey(t, "new")), paths, ImportOptions{Name: "k.gpg", Force: true}); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(paths.KeysDir); len(entries) != 1 {
		t.Errorf("keys directory: %v (a backup of the secret?)", entries)
	}
	if data, _ := os.ReadFile(host); FindSecret(data) != nil {
		t.Error("the secret is still there")
	}
}
