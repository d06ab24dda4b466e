package gpg

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"hash"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/kios/imgtrust/gpg/internal/rmd160"
)

// GnuPG verifies RIPEMD-160 signatures and version 3 signature packets;
// go-crypto parses neither (it knows no hash number 3, and no v3
// signatures). For the gpgme model such a message is taken apart here:
// go-crypto parses a stand-in signature packet it knows, which is then
// given the real hash function and hashed trailer back, hashed (RIPEMD-160
// with our own implementation) and checked by go-crypto's own public-key
// code, with the validity rules go-crypto applies to any signature.

const hashRIPEMD160 = 3 // OpenPGP hash algorithm number

type rawPacket struct {
	tag  int
	body []byte
}

// messagePackets returns the packets of a message, those inside its
// compressed data packet if it has one.
func messagePackets(msg []byte) []rawPacket {
	var out []rawPacket
	for rest := msg; len(rest) > 0; {
		tag, body, r, ok := nextPacket(rest)
		if !ok {
			return out
		}
		if tag == 8 {
			inner, err := decompress(body)
			if err != nil || inner == nil {
				return nil
			}
			return messagePackets(inner)
		}
		out = append(out, rawPacket{tag, body})
		rest = r
	}
	return out
}

// byHand reports whether a one-pass signed message needs the hand path:
// signed with RIPEMD-160, or a version 3 signature packet (GnuPG verifies
// both; go-crypto parses neither).
func byHand(msg []byte) bool {
	for _, p := range messagePackets(msg) {
		switch {
		case p.tag == 4 && len(p.body) > 2 && p.body[2] == hashRIPEMD160:
			return true
		case p.tag == 2 && len(p.body) > 0 && p.body[0] == 3:
			return true
		}
	}
	return false
}

// hashes GnuPG verifies with, by OpenPGP number; MD5 (1) it refuses.
var gpgHashes = map[byte]crypto.Hash{2: crypto.SHA1, hashRIPEMD160: crypto.RIPEMD160, 8: crypto.SHA256, 9: crypto.SHA384, 10: crypto.SHA512, 11: crypto.SHA224}

func newHash(h crypto.Hash) hash.Hash {
	if h == crypto.RIPEMD160 {
		return rmd160.New()
	}
	return h.New()
}

// handSignature parses a signature packet body that go-crypto cannot
// parse as it is: go-crypto parses a stand-in it can (a v4 packet with a
// hash it knows, the same key algorithm, issuer and values), and the real
// hash function and hashed trailer are put back.
func handSignature(body []byte) (*packet.Signature, error) {
	var v4 []byte
	var real crypto.Hash
	var suffix []byte
	switch {
	case len(body) >= 19 && body[0] == 3 && body[1] == 5:
		h, ok := gpgHashes[body[16]]
		if !ok {
			return nil, fmt.Errorf("hash algorithm %d refused", body[16])
		}
		real, suffix = h, append([]byte(nil), body[2:7]...) // type and creation time
		v4 = []byte{4, body[2], body[15], 8, 0, 6, 5, 2}
		v4 = append(v4, body[3:7]...)
		v4 = append(v4, 0, 10, 9, 16)
		v4 = append(v4, body[7:15]...)
		v4 = append(v4, body[17:]...)
	case len(body) >= 4 && body[0] == 4 && body[3] == hashRIPEMD160:
		real = crypto.RIPEMD160
		v4 = append([]byte(nil), body...)
		v4[3] = 8
	default:
		return nil, errors.New("unexpected signature packet")
	}
	var framed bytes.Buffer
	framed.WriteByte(0xC0 | 2)
	writeNewLength(&framed, len(v4))
	framed.Write(v4)
	p, err := packet.Read(&framed)
	if err != nil {
		return nil, err
	}
	sig, ok := p.(*packet.Signature)
	if !ok || len(sig.HashSuffix) < 4 || sig.HashSuffix[3] != 8 || sig.IssuerKeyId == nil {
		return nil, errors.New("unexpected signature packet")
	}
	sig.Hash = real
	if suffix != nil {
		sig.HashSuffix = suffix
	} else {
		sig.HashSuffix[3] = hashRIPEMD160
	}
	return sig, nil
}

func verifyByHandGPGME(msg []byte, ring openpgp.EntityList, owner map[*openpgp.Entity]int, now time.Time) (*Verified, error) {
	pkts := messagePackets(msg)
	if len(pkts) != 3 || pkts[0].tag != 4 || pkts[1].tag != 11 || pkts[2].tag != 2 {
		return nil, reject(ReasonNotSigned, "not a signed message: expected a one-pass signature, literal data and a signature")
	}
	sig, err := handSignature(pkts[2].body)
	if err != nil {
		return nil, reject(ReasonBadSignature, "Invalid GPG signature: %v", err)
	}
	data, err := literalBody(pkts[1].body)
	if err != nil {
		return nil, reject(ReasonNotSigned, "not a signed message: %v", err)
	}
	keys := ring.KeysByIdUsage(*sig.IssuerKeyId, packet.KeyFlagSign)
	if len(keys) == 0 {
		return nil, reject(ReasonUnknownSigner, "Key not found for key ID %x in signature", *sig.IssuerKeyId)
	}
	key := keys[0]
	h := newHash(sig.Hash)
	if sig.SigType == packet.SigTypeText {
		h = openpgp.NewCanonicalTextHash(h)
	}
	h.Write(data)
	if err := verifyHandSignature(key.PublicKey, h, sig); err != nil {
		return nil, reject(ReasonBadSignature, "Invalid GPG signature: %v", err)
	}
	if err := gpgmeValidity(&key, sig, now); err != nil {
		return nil, err
	}
	return &Verified{
		Payload:            data,
		SignerFingerprint:  fingerprint(key.Entity.PrimaryKey),
		SigningKeyID:       fmt.Sprintf("%016X", key.PublicKey.KeyId),
		SigningFingerprint: fingerprint(key.PublicKey),
		KeyringIndex:       owner[key.Entity],
		Created:            sig.CreationTime,
	}, nil
}

// ripemd160DigestInfo is the DER prefix OpenPGP (RFC 4880 §5.2.2) puts
// before a RIPEMD-160 digest in an RSA signature; Go's crypto/rsa uses
// another object identifier for RIPEMD-160, so gpg's signatures would not
// verify through it.
var ripemd160DigestInfo = []byte{0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x24, 0x03, 0x02, 0x01, 0x05, 0x00, 0x04, 0x14}

// verifyHandSignature is go-crypto's PublicKey.VerifySignature, except for
// RSA with RIPEMD-160, checked with OpenPGP's DigestInfo.
func verifyHandSignature(pk *packet.PublicKey, h hash.Hash, sig *packet.Signature) error {
	rsaPub, isRSA := pk.PublicKey.(*rsa.PublicKey)
	if sig.Hash != crypto.RIPEMD160 || !isRSA || sig.RSASignature == nil {
		return pk.VerifySignature(h, sig)
	}
	if !pk.CanSign() || pk.PubKeyAlgo != sig.PubKeyAlgo {
		return errors.New("the key cannot make this signature")
	}
	h.Write(sig.HashSuffix)
	digest := h.Sum(nil)
	raw := sig.RSASignature.Bytes()
	if size := rsaPub.Size(); len(raw) < size {
		raw = append(make([]byte, size-len(raw)), raw...)
	}
	if err := rsa.VerifyPKCS1v15(rsaPub, 0, append(append([]byte(nil), ripemd160DigestInfo...), digest...), raw); err != nil {
		return errors.New("RSA verification failure")
	}
	return nil
}

// gpgmeValidity applies go-crypto's message-signature checks (unknown
// critical notations, revocation, key expiry, signature expiry) with
// GnuPG's one difference: a signature made in the future is fine.
func gpgmeValidity(key *openpgp.Key, sig *packet.Signature, now time.Time) error {
	for _, n := range sig.Notations {
		if n.IsCritical {
			return reject(ReasonBadSignature, "Invalid GPG signature: unknown critical notation: %s", n.Name)
		}
	}
	selfSig, _ := key.Entity.PrimarySelfSignature()
	bySubkey := key.PublicKey != key.Entity.PrimaryKey
	switch {
	case key.Entity.Revoked(now) || (bySubkey && key.Revoked(now)):
		return reject(ReasonRevokedKey, "Invalid GPG signature: signature made by revoked key (GnuPG reports REVKEYSIG)")
	case key.Entity.PrimaryKey.KeyExpired(selfSig, now) || (bySubkey && key.PublicKey.KeyExpired(key.SelfSignature, now)):
		return reject(ReasonExpiredKey, "Invalid GPG signature: key expired (GnuPG reports EXPKEYSIG)")
	}
	if sig.SigLifetimeSecs != nil && *sig.SigLifetimeSecs != 0 &&
		now.After(sig.CreationTime.Add(time.Duration(*sig.SigLifetimeSecs)*time.Second)) {
		return reject(ReasonExpiredSignature, "Invalid GPG signature: signature expired (GnuPG reports EXPSIG)")
	}
	return nil
}

// literalBody is the data of a literal data packet.
func literalBody(b []byte) ([]byte, error) {
	if len(b) < 2 || len(b) < 2+int(b[1])+4 {
		return nil, errors.New("short literal data packet")
	}
	return b[2+int(b[1])+4:], nil
}

func writeNewLength(w *bytes.Buffer, n int) {
	switch {
	case n < 192:
		w.WriteByte(byte(n))
	case n < 8384:
		n -= 192
		w.WriteByte(byte(n>>8) + 192)
		w.WriteByte(byte(n))
	default:
		w.Write([]byte{0xFF, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	}
}
