package gpg

import (
	"bytes"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/kios/imgtrust/gpg/gpgtest"
	"github.com/kios/imgtrust/gpg/internal/rmd160"
	"github.com/kios/imgtrust/model"
)

// These tests pin the verdicts measured against containers/image itself
// (v5.38 x/crypto, v5.42.1 go-crypto, v5.42.1 gpgme; key-facts.md
// "Measured against the library itself"). For the two pure-Go mechanisms
// imgtrust runs the libraries, so these also guard the way it calls them;
// for gpgme they pin the model.

func newKeyCfg(t testing.TB, name string, cfg *packet.Config) *openpgp.Entity {
	t.Helper()
	cfg.RSABits = 2048
	if cfg.Time == nil {
		created := testNow.Add(-24 * time.Hour)
		cfg.Time = func() time.Time { return created }
	}
	e, err := openpgp.NewEntity(name, "", name+"@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func withSigningSubkey(t testing.TB, e *openpgp.Entity, algo packet.PublicKeyAlgorithm) *openpgp.Entity {
	t.Helper()
	created := testNow.Add(-24 * time.Hour)
	if err := e.AddSigningSubkey(&packet.Config{Algorithm: algo, RSABits: 2048, Time: func() time.Time { return created }}); err != nil {
		t.Fatal(err)
	}
	return e
}

// pkt frames an OpenPGP packet in the new format.
func pkt(tag byte, body []byte) []byte { return gpgtest.Packet(tag, body) }

func subpacket(typ byte, body []byte) []byte {
	return append([]byte{byte(len(body) + 1), typ}, body...)
}

func mpi(b []byte) []byte {
	n := new(big.Int).SetBytes(b)
	out := binary.BigEndian.AppendUint16(nil, uint16(n.BitLen()))
	return append(out, n.Bytes()...)
}

// craftSigned builds, by hand, the one-pass signed binary message gpg
// --sign writes, signed by e's RSA primary key with hash algorithm hashID
// (OpenPGP numbering) computed by newHash, and extra hashed subpackets.
// newHash nil gives a signature that is not cryptographically valid.
// RIPEMD-160 comes from gpg/internal/rmd160: linking x/crypto's would
// register it and change x/crypto's verdict in this process.
func craftSigned(t testing.TB, e *openpgp.Entity, payload []byte, created time.Time, hashID byte, goHash crypto.Hash, newHash func() hash.Hash, extra ...[]byte) []byte {
	t.Helper()
	priv, ok := e.PrivateKey.PrivateKey.(*rsa.PrivateKey)
	if !ok {
		t.Fatal("craftSigned needs an RSA key")
	}
	keyID := binary.BigEndian.AppendUint64(nil, e.PrimaryKey.KeyId)
	hashed := subpacket(2, binary.BigEndian.AppendUint32(nil, uint32(created.Unix())))
	for _, x := range extra {
		hashed = append(hashed, x...)
	}
	head := []byte{4, 0x00, byte(packet.PubKeyAlgoRSA), hashID}
	head = binary.BigEndian.AppendUint16(head, uint16(len(hashed)))
	head = append(head, hashed...)
	trailer := binary.BigEndian.AppendUint32([]byte{4, 0xFF}, uint32(len(head)))
	var digest, sig []byte
	if newHash != nil {
		h := newHash()
		h.Write(payload)
		h.Write(head)
		h.Write(trailer)
		digest = h.Sum(nil)
		sig = rsaSign(t, priv, goHash, digest)
	} else {
		digest = bytes.Repeat([]byte{0x5A}, 20)
		sig = bytes.Repeat([]byte{0x5A}, 256)
	}
	unhashed := subpacket(16, keyID)
	body := append([]byte(nil), head...)
	body = binary.BigEndian.AppendUint16(body, uint16(len(unhashed)))
	body = append(body, unhashed...)
	body = append(body, digest[:2]...)
	body = append(body, mpi(sig)...)
	return onePassMessage(keyID, hashID, created, payload, body)
}

// craftSignedV3 is craftSigned with a version 3 signature packet, as
// PGP 2 and gpg --force-v3-sigs made them.
func craftSignedV3(t testing.TB, e *openpgp.Entity, payload []byte, created time.Time, hashID byte, goHash crypto.Hash, newHash func() hash.Hash) []byte {
	t.Helper()
	priv := e.PrivateKey.PrivateKey.(*rsa.PrivateKey)
	keyID := binary.BigEndian.AppendUint64(nil, e.PrimaryKey.KeyId)
	hashed := binary.BigEndian.AppendUint32([]byte{0x00}, uint32(created.Unix())) // type, time
	h := newHash()
	h.Write(payload)
	h.Write(hashed)
	digest := h.Sum(nil)
	sig := rsaSign(t, priv, goHash, digest)
	body := append([]byte{3, 5}, hashed...)
	body = append(body, keyID...)
	body = append(body, byte(packet.PubKeyAlgoRSA), hashID)
	body = append(body, digest[:2]...)
	body = append(body, mpi(sig)...)
	return onePassMessage(keyID, hashID, created, payload, body)
}

// rsaSign signs as gpg does: for RIPEMD-160 with OpenPGP's DigestInfo
// (RFC 4880 §5.2.2), not crypto/rsa's.
func rsaSign(t testing.TB, priv *rsa.PrivateKey, h crypto.Hash, digest []byte) []byte {
	t.Helper()
	if h == crypto.RIPEMD160 {
		h, digest = 0, append(append([]byte(nil), ripemd160DigestInfo...), digest...)
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, h, digest)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func critical(typ byte, body []byte) []byte { return subpacket(0x80|typ, body) }

func notation(name, value string) []byte {
	b := []byte{0x80, 0, 0, 0} // human-readable
	b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(value)))
	return append(append(b, name...), value...)
}

// verdict is what a case must give under one mechanism: accepted ("") or
// rejected with an error containing the text ("!" = any rejection; "?" =
// not pinned, see the case).
type verdict = string

func checkVerdict(t *testing.T, v *Verified, err error, want verdict, payload []byte) {
	t.Helper()
	switch {
	case want == "?":
		return
	case want == "" && err != nil:
		t.Fatalf("rejected (%v), the library accepts", err)
	case want == "":
		if !bytes.Equal(v.Payload, payload) {
			t.Errorf("payload %q, want %q", v.Payload, payload)
		}
	case err == nil:
		t.Fatalf("accepted (signer %s), the library rejects (%s)", v.SignerFingerprint, want)
	case want != "!" && !strings.Contains(err.Error(), want):
		t.Errorf("rejected with %q, want the library's %q", err, want)
	}
	var ve *VerifyError
	if err != nil && !errors.As(err, &ve) {
		t.Errorf("error %T is not a *VerifyError", err)
	}
}

func TestMeasuredSignatureVerdicts(t *testing.T) {
	k := keys(t)
	payload := []byte(`{"critical":{}}`)
	recent := testNow.Add(-time.Hour)
	future := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	futureKey := newKey(t, "future", keyOpts{created: future})
	sha := func() hash.Hash { return sha256.New() }
	ring := [][]byte{publicBytes(t, k.rsa)}
	tests := []struct {
		name string
		blob []byte
		ring [][]byte
		want map[Mechanism]verdict
	}{
		{"hand-built SHA-256 signature", craftSigned(t, k.rsa, payload, recent, 8, crypto.SHA256, sha), ring,
			map[Mechanism]verdict{MechXCrypto: "", MechGoCrypto: "", MechGPGME: ""}},
		// Issue 14 item 1: this crashed imgtrust under openpgp-xcrypto.
		{"key and signature created in 2030", signAt(t, futureKey, payload, future.Add(time.Hour), 0), [][]byte{publicBytes(t, futureKey)},
			map[Mechanism]verdict{MechXCrypto: "", MechGoCrypto: "key expired", MechGPGME: "No public keys imported"}},
		{"key created in 2030, signature now", craftSigned(t, futureKey, payload, recent, 8, crypto.SHA256, sha), [][]byte{publicBytes(t, futureKey)},
			map[Mechanism]verdict{MechXCrypto: "", MechGoCrypto: "key expired", MechGPGME: "No public keys imported"}},
		{"signature created in 2030", signAt(t, k.rsa, payload, future, 0), ring,
			map[Mechanism]verdict{MechXCrypto: "", MechGoCrypto: "signature expired", MechGPGME: ""}},
		{"signature created in 2030 with a lifetime", signAt(t, k.rsa, payload, future, 3600), ring,
			map[Mechanism]verdict{MechXCrypto: "", MechGoCrypto: "signature expired", MechGPGME: ""}},
		{"MD5", craftSigned(t, k.rsa, payload, recent, 1, crypto.MD5, md5.New), ring,
			map[Mechanism]verdict{MechXCrypto: "", MechGoCrypto: "!", MechGPGME: "!"}},
		{"RIPEMD-160", craftSigned(t, k.rsa, payload, recent, 3, crypto.RIPEMD160, rmd160.New), ring,
			map[Mechanism]verdict{MechXCrypto: "hash not available: 9", MechGoCrypto: "!", MechGPGME: ""}},
		{"RIPEMD-160, corrupt", corrupt(craftSigned(t, k.rsa, payload, recent, 3, crypto.RIPEMD160, rmd160.New)), ring,
			map[Mechanism]verdict{MechXCrypto: "hash not available: 9", MechGoCrypto: "!", MechGPGME: "Invalid GPG signature"}},
		{"RIPEMD-160 by an unknown key", craftSigned(t, k.other, payload, recent, 3, crypto.RIPEMD160, rmd160.New), ring,
			map[Mechanism]verdict{MechXCrypto: "hash not available: 9", MechGoCrypto: "!", MechGPGME: "Key not found"}},
		{"RIPEMD-160 by an expired key", craftSigned(t, k.expired, payload, past.Add(time.Hour), 3, crypto.RIPEMD160, rmd160.New), [][]byte{publicBytes(t, k.expired)},
			map[Mechanism]verdict{MechXCrypto: "hash not available: 9", MechGoCrypto: "!", MechGPGME: "key expired"}},
		{"RIPEMD-160, critical unknown notation", craftSigned(t, k.rsa, payload, recent, 3, crypto.RIPEMD160, rmd160.New, critical(20, notation("unknown@example.com", "x"))), ring,
			map[Mechanism]verdict{MechXCrypto: "!", MechGoCrypto: "!", MechGPGME: "unknown critical notation"}},
		{"V3 signature, SHA-256", craftSignedV3(t, k.rsa, payload, recent, 8, crypto.SHA256, sha), ring,
			map[Mechanism]verdict{MechXCrypto: "", MechGoCrypto: "!", MechGPGME: ""}},
		{"V3 signature, SHA-1", craftSignedV3(t, k.rsa, payload, recent, 2, crypto.SHA1, sha1.New), ring,
			map[Mechanism]verdict{MechXCrypto: "", MechGoCrypto: "!", MechGPGME: ""}},
		{"V3 signature, RIPEMD-160", craftSignedV3(t, k.rsa, payload, recent, 3, crypto.RIPEMD160, rmd160.New), ring,
			map[Mechanism]verdict{MechXCrypto: "hash not available: 9", MechGoCrypto: "!", MechGPGME: ""}},
		{"V3 signature, MD5", craftSignedV3(t, k.rsa, payload, recent, 1, crypto.MD5, md5.New), ring,
			map[Mechanism]verdict{MechXCrypto: "", MechGoCrypto: "!", MechGPGME: "!"}},
		{"V3 signature, corrupt", corrupt(craftSignedV3(t, k.rsa, payload, recent, 8, crypto.SHA256, sha)), ring,
			map[Mechanism]verdict{MechXCrypto: "!", MechGoCrypto: "!", MechGPGME: "Invalid GPG signature"}},
		{"V3 signature by an expired key", craftSignedV3(t, k.expired, payload, past.Add(time.Hour), 8, crypto.SHA256, sha), [][]byte{publicBytes(t, k.expired)},
			map[Mechanism]verdict{MechXCrypto: "", MechGoCrypto: "!", MechGPGME: "key expired"}},
		{"RIPEMD-160 in the future", craftSigned(t, k.rsa, payload, future, 3, crypto.RIPEMD160, rmd160.New), ring,
			map[Mechanism]verdict{MechXCrypto: "hash not available: 9", MechGoCrypto: "!", MechGPGME: ""}},
		{"policy URL, not critical", craftSigned(t, k.rsa, payload, recent, 8, crypto.SHA256, sha, subpacket(26, []byte("https://example.com/policy"))), ring,
			map[Mechanism]verdict{MechXCrypto: "", MechGoCrypto: "", MechGPGME: ""}},
		{"critical policy URL", craftSigned(t, k.rsa, payload, recent, 8, crypto.SHA256, sha, critical(26, []byte("https://example.com/policy"))), ring,
			map[Mechanism]verdict{MechXCrypto: "unknown critical signature subpacket type 26", MechGoCrypto: "", MechGPGME: ""}},
		{"critical unknown notation", craftSigned(t, k.rsa, payload, recent, 8, crypto.SHA256, sha, critical(20, notation("unknown@example.com", "x"))), ring,
			map[Mechanism]verdict{MechXCrypto: "unknown critical signature subpacket type 20", MechGoCrypto: "unknown critical notation", MechGPGME: "!"}},
	}
	for _, tt := range tests {
		for _, mech := range Mechanisms {
			t.Run(tt.name+"/"+string(mech), func(t *testing.T) {
				v, err := VerifySignature(tt.blob, tt.ring, mech, testNow)
				checkVerdict(t, v, err, tt.want[mech], payload)
			})
		}
	}
}

// TestXCryptoKeyRings pins what x/crypto makes of rings with ed25519
// parts (issue 14 item 2): more is lost than the ed25519 key.
func TestXCryptoKeyRings(t *testing.T) {
	k := keys(t)
	p256 := newKeyCfg(t, "p256", &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256})
	rsaEdSub := withSigningSubkey(t, newKey(t, "rsa-ed-sub", keyOpts{}), packet.PubKeyAlgoEdDSA)
	edRSASub := withSigningSubkey(t, newKeyCfg(t, "ed-rsa-sub", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}), packet.PubKeyAlgoRSA)
	fpr := func(es ...*openpgp.Entity) []string {
		var out []string
		for _, e := range es {
			out = append(out, fingerprint(e.PrimaryKey))
		}
		slices.Sort(out)
		return out
	}
	var armored bytes.Buffer
	w, _ := armor.Encode(&armored, openpgp.PublicKeyType, nil)
	w.Write(publicBytes(t, k.rsa, k.ed))
	w.Close()
	tests := []struct {
		name    string
		data    []byte
		want    []string
		wantErr string
	}{
		{"rsa, ed25519, nistp256", publicBytes(t, k.rsa, k.ed, p256), fpr(p256), ""},
		{"ed25519, nistp256, rsa", publicBytes(t, k.ed, p256, k.rsa), fpr(p256, k.rsa), ""},
		{"armored rsa then ed25519", armored.Bytes(), nil, "tag byte does not have MSB set"},
		{"rsa with an ed25519 signing subkey", publicBytes(t, rsaEdSub), nil, "public key type: 22"},
		{"ed25519 with an rsa signing subkey", publicBytes(t, edRSASub), nil, "public key type: 22"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RuntimeFingerprints(tt.data, MechXCrypto, testNow)
			slices.Sort(got)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loaded %v, err %v; x/crypto fails with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("loaded %v (%v), x/crypto keeps %v", got, err, tt.want)
			}
		})
	}
	// The verdict follows: the rsa key before the ed25519 one is not there.
	blob := signAt(t, k.rsa, []byte("p"), testNow.Add(-time.Hour), 0)
	ring := [][]byte{publicBytes(t, k.rsa, k.ed, p256)}
	_, err := VerifySignature(blob, ring, MechXCrypto, testNow)
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Reason != ReasonUnusableKey || !strings.Contains(ve.Detail, "just before an ed25519 key") {
		t.Errorf("x/crypto rejects, saying why; got %v", err)
	}
	for _, mech := range []Mechanism{MechGoCrypto, MechGPGME} {
		if _, err := VerifySignature(blob, ring, mech, testNow); err != nil {
			t.Errorf("%s: %v", mech, err)
		}
	}
	// diagnose tells the lost rsa key apart from the ed25519 one.
	diags := DiagnoseKeyMaterial("/etc/gpg/mixed.gpg", model.Pos{}, ring[0], MechXCrypto, testNow)
	var lost []string
	for _, d := range diags {
		if d.Code == "key-partly-unusable" {
			lost = append(lost, d.Message)
		}
	}
	if len(lost) != 2 || !strings.Contains(strings.Join(lost, "\n"), "just before an ed25519 key") {
		t.Errorf("diagnostics %v", lost)
	}
}

func TestGPGMEKeyFilesAndSignatureFormats(t *testing.T) {
	k := keys(t)
	payload := []byte(`{"critical":{}}`)
	recent := testNow.Add(-time.Hour)
	var twoBlocks bytes.Buffer
	twoBlocks.Write(armoredPublic(t, k.rsa))
	twoBlocks.WriteString("\n")
	twoBlocks.Write(armoredPublic(t, k.other))
	binThenArmored := append(publicBytes(t, k.other), armoredPublic(t, k.rsa)...)
	byOther := signAt(t, k.other, payload, recent, 0)

	var armoredSig bytes.Buffer
	w, _ := armor.Encode(&armoredSig, "PGP MESSAGE", nil)
	w.Write(byOther)
	w.Close()
	var clear bytes.Buffer
	cw, err := clearsign.Encode(&clear, k.other.PrivateKey, &packet.Config{Time: func() time.Time { return recent }})
	if err != nil {
		t.Fatal(err)
	}
	cw.Write(payload)
	cw.Close()

	tests := []struct {
		name string
		blob []byte
		ring []byte
		want map[Mechanism]verdict
	}{
		{"signer in the second armored block", byOther, twoBlocks.Bytes(),
			map[Mechanism]verdict{MechXCrypto: "Key not found", MechGoCrypto: "Key not found", MechGPGME: ""}},
		// The pure-Go libraries' verdict here depends on the key bytes
		// (where the binary parser resynchronises, whether the armor
		// decoder finds its header): imgtrust runs them, so it is theirs.
		{"binary key followed by an armored one", byOther, binThenArmored,
			map[Mechanism]verdict{MechXCrypto: "?", MechGoCrypto: "?", MechGPGME: "No public keys imported"}},
		{"armored signature", armoredSig.Bytes(), publicBytes(t, k.other),
			map[Mechanism]verdict{MechXCrypto: "!", MechGoCrypto: "!", MechGPGME: ""}},
		{"cleartext signature", clear.Bytes(), publicBytes(t, k.other),
			map[Mechanism]verdict{MechXCrypto: "!", MechGoCrypto: "!", MechGPGME: ""}},
		{"cleartext signature by a key not in the ring", clear.Bytes(), publicBytes(t, k.rsa),
			map[Mechanism]verdict{MechXCrypto: "!", MechGoCrypto: "!", MechGPGME: "Invalid GPG signature"}},
		{"armored signature by a key not in the ring", armoredSig.Bytes(), publicBytes(t, k.rsa),
			map[Mechanism]verdict{MechXCrypto: "!", MechGoCrypto: "!", MechGPGME: "Key not found"}},
	}
	for _, tt := range tests {
		for _, mech := range Mechanisms {
			t.Run(tt.name+"/"+string(mech), func(t *testing.T) {
				v, err := VerifySignature(tt.blob, [][]byte{tt.ring}, mech, testNow)
				checkVerdict(t, v, err, tt.want[mech], payload)
				if err == nil && v.SignerFingerprint != fingerprint(k.other.PrimaryKey) {
					t.Errorf("signer %s", v.SignerFingerprint)
				}
			})
		}
	}
}

// TestRIPEMD160NotLinked: x/crypto refuses RIPEMD-160 only because the
// node's runtime does not link an implementation. If anything in this
// binary registered one, the x/crypto mechanism would start accepting
// what the node refuses.
func TestRIPEMD160NotLinked(t *testing.T) {
	if crypto.RIPEMD160.Available() {
		t.Fatal("crypto.RIPEMD160 is registered: openpgp-xcrypto verdicts would differ from the node's")
	}
}

// TestSkipsYAMLDirectories: image v5.41 and later skip a directory named
// *.yaml in registries.d; older versions fail on it. The binary's version
// decides; without it the mechanism implies a range, and the answer says
// what was assumed.
func TestSkipsYAMLDirectories(t *testing.T) {
	tests := []struct {
		d        Detection
		skip     bool
		assumed  bool
		contains string
	}{
		{Detection{Mechanism: MechXCrypto, ImageVersion: "v5.38.0", Binary: "/usr/bin/crio"}, false, false, "v5.38.0"},
		{Detection{Mechanism: MechGPGME, ImageVersion: "v5.41.2"}, true, false, "v5.41.2"},
		{Detection{Mechanism: MechGoCrypto, ImageVersion: "v5.42.1"}, true, false, "v5.42.1"},
		{Detection{Mechanism: MechGPGME, ImageVersion: "v5.23.1"}, false, false, "v5.23.1"},
		{Detection{Mechanism: MechGoCrypto}, true, true, "assumed v5.41.0"},
		{Detection{Mechanism: MechXCrypto}, false, true, "assumed v5.38.0"},
		{Detection{Mechanism: MechGPGME}, false, true, "assumed v5.38.0"},
		// A pseudo-version counts as the release it is built on.
		{Detection{Mechanism: MechXCrypto, ImageVersion: "v5.40.4-0.20260601000000-0123456789ab"}, false, false, "v5.40.4-0"},
		{Detection{Mechanism: MechXCrypto, ImageVersion: "v5.41.1-0.20260601000000-0123456789ab"}, true, false, "v5.41.1-0"},
	}
	for _, tt := range tests {
		skip, basis := tt.d.SkipsYAMLDirectories()
		if skip != tt.skip || !strings.Contains(basis, tt.contains) || strings.Contains(basis, "assumed") != tt.assumed {
			t.Errorf("%+v: skip=%v (%s), want %v containing %q", tt.d, skip, basis, tt.skip, tt.contains)
		}
	}
}

// TestFutureKeyDiagnostics: lint says what each mechanism makes of a key
// created in the future: x/crypto uses it, go-crypto rejects its
// signatures, GnuPG does not import it.
func TestFutureKeyDiagnostics(t *testing.T) {
	future := newKey(t, "future", keyOpts{created: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	data := publicBytes(t, future)
	want := map[Mechanism]string{MechXCrypto: "", MechGoCrypto: "key-future", MechGPGME: "key-not-openpgp"}
	for mech, code := range want {
		diags := DiagnoseKeyMaterial("/etc/gpg/future.gpg", model.Pos{}, data, mech, testNow)
		var codes []string
		for _, d := range diags {
			codes = append(codes, d.Code)
			if code == "key-not-openpgp" && d.Code == code && !strings.Contains(d.Message, "created in the future") {
				t.Errorf("%s: %s does not say why", mech, d.Message)
			}
		}
		if code == "" && slices.ContainsFunc(codes, func(c string) bool { return c == "key-future" || c == "key-not-openpgp" }) {
			t.Errorf("%s: %v, x/crypto uses the key", mech, codes)
		}
		if code != "" && !slices.Contains(codes, code) {
			t.Errorf("%s: %v, want %s", mech, codes, code)
		}
	}
}

// onePassMessage is the signed message gpg --sign writes: a one-pass
// signature packet, the literal data, then the signature packet sigBody.
func onePassMessage(keyID []byte, hashID byte, created time.Time, payload, sigBody []byte) []byte {
	onePass := append([]byte{3, 0x00, hashID, byte(packet.PubKeyAlgoRSA)}, keyID...)
	onePass = append(onePass, 1)
	literal := append([]byte{'b', 0}, binary.BigEndian.AppendUint32(nil, uint32(created.Unix()))...)
	literal = append(literal, payload...)
	var msg []byte
	msg = append(msg, pkt(4, onePass)...)
	msg = append(msg, pkt(11, literal)...)
	msg = append(msg, pkt(2, sigBody)...)
	return msg
}
