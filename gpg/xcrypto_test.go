package gpg

//lint:file-ignore SA1019 the test compares our model with the frozen library the runtime runs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	xopenpgp "golang.org/x/crypto/openpgp" //nolint:staticcheck // the frozen library itself, as the node's runtime links it
)

// xcryptoVerify is containers/image's mechanism_openpgp.go Verify as it
// was up to v5.40, run on the real golang.org/x/crypto/openpgp, in tests
// only: it pins our model of MechXCrypto so that it cannot drift.
func xcryptoVerify(blob []byte, keyrings [][]byte, now time.Time) (string, error) {
	var ring xopenpgp.EntityList
	for _, data := range keyrings {
		el, err := xopenpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			el2, aerr := xopenpgp.ReadArmoredKeyRing(bytes.NewReader(data))
			if aerr != nil {
				return "", err
			}
			el = el2
		}
		ring = append(ring, el...)
	}
	if len(ring) == 0 {
		return "", errors.New("No public keys imported")
	}
	md, err := xopenpgp.ReadMessage(bytes.NewReader(blob), ring, nil, nil)
	if err != nil {
		return "", err
	}
	if !md.IsSigned {
		return "", errors.New("not signed")
	}
	if _, err := io.ReadAll(md.UnverifiedBody); err != nil {
		return "", err
	}
	if md.SignatureError != nil {
		return "", fmt.Errorf("signature error: %v", md.SignatureError)
	}
	if md.SignedBy == nil {
		return "", fmt.Errorf("Key not found for key ID %x in signature", md.SignedByKeyId)
	}
	if md.Signature != nil && md.Signature.SigLifetimeSecs != nil {
		expiry := md.Signature.CreationTime.Add(time.Duration(*md.Signature.SigLifetimeSecs) * time.Second)
		if now.After(expiry) {
			return "", fmt.Errorf("Signature expired on %s", expiry)
		}
	}
	return fmt.Sprintf("%X", md.SignedBy.Entity.PrimaryKey.Fingerprint), nil
}

// TestXCryptoModelMatchesXCrypto runs the behaviour matrix through the real
// frozen library and through our model; the verdicts must be the same.
// x/crypto reads the clock itself, so "now" is the real time here and the
// cases are built relative to it.
func TestXCryptoModelMatchesXCrypto(t *testing.T) {
	k := keys(t)
	now := time.Now()
	payload := []byte("payload")
	recent := now.Add(-time.Hour)
	cases := []struct {
		name string
		blob []byte
		ring [][]byte
	}{
		{"RSA", signAt(t, k.rsa, payload, recent, 0), [][]byte{publicBytes(t, k.rsa)}},
		{"armored", signAt(t, k.rsa, payload, recent, 0), [][]byte{armoredPublic(t, k.rsa)}},
		{"subkey", signAt(t, k.subkeyed, payload, recent, 0), [][]byte{publicBytes(t, k.subkeyed)}},
		{"ed25519 alone", signAt(t, k.ed, payload, recent, 0), [][]byte{publicBytes(t, k.ed)}},
		{"ed25519 mixed", signAt(t, k.ed, payload, recent, 0), [][]byte{publicBytes(t, k.rsa, k.ed)}},
		{"expired key", signAt(t, k.expired, payload, past.Add(time.Hour), 0), [][]byte{publicBytes(t, k.expired)}},
		{"revoked key", signAt(t, k.revoked, payload, recent, 0), [][]byte{revokedPublic(t, k.revoked)}},
		{"expired signature", signAt(t, k.rsa, payload, now.Add(-2*time.Hour), 60), [][]byte{publicBytes(t, k.rsa)}},
		{"unknown key", signAt(t, k.other, payload, recent, 0), [][]byte{publicBytes(t, k.rsa)}},
		{"corrupt", corrupt(signAt(t, k.rsa, payload, recent, 0)), [][]byte{publicBytes(t, k.rsa)}},
		{"garbage", []byte("This is invalid"), [][]byte{publicBytes(t, k.rsa)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFpr, wantErr := xcryptoVerify(c.blob, c.ring, now)
			got, gotErr := VerifySignature(c.blob, c.ring, MechXCrypto, now)
			if (wantErr == nil) != (gotErr == nil) {
				t.Fatalf("x/crypto: %q %v; our model: %+v %v", wantFpr, wantErr, got, gotErr)
			}
			if wantErr == nil && got.SignerFingerprint != wantFpr {
				t.Errorf("signer %s, x/crypto says %s", got.SignerFingerprint, wantFpr)
			}
		})
	}
}
