package gpgtest

import (
	"bytes"
	"compress/zlib"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// NewKey generates an ECDSA P-256 key (fast to make) with a signing subkey;
// name becomes the user ID's name.
func NewKey(t testing.TB, name string) *openpgp.Entity {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256,
		Time: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
	e, err := openpgp.NewEntity(name, "", "key@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.AddSigningSubkey(cfg); err != nil {
		t.Fatal(err)
	}
	return e
}

// Public is the binary public part of e, as `gpg --export` writes it.
func Public(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := e.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// ArmoredPublic is `gpg --armor --export`.
func ArmoredPublic(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	return Armor(t, openpgp.PublicKeyType, Public(t, e))
}

// Secret is the binary secret key, as `gpg --export-secret-keys` writes it.
func Secret(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := e.SerializePrivate(&b, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// SecretSubkeysOnly is what `gpg --export-secret-subkeys` writes: the
// primary key as a GNU dummy secret key packet (no secret part, S2K mode
// 101 "GNU" 1), its user ID and self-signature, and each subkey with its
// secret part.
func SecretSubkeysOnly(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	var pub bytes.Buffer
	if err := e.PrimaryKey.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	body := packetBody(t, pub.Bytes())
	body = append(body, 0xff, 0x07, 101, 0x02, 'G', 'N', 'U', 0x01)
	var b bytes.Buffer
	b.Write(Packet(5, body))
	for _, id := range e.Identities {
		if err := id.UserId.Serialize(&b); err != nil {
			t.Fatal(err)
		}
		if err := id.SelfSignature.Serialize(&b); err != nil {
			t.Fatal(err)
		}
	}
	for _, sk := range e.Subkeys {
		if err := sk.PrivateKey.Serialize(&b); err != nil {
			t.Fatal(err)
		}
		if err := sk.Sig.Serialize(&b); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// PublicWithSecretSubkey is the public primary key (tag 6) with its
// subkeys' secret parts (tag 7): no secret primary packet at all.
func PublicWithSecretSubkey(t testing.TB, e *openpgp.Entity) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := e.PrimaryKey.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	for _, id := range e.Identities {
		id.UserId.Serialize(&b)
		id.SelfSignature.Serialize(&b)
	}
	for _, sk := range e.Subkeys {
		if err := sk.PrivateKey.Serialize(&b); err != nil {
			t.Fatal(err)
		}
		sk.Sig.Serialize(&b)
	}
	return b.Bytes()
}

// Armor wraps body in ASCII armor of the given block type ("PGP PUBLIC
// KEY BLOCK"), as go-crypto writes it.
func Armor(t testing.TB, blockType string, body []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := armor.Encode(&b, blockType, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body)
	w.Close()
	b.WriteByte('\n')
	return b.Bytes()
}

// HandArmor writes armor by hand, so that headers and the checksum line
// can be wrong or missing: header lines go between the BEGIN line and the
// blank line; checksum is the line after the body ("" for none).
func HandArmor(blockType string, headers []string, body []byte, checksum string) []byte {
	var b strings.Builder
	b.WriteString("-----BEGIN " + blockType + "-----\n")
	for _, h := range headers {
		b.WriteString(h + "\n")
	}
	b.WriteString("\n")
	enc := base64.StdEncoding.EncodeToString(body)
	for len(enc) > 64 {
		b.WriteString(enc[:64] + "\n")
		enc = enc[64:]
	}
	b.WriteString(enc + "\n")
	if checksum != "" {
		b.WriteString(checksum + "\n")
	}
	b.WriteString("-----END " + blockType + "-----\n")
	return []byte(b.String())
}

// ECPrivatePEM is an EC private key in SEC 1 PEM ("EC PRIVATE KEY"), as
// `openssl ecparam -genkey` writes it, and its PKCS#8 form.
func ECPrivatePEM(t testing.TB) (sec1, pkcs8, public []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
}

// SecretForms are private OpenPGP keys in every disguise, by name. Each
// must be refused wherever public keys are accepted.
func SecretForms(t testing.TB) map[string][]byte {
	t.Helper()
	e := NewKey(t, "release")
	other := NewKey(t, "other")
	sec := Secret(t, e)
	subOnly := SecretSubkeysOnly(t, e)
	relabelled := Armor(t, openpgp.PublicKeyType, sec)
	sneaky := NewKey(t, "-----BEGIN PGP PUBLIC KEY BLOCK-----")
	const message = "-----BEGIN PGP MESSAGE-----\n"
	return map[string][]byte{
		"binary secret key":                 sec,
		"armored secret key":                Armor(t, openpgp.PrivateKeyType, sec),
		"secret key in a PUBLIC KEY BLOCK":  relabelled,
		"relabelled behind a MESSAGE line":  append([]byte(message), relabelled...),
		"secret subkeys only":               subOnly,
		"secret subkeys only, relabelled":   append([]byte(message), Armor(t, openpgp.PublicKeyType, subOnly)...),
		"public primary with secret subkey": PublicWithSecretSubkey(t, e),
		"binary, -----BEGIN in user ID":     Secret(t, sneaky),
		"public then secret":                append(Public(t, other), sec...),
		"armored public then relabelled":    append(ArmoredPublic(t, other), append([]byte(message), relabelled...)...),
		"junk bytes before binary":          append([]byte("\x00\x01garbage\xc5\x02\x95"), sec...),
		"junk lines and a bad header":       append([]byte("hello\nnot armor at all\n"), HandArmor(openpgp.PublicKeyType, []string{"this is no header", "Comment: x"}, sec, "=AAAA")...),
		"no blank line, no checksum":        []byte(strings.Replace(string(HandArmor(openpgp.PublicKeyType, nil, sec, "")), "-----\n\n", "-----\n", 1)),
		"no BEGIN line at all":              HandArmor("", nil, sec, "")[len("-----BEGIN -----\n"):],
		"inside a compressed data packet":   append(Public(t, other), Compressed(t, sec)...),
		"base64 of relabelled armor":        []byte(base64.StdEncoding.EncodeToString(relabelled)),
	}
}

// Compressed wraps data in a ZLIB compressed data packet (tag 8), as
// `gpg --compress-algo zlib --store` would frame it.
func Compressed(t testing.TB, data []byte) []byte {
	t.Helper()
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return Packet(8, append([]byte{2}, z.Bytes()...))
}

func packetBody(t testing.TB, pkt []byte) []byte {
	t.Helper()
	// go-crypto writes new-format headers: tag byte then a 1, 2 or 5 byte length.
	switch l := pkt[1]; {
	case l < 192:
		return append([]byte(nil), pkt[2:]...)
	case l < 224:
		return append([]byte(nil), pkt[3:]...)
	case l == 255:
		return append([]byte(nil), pkt[6:]...)
	}
	t.Fatal("unexpected packet header")
	return nil
}

// Packet frames body as an OpenPGP packet of tag in the new format, for
// tests that craft packets the libraries will not make.
func Packet(tag byte, body []byte) []byte {
	out := []byte{0xc0 | tag}
	switch n := len(body); {
	case n < 192:
		out = append(out, byte(n))
	case n < 8384:
		n -= 192
		out = append(out, byte(n>>8)+192, byte(n))
	default:
		out = append(out, 255, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, body...)
}
