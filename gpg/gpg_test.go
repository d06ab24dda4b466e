package gpg

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

var (
	past    = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
)

type keyOpts struct {
	algo       packet.PublicKeyAlgorithm
	created    time.Time
	lifetime   uint32 // key lifetime in seconds, 0 = none
	signSubkey bool
	revoke     bool
}

// newKey generates a key at test time. RSA keys are 2048 bits: smaller
// ones are refused by go-crypto's defaults for signing.
func newKey(t testing.TB, name string, o keyOpts) *openpgp.Entity {
	t.Helper()
	if o.created.IsZero() {
		o.created = testNow.Add(-24 * time.Hour)
	}
	created := o.created
	cfg := &packet.Config{Algorithm: o.algo, RSABits: 2048, KeyLifetimeSecs: o.lifetime, Time: func() time.Time { return created }}
	if o.algo == 0 {
		cfg.Algorithm = packet.PubKeyAlgoRSA
	}
	e, err := openpgp.NewEntity(name, "", name+"@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if o.signSubkey {
		if err := e.AddSigningSubkey(cfg); err != nil {
			t.Fatal(err)
		}
	}
	if o.revoke {
		if err := e.RevokeKey(packet.KeyCompromised, "test", cfg); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func publicBytes(t testing.TB, es ...*openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range es {
		if err := e.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func armoredPublic(t testing.TB, e *openpgp.Entity) []byte {
	var buf bytes.Buffer
	w, _ := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	e.Serialize(w)
	w.Close()
	return buf.Bytes()
}

func signAt(t testing.TB, e *openpgp.Entity, payload []byte, at time.Time, sigLifetime uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	cfg := &packet.Config{Time: func() time.Time { return at }, SigLifetimeSecs: sigLifetime}
	w, err := openpgp.Sign(&buf, e, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(payload)
	w.Close()
	return buf.Bytes()
}

// fixture is a generated key plus signatures, shared by the tests.
type fixture struct {
	rsa, subkeyed, ed, expired, revoked, other *openpgp.Entity
}

var fx *fixture

func keys(t testing.TB) *fixture {
	if fx == nil {
		fx = &fixture{
			rsa:      newKey(t, "release", keyOpts{}),
			subkeyed: newKey(t, "subkeyed", keyOpts{signSubkey: true}),
			ed:       newKey(t, "ed", keyOpts{algo: packet.PubKeyAlgoEdDSA}),
			expired:  newKey(t, "expired", keyOpts{created: past, lifetime: 86400}),
			revoked:  newKey(t, "revoked", keyOpts{}),
			other:    newKey(t, "other", keyOpts{}),
		}
	}
	return fx
}

// TestVerifyMatrix is the behaviour matrix of openpgp-mechanism.md §6.
func TestVerifyMatrix(t *testing.T) {
	k := keys(t)
	payload := []byte(`{"critical":{}}`)
	recent := testNow.Add(-time.Hour)
	// A signature made before its key was revoked.
	byRevoked := signAt(t, k.revoked, payload, recent, 0)
	revokedRing := revokedPublic(t, k.revoked)
	type want map[Mechanism]Reason // "" = accepted
	tests := []struct {
		name string
		blob []byte
		ring [][]byte
		want want
	}{
		{"RSA primary", signAt(t, k.rsa, payload, recent, 0), [][]byte{publicBytes(t, k.rsa)},
			want{MechXCrypto: "", MechGoCrypto: "", MechGPGME: ""}},
		{"armored key file", signAt(t, k.rsa, payload, recent, 0), [][]byte{armoredPublic(t, k.rsa)},
			want{MechXCrypto: "", MechGoCrypto: "", MechGPGME: ""}},
		{"signing subkey", signAt(t, k.subkeyed, payload, recent, 0), [][]byte{publicBytes(t, k.subkeyed)},
			want{MechXCrypto: "", MechGoCrypto: "", MechGPGME: ""}},
		{"ed25519 key", signAt(t, k.ed, payload, recent, 0), [][]byte{publicBytes(t, k.ed)},
			want{MechXCrypto: ReasonKeyLoad, MechGoCrypto: "", MechGPGME: ""}},
		{"ed25519 in a mixed ring", signAt(t, k.ed, payload, recent, 0), [][]byte{publicBytes(t, k.ed, k.rsa)},
			want{MechXCrypto: ReasonUnusableKey, MechGoCrypto: "", MechGPGME: ""}},
		{"expired key", signAt(t, k.expired, payload, past.Add(time.Hour), 0), [][]byte{publicBytes(t, k.expired)},
			want{MechXCrypto: "", MechGoCrypto: ReasonExpiredKey, MechGPGME: ReasonExpiredKey}},
		{"revoked key", byRevoked, [][]byte{revokedRing},
			want{MechXCrypto: ReasonRevokedKey, MechGoCrypto: ReasonRevokedKey, MechGPGME: ReasonRevokedKey}},
		{"expired signature", signAt(t, k.rsa, payload, testNow.Add(-2*time.Hour), 60), [][]byte{publicBytes(t, k.rsa)},
			want{MechXCrypto: ReasonExpiredSignature, MechGoCrypto: ReasonExpiredSignature, MechGPGME: ReasonExpiredSignature}},
		{"unknown signer", signAt(t, k.other, payload, recent, 0), [][]byte{publicBytes(t, k.rsa)},
			want{MechXCrypto: ReasonUnknownSigner, MechGoCrypto: ReasonUnknownSigner, MechGPGME: ReasonUnknownSigner}},
		{"second keyring holds the signer", signAt(t, k.other, payload, recent, 0), [][]byte{publicBytes(t, k.rsa), publicBytes(t, k.other)},
			want{MechXCrypto: "", MechGoCrypto: "", MechGPGME: ""}},
		{"corrupt", corrupt(signAt(t, k.rsa, payload, recent, 0)), [][]byte{publicBytes(t, k.rsa)},
			want{MechXCrypto: ReasonBadSignature, MechGoCrypto: ReasonBadSignature, MechGPGME: ReasonBadSignature}},
		{"not a signature", []byte("This is invalid"), [][]byte{publicBytes(t, k.rsa)},
			want{MechXCrypto: ReasonNotSigned, MechGoCrypto: ReasonNotSigned, MechGPGME: ReasonNotSigned}},
		{"no keys", signAt(t, k.rsa, payload, recent, 0), [][]byte{{}},
			want{MechXCrypto: ReasonNoKeys, MechGoCrypto: ReasonNoKeys, MechGPGME: ReasonNoKeys}},
	}
	for _, tt := range tests {
		for _, mech := range Mechanisms {
			t.Run(tt.name+"/"+string(mech), func(t *testing.T) {
				v, err := VerifySignature(tt.blob, tt.ring, mech, testNow)
				wantReason := tt.want[mech]
				if wantReason == "" {
					if err != nil {
						t.Fatalf("rejected: %v", err)
					}
					if !bytes.Equal(v.Payload, payload) {
						t.Errorf("payload %q", v.Payload)
					}
					if len(v.SignerFingerprint) != 40 || strings.ToUpper(v.SignerFingerprint) != v.SignerFingerprint {
						t.Errorf("fingerprint %q", v.SignerFingerprint)
					}
					return
				}
				var ve *VerifyError
				if !errors.As(err, &ve) {
					t.Fatalf("want rejection %s, got %v %v", wantReason, v, err)
				}
				if ve.Reason != wantReason {
					t.Errorf("reason %s (%v), want %s", ve.Reason, ve, wantReason)
				}
			})
		}
	}
}

func TestSubkeySignatureReportsPrimary(t *testing.T) {
	k := keys(t)
	blob := signAt(t, k.subkeyed, []byte("x"), testNow.Add(-time.Hour), 0)
	v, err := VerifySignature(blob, [][]byte{publicBytes(t, k.subkeyed)}, MechGoCrypto, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if v.SignerFingerprint != fingerprint(k.subkeyed.PrimaryKey) {
		t.Errorf("signer %s, want the primary %s", v.SignerFingerprint, fingerprint(k.subkeyed.PrimaryKey))
	}
	if v.SigningKeyID == k.subkeyed.PrimaryKey.KeyIdString() {
		t.Error("expected a subkey to sign")
	}
}

func TestMultipleSignatures(t *testing.T) {
	k := keys(t)
	// Two one-pass signatures over one literal: gpg -u A -u B --sign.
	var buf bytes.Buffer
	inner := signAt(t, k.rsa, []byte("p"), testNow.Add(-time.Hour), 0)
	_ = inner
	w, err := openpgp.Sign(&buf, k.other, nil, &packet.Config{Time: func() time.Time { return testNow.Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("p"))
	w.Close()
	one, sigs, err := countSignatures(buf.Bytes())
	if err != nil || one != 1 || sigs != 1 {
		t.Fatalf("count %d %d %v", one, sigs, err)
	}
}

// revokedPublic returns the public key of a copy of e with a key
// revocation, leaving e itself usable for signing.
func revokedPublic(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	pub := publicBytes(t, e)
	el, err := openpgp.ReadKeyRing(bytes.NewReader(pub))
	if err != nil {
		t.Fatal(err)
	}
	c := el[0]
	c.PrivateKey = e.PrivateKey
	if err := c.RevokeKey(packet.KeyCompromised, "test", nil); err != nil {
		t.Fatal(err)
	}
	return publicBytes(t, c)
}

func corrupt(b []byte) []byte {
	c := append([]byte(nil), b...)
	c[len(c)-10] ^= 0xff
	return c
}
