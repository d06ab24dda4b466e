package gpg

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"hash"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/kios/imgtrust/gpg/internal/rmd160"
)

// GnuPG verifies RIPEMD-160 signatures; go-crypto refuses to parse them
// (it knows no hash number 3). For the gpgme model such a message is
// taken apart here: the signature packet is parsed by go-crypto with its
// hash number swapped for one it knows, then given the real hash back,
// hashed with our RIPEMD-160 and checked by go-crypto's own public-key
// code and the validity rules go-crypto applies to any message signature.

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

// usesRIPEMD160 reports whether a one-pass signed message is signed with
// RIPEMD-160.
func usesRIPEMD160(msg []byte) bool {
	for _, p := range messagePackets(msg) {
		if p.tag == 4 && len(p.body) > 2 {
			return p.body[2] == hashRIPEMD160
		}
	}
	return false
}

func verifyRIPEMD160GPGME(msg []byte, ring openpgp.EntityList, owner map[*openpgp.Entity]int, now time.Time) (*Verified, error) {
	pkts := messagePackets(msg)
	if len(pkts) != 3 || pkts[0].tag != 4 || pkts[1].tag != 11 || pkts[2].tag != 2 {
		return nil, reject(ReasonNotSigned, "not a signed message: expected a one-pass signature, literal data and a signature")
	}
	literal, sigBody := pkts[1].body, append([]byte(nil), pkts[2].body...)
	if len(sigBody) < 4 || sigBody[0] != 4 || sigBody[3] != hashRIPEMD160 {
		return nil, reject(ReasonBadSignature, "Invalid GPG signature: the one-pass and signature packets disagree")
	}
	sigBody[3] = 8 // SHA-256, only so that go-crypto parses the packet
	var framed bytes.Buffer
	framed.WriteByte(0xC0 | 2)
	writeNewLength(&framed, len(sigBody))
	framed.Write(sigBody)
	p, err := packet.Read(&framed)
	if err != nil {
		return nil, reject(ReasonBadSignature, "Invalid GPG signature: %v", err)
	}
	sig, ok := p.(*packet.Signature)
	if !ok || len(sig.HashSuffix) < 4 || sig.HashSuffix[3] != 8 || sig.IssuerKeyId == nil {
		return nil, reject(ReasonBadSignature, "Invalid GPG signature: unexpected signature packet")
	}
	sig.Hash, sig.HashSuffix[3] = crypto.RIPEMD160, hashRIPEMD160
	data, err := literalBody(literal)
	if err != nil {
		return nil, reject(ReasonNotSigned, "not a signed message: %v", err)
	}
	keys := ring.KeysByIdUsage(*sig.IssuerKeyId, packet.KeyFlagSign)
	if len(keys) == 0 {
		return nil, reject(ReasonUnknownSigner, "Key not found for key ID %x in signature", *sig.IssuerKeyId)
	}
	key := keys[0]
	var h hash.Hash = rmd160.New()
	if sig.SigType == packet.SigTypeText {
		h = openpgp.NewCanonicalTextHash(h)
	}
	h.Write(data)
	if err := key.PublicKey.VerifySignature(h, sig); err != nil {
		return nil, reject(ReasonBadSignature, "Invalid GPG signature: %v", err)
	}
	if err := gpgmeValidity(&key, sig, now); err != nil {
		return nil, err
	}
	return &Verified{
		Payload:           data,
		SignerFingerprint: fingerprint(key.Entity.PrimaryKey),
		SigningKeyID:      fmt.Sprintf("%016X", key.PublicKey.KeyId),
		KeyringIndex:      owner[key.Entity],
		Created:           sig.CreationTime,
	}, nil
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
