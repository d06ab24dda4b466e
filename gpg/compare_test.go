package gpg

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

func ecKey(t *testing.T, name string, cfg *packet.Config) *openpgp.Entity {
	t.Helper()
	if cfg == nil {
		cfg = &packet.Config{}
	}
	if cfg.Algorithm == 0 {
		cfg.Algorithm, cfg.Curve = packet.PubKeyAlgoECDSA, packet.CurveNistP256
	}
	e, err := openpgp.NewEntity(name, "", name+"@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func pubOf(t *testing.T, es ...*openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range es {
		if err := e.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// TestCompareKeys: a key the new files may accept signatures by, and the
// old ones did not surely accept, is named, by fingerprint.
func TestCompareKeys(t *testing.T) {
	alice, bob := ecKey(t, "alice", nil), ecKey(t, "bob", nil)
	short := ecKey(t, "short", &packet.Config{KeyLifetimeSecs: 86400})
	longer := *short // the same key re-signed without an expiry
	longer.Identities = map[string]*openpgp.Identity{}
	for n, id := range short.Identities {
		c := *id
		sig := *id.SelfSignature
		sig.KeyLifetimeSecs = nil
		if err := sig.SignUserId(id.UserId.Id, short.PrimaryKey, short.PrivateKey, nil); err != nil {
			t.Fatal(err)
		}
		c.SelfSignature, c.Signatures = &sig, []*packet.Signature{&sig}
		longer.Identities[n] = &c
	}
	revoked := ecKey(t, "revoked", nil)
	unrevoked := pubOf(t, revoked)
	if err := revoked.RevokeKey(packet.KeyCompromised, "lost", nil); err != nil {
		t.Fatal(err)
	}
	withSubkey := ecKey(t, "sub", nil)
	plain := pubOf(t, withSubkey)
	if err := withSubkey.AddSigningSubkey(&packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256}); err != nil {
		t.Fatal(err)
	}
	ed := ecKey(t, "ed", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})

	tests := []struct {
		name     string
		old, cur [][]byte
		added    string // a fingerprint that must be named; "" for none
	}{
		{"same key", [][]byte{pubOf(t, alice)}, [][]byte{pubOf(t, alice)}, ""},
		{"fewer keys", [][]byte{pubOf(t, alice, bob)}, [][]byte{pubOf(t, bob)}, ""},
		{"another key", [][]byte{pubOf(t, alice)}, [][]byte{pubOf(t, bob)}, fingerprint(bob.PrimaryKey)},
		{"one more key in the file", [][]byte{pubOf(t, alice)}, [][]byte{pubOf(t, alice, bob)}, fingerprint(bob.PrimaryKey)},
		{"expiry removed", [][]byte{pubOf(t, short)}, [][]byte{pubOf(t, &longer)}, fingerprint(short.PrimaryKey)},
		{"expiry added", [][]byte{pubOf(t, &longer)}, [][]byte{pubOf(t, short)}, ""},
		{"revocation dropped", [][]byte{pubOf(t, revoked)}, [][]byte{unrevoked}, fingerprint(revoked.PrimaryKey)},
		{"revocation added", [][]byte{unrevoked}, [][]byte{pubOf(t, revoked)}, ""},
		{"signing subkey added", [][]byte{plain}, [][]byte{pubOf(t, withSubkey)}, fingerprint(withSubkey.PrimaryKey)},
		{"old file unreadable by the runtime", [][]byte{pubOf(t, alice), []byte("junk")}, [][]byte{pubOf(t, alice)}, fingerprint(alice.PrimaryKey)},
		{"old file with an EdDSA key (x/crypto loses its neighbours)", [][]byte{pubOf(t, alice, ed)}, [][]byte{pubOf(t, alice)}, fingerprint(alice.PrimaryKey)},
		{"new file empty", [][]byte{pubOf(t, alice)}, [][]byte{nil}, ""},
		{"new file not a key ring", [][]byte{pubOf(t, alice)}, [][]byte{[]byte("junk")}, "cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			added, _ := CompareKeys(tt.old, tt.cur)
			got := strings.Join(added, "; ")
			if tt.added == "" && got != "" || tt.added != "" && !strings.Contains(got, tt.added) {
				t.Errorf("added = %q, want %q", got, tt.added)
			}
		})
	}
}

// TestXCryptoAcceptsFutureSignature: a signature made after "now" (a node
// whose clock is behind) is accepted by x/crypto; checking it used to
// dereference the missing signature lifetime.
func TestXCryptoAcceptsFutureSignature(t *testing.T) {
	e := ecKey(t, "future", nil)
	blob, err := Sign(e, []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	if _, err := VerifySignature(blob, [][]byte{pubOf(t, e)}, MechXCrypto, past); err != nil {
		t.Errorf("x/crypto: %v", err)
	}
	if _, err := VerifySignature(blob, [][]byte{pubOf(t, e)}, MechGoCrypto, past); err == nil {
		t.Error("go-crypto accepted a key created in the future")
	}
}
