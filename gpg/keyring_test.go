package gpg

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/kios/imgtrust/model"
)

func secretForms(t *testing.T) map[string][]byte {
	k := keys(t)
	var binSecret, armSecret, encSecret bytes.Buffer
	if err := k.rsa.SerializePrivate(&binSecret, nil); err != nil {
		t.Fatal(err)
	}
	w, _ := armor.Encode(&armSecret, openpgp.PrivateKeyType, nil)
	k.rsa.SerializePrivate(w, nil)
	w.Close()
	enc := newKey(t, "enc", keyOpts{})
	if err := enc.EncryptPrivateKeys([]byte("pass"), nil); err != nil {
		t.Fatal(err)
	}
	enc.SerializePrivateWithoutSigning(&encSecret, nil)
	// A public primary with a secret subkey: gpg --export-secret-subkeys.
	var subOnly bytes.Buffer
	k.subkeyed.PrimaryKey.Serialize(&subOnly)
	for _, sk := range k.subkeyed.Subkeys {
		if sk.PrivateKey != nil {
			sk.PrivateKey.Serialize(&subOnly)
		}
	}
	// The same secret key under a PUBLIC KEY BLOCK header.
	var disguised bytes.Buffer
	w2, _ := armor.Encode(&disguised, openpgp.PublicKeyType, nil)
	k.rsa.SerializePrivate(w2, nil)
	w2.Close()
	return map[string][]byte{
		"binary secret key":         binSecret.Bytes(),
		"armored secret key":        armSecret.Bytes(),
		"encrypted secret key":      encSecret.Bytes(),
		"secret subkey":             subOnly.Bytes(),
		"public then secret":        append(publicBytes(t, k.other), binSecret.Bytes()...),
		"armored public and secret": append(armoredPublic(t, k.other), armSecret.Bytes()...),
		"secret in a public block":  disguised.Bytes(),
	}
}

func TestPrivateKeysRefused(t *testing.T) {
	for name, data := range secretForms(t) {
		t.Run(name, func(t *testing.T) {
			_, err := ParseKeyring(data)
			var se *SecretKeyError
			if !errors.As(err, &se) {
				t.Fatalf("not refused: %v", err)
			}
			if !strings.Contains(err.Error(), "gpg --export") || !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("message does not say what to do: %v", err)
			}
			if d := DiagnoseKeyMaterial("/etc/gpg/k.gpg", model.Pos{}, data, MechXCrypto, testNow); len(d) == 0 || d[0].Code != "key-private" {
				t.Errorf("lint does not flag it: %v", d)
			}
		})
	}
}

func TestParseKeyring(t *testing.T) {
	k := keys(t)
	kr, err := ParseKeyring(append(armoredPublic(t, k.rsa), armoredPublic(t, k.subkeyed)...))
	if err != nil {
		t.Fatal(err)
	}
	if len(kr.Keys) != 2 {
		t.Fatalf("want every armored block, got %d keys", len(kr.Keys))
	}
	r := kr.Keys[0]
	if r.Algorithm != "RSA" || r.Bits != 2048 || !r.CanSign || r.Revoked || len(r.UserIDs) != 1 || !strings.Contains(r.UserIDs[0], "release@example.com") {
		t.Errorf("RSA key: %+v", r)
	}
	s := kr.Keys[1]
	var signSub bool
	for _, sk := range s.Subkeys {
		signSub = signSub || sk.Sign
	}
	if !signSub {
		t.Errorf("signing subkey not seen: %+v", s.Subkeys)
	}
	if !strings.HasPrefix(kr.Label(), ShortFingerprint(r.Fingerprint)+" (release") || !strings.HasSuffix(kr.Label(), "+1 more") {
		t.Errorf("label %q", kr.Label())
	}
	if got := GroupFingerprint("0123456789ABCDEF"); got != "0123 4567 89AB CDEF" {
		t.Errorf("grouped %q", got)
	}
	ed, _ := ParseKeyring(publicBytes(t, k.ed))
	if !ed.Keys[0].EdDSA {
		t.Error("ed25519 not flagged")
	}
	if _, err := ParseKeyring([]byte("This is invalid")); err == nil {
		t.Error("garbage parsed")
	}
}

func TestDiagnoseKeyMaterial(t *testing.T) {
	k := keys(t)
	weak, err := openpgp.NewEntity("weak", "", "weak@example.com", &packet.Config{RSABits: 1024})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		mech Mechanism
		code string // "" = no diagnostics
		sev  model.Severity
	}{
		{"good RSA", publicBytes(t, k.rsa), MechXCrypto, "", 0},
		{"ed25519 under x/crypto", publicBytes(t, k.ed), MechXCrypto, "key-unusable-mechanism", model.Error},
		{"ed25519 under go-crypto", publicBytes(t, k.ed), MechGoCrypto, "", 0},
		{"expired under x/crypto", publicBytes(t, k.expired), MechXCrypto, "key-expired-trusted", model.Warning},
		{"expired under gpgme", publicBytes(t, k.expired), MechGPGME, "key-expired", model.Warning},
		{"revoked", revokedPublic(t, k.revoked), MechGoCrypto, "key-revoked", model.Warning},
		{"weak", publicBytes(t, weak), MechGoCrypto, "key-weak", model.Warning},
		{"garbage", []byte("nonsense"), MechXCrypto, "key-not-openpgp", model.Error},
		{"empty", []byte{}, MechXCrypto, "key-empty", model.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DiagnoseKeyMaterial("/etc/gpg/k.gpg", model.Pos{File: "policy.json", Line: 3}, tt.data, tt.mech, testNow)
			if tt.code == "" {
				if len(d) != 0 {
					t.Errorf("unexpected: %v", d)
				}
				return
			}
			for _, x := range d {
				if x.Code == tt.code {
					if x.Severity != tt.sev || x.Pos.Line != 3 {
						t.Errorf("severity/pos: %+v", x)
					}
					return
				}
			}
			t.Errorf("no %s in %v", tt.code, d)
		})
	}
}

func TestDecideMechanism(t *testing.T) {
	tests := []struct {
		tags, version string
		want          Mechanism
	}{
		{"containers_image_openpgp,exclude_graphdriver_btrfs", "v5.38.0", MechXCrypto},
		{"containers_image_openpgp", "v5.40.2", MechXCrypto},
		{"containers_image_openpgp", "v5.39.3-0.20260515000000-e2c14667a598", MechXCrypto},
		{"containers_image_openpgp", "v5.41.0", MechGoCrypto},
		{"containers_image_openpgp", "", MechXCrypto},
		{"seccomp,selinux", "v5.38.0", MechGPGME},
		{"", "v5.41.0", MechGPGME},
	}
	for _, tt := range tests {
		if got := decideMechanism(tt.tags, tt.version); got.Mechanism != tt.want || got.Reason == "" {
			t.Errorf("%q %q: %+v, want %s", tt.tags, tt.version, got, tt.want)
		}
	}
}

func TestDetectMechanismReadsBuildInfo(t *testing.T) {
	root := t.TempDir()
	if d := DetectMechanism(root); d.Mechanism != MechXCrypto || !strings.Contains(d.Reason, "no runtime binary") {
		t.Errorf("empty root: %+v", d)
	}
	// The test binary is a Go program without the openpgp tag: gpgme.
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "usr", "bin", "crio")
	os.MkdirAll(filepath.Dir(bin), 0o755)
	os.WriteFile(bin, self, 0o755)
	if d := DetectMechanism(root); d.Mechanism != MechGPGME || d.Binary != "/usr/bin/crio" {
		t.Errorf("test binary as crio: %+v", d)
	}
}

func TestSubkeyFlags(t *testing.T) {
	tests := []struct {
		s    SubkeyInfo
		want string
	}{
		{SubkeyInfo{}, ""},
		{SubkeyInfo{Sign: true}, "sign"},
		{SubkeyInfo{Encrypt: true, Revoked: true}, "encrypt,revoked"},
		{SubkeyInfo{Sign: true, Encrypt: true, Revoked: true}, "sign,encrypt,revoked"},
	}
	for _, tt := range tests {
		if got := strings.Join(tt.s.Flags(), ","); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.s, got, tt.want)
		}
	}
}
