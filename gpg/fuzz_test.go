package gpg

import (
	"crypto"
	"testing"
	"time"

	"github.com/kios/imgtrust/gpg/internal/rmd160"
)

// FuzzParseKeyring: hostile key files and pasted blocks never panic or
// hang; secret material is never accepted as a keyring.
func FuzzParseKeyring(f *testing.F) {
	k := keys(f)
	f.Add(publicBytes(f, k.rsa))
	f.Add(armoredPublic(f, k.subkeyed))
	f.Add([]byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nabc\n-----END PGP PRIVATE KEY BLOCK-----\n"))
	f.Add([]byte{0x95, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		kr, err := ParseKeyring(data)
		if err == nil && FindSecret(data) != nil {
			t.Fatal("a keyring with secret material was accepted")
		}
		if err == nil && len(kr.Keys) == 0 {
			t.Fatal("no keys and no error")
		}
		for _, m := range Mechanisms {
			RuntimeFingerprints(data, m, testNow)
		}
	})
}

// FuzzVerifySignature: hostile signature blobs are rejected, never
// accepted without a key, never panic.
func FuzzVerifySignature(f *testing.F) {
	k := keys(f)
	ring := publicBytes(f, k.rsa)
	f.Add(signAt(f, k.rsa, []byte("payload"), testNow.Add(-time.Hour), 0))
	f.Add([]byte("This is invalid"))
	f.Add([]byte{0xa3, 0x01, 0x02})
	f.Add(craftSigned(f, k.rsa, []byte("payload"), testNow.Add(-time.Hour), 3, crypto.RIPEMD160, rmd160.New))
	f.Add(craftSignedV3(f, k.rsa, []byte("payload"), testNow.Add(-time.Hour), 3, crypto.RIPEMD160, rmd160.New))
	f.Fuzz(func(t *testing.T, blob []byte) {
		for _, mech := range Mechanisms {
			v, err := VerifySignature(blob, [][]byte{ring}, mech, testNow)
			if err == nil && v.SignerFingerprint != fingerprint(k.rsa.PrimaryKey) {
				t.Fatalf("%s: accepted with signer %s", mech, v.SignerFingerprint)
			}
		}
	})
}
