package secretscan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/kios/imgtrust/gpg/gpgtest"
)

// TestFindPEMPrivateKeys: PEM private keys of every kind are found by
// their label, and by their content when relabelled as a public key.
func TestFindPEMPrivateKeys(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	sec1, _ := x509.MarshalECPrivateKey(ec)
	p8, _ := x509.MarshalPKCS8PrivateKey(ec)
	pkcs1 := x509.MarshalPKCS1PrivateKey(rk)
	pub, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	enc := func(typ string, der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}) }
	found := map[string][]byte{
		"EC PRIVATE KEY":                 enc("EC PRIVATE KEY", sec1),
		"RSA PRIVATE KEY":                enc("RSA PRIVATE KEY", pkcs1),
		"PKCS#8":                         enc("PRIVATE KEY", p8),
		"ENCRYPTED PRIVATE KEY":          enc("ENCRYPTED PRIVATE KEY", []byte("opaque")),
		"OPENSSH PRIVATE KEY":            enc("OPENSSH PRIVATE KEY", []byte("openssh-key-v1\x00rest")),
		"EC key labelled PUBLIC KEY":     enc("PUBLIC KEY", sec1),
		"PKCS#8 labelled CERTIFICATE":    enc("CERTIFICATE", p8),
		"OpenSSH key labelled PUBLIC":    enc("PUBLIC KEY", []byte("openssh-key-v1\x00rest")),
		"public key then EC private key": append(enc("PUBLIC KEY", pub), enc("EC PRIVATE KEY", sec1)...),
		"raw DER":                        p8,
	}
	for name, data := range found {
		if Find(data) == "" {
			t.Errorf("%s: not found", name)
		}
	}
	if what := Find(enc("PUBLIC KEY", pub)); what != "" {
		t.Errorf("a public key reported as %s", what)
	}
	_, _, public := gpgtest.ECPrivatePEM(t)
	if what := Find(public); what != "" {
		t.Errorf("a public key reported as %s", what)
	}
}

// TestNextPacket: old and new formats, partial lengths, truncation.
func TestNextPacket(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		tag  int
		body string
		ok   bool
	}{
		{"old one-byte length", []byte{0x99, 0x00, 0x02, 'a', 'b', 'X'}, 6, "ab", true},
		{"old one-byte", []byte{0xb4, 0x02, 'a', 'b'}, 13, "ab", true},
		{"new", []byte{0xcd, 0x02, 'a', 'b'}, 13, "ab", true},
		{"new partial", []byte{0xcb, 0xe1, 'a', 'b', 0x01, 'c'}, 11, "abc", true},
		{"truncated", []byte{0xcd, 0x05, 'a'}, 0, "", false},
		{"no header bit", []byte{0x0d, 0x05}, 0, "", false},
	}
	for _, tt := range tests {
		tag, body, _, ok := NextPacket(tt.data)
		if tag != tt.tag || string(body) != tt.body || ok != tt.ok {
			t.Errorf("%s: got %d %q %v", tt.name, tag, body, ok)
		}
	}
}

// TestNoFalsePositiveOnPublicKeys: the every-offset scan must not see a
// secret key in the random-looking bytes of public keys and signatures.
func TestNoFalsePositiveOnPublicKeys(t *testing.T) {
	for i := 0; i < 40; i++ {
		e := gpgtest.NewKey(t, "k")
		for name, data := range map[string][]byte{"binary": gpgtest.Public(t, e), "armored": gpgtest.ArmoredPublic(t, e)} {
			if what := Find(data); what != "" {
				t.Fatalf("%s public key %d reported as %s", name, i, what)
			}
		}
	}
}
