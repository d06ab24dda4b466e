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

// nestedPackets is hostile input for the every-offset scan: a secret key
// packet header every 19 bytes, each claiming the rest of the input and
// holding a tiny public key that parses, so that each parse reads far
// before it fails. Unbounded, 256 KiB of it took 17 s.
func nestedPackets(n int) []byte {
	unit := []byte{4, 0, 0, 0, 1, 1, 0, 8, 0xff, 0, 2, 3, 0} // v4 RSA, 8-bit n, e=3, unencrypted
	count := n / 19
	out := make([]byte, 0, count*19+1)
	out = append(out, 0) // not a packet: the aligned walk stops at once
	for k := 0; k < count; k++ {
		l := (count-k)*19 - 6
		out = append(out, 0xc5, 255, byte(l>>24), byte(l>>16), byte(l>>8), byte(l))
		out = append(out, unit...)
	}
	return out
}

// TestNestedPacketsBounded: input built to make the scan quadratic is
// refused once the parse budget is spent (see BenchmarkFind for the time).
func TestNestedPacketsBounded(t *testing.T) {
	if what := Find(nestedPackets(256 << 10)); what == "" {
		t.Fatal("hostile nesting accepted")
	}
}

func BenchmarkFind(b *testing.B) {
	var ring []byte
	for len(ring) < 1<<20 {
		ring = append(ring, gpgtest.Public(b, gpgtest.NewKey(b, "bench"))...)
	}
	armored := gpgtest.Armor(b, "PGP PUBLIC KEY BLOCK", ring)
	for _, c := range []struct {
		name string
		data []byte
	}{{"public keyring 1 MiB", ring}, {"armored keyring 1.3 MiB", armored}, {"nested 1 MiB", nestedPackets(1 << 20)}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				if what := Find(c.data); what != "" && c.name != "nested 1 MiB" {
					b.Fatal(what)
				}
			}
		})
	}
}
