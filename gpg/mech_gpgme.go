package gpg

import (
	"bytes"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// GnuPG cannot be called from a static Go binary (gpgme needs cgo), so the
// gpgme mechanism is a model: go-crypto's verification with the
// differences measured against containers/image v5.42.1 built with gpgme
// (key-facts.md, "Measured against the library itself"):
//   - import reads every armored block of a key file; a binary key
//     followed by an armored one imports nothing; unreadable input imports
//     nothing without an error;
//   - a key created in the future is not imported;
//   - a signature created in the future is accepted;
//   - a blob must hold exactly one signature;
//   - armored and cleartext signatures verify (only the registry's
//     signature API delivers them: the look-aside envelope refuses them);
//   - RIPEMD-160 signatures and version 3 signature packets verify
//     (mech_gpgme_ripemd.go), MD5 signatures do not.

// gpgmeKeyring is what gpgme_op_import keeps from one key file, and a
// note when it dropped keys the file holds.
func gpgmeKeyring(data []byte, now time.Time) (openpgp.EntityList, string) {
	if len(data) == 0 {
		return nil, ""
	}
	var el openpgp.EntityList
	switch {
	case !isArmored(data):
		el, _ = openpgp.ReadKeyRing(bytes.NewReader(data))
	case data[0]&0x80 != 0:
		return nil, " (GnuPG imports nothing from a binary key followed by an armored one)"
	default:
		for _, block := range armoredKeyBlocks(data) {
			got, _ := openpgp.ReadKeyRing(bytes.NewReader(block))
			el = append(el, got...)
		}
	}
	var kept openpgp.EntityList
	note := ""
	for _, e := range el {
		if e.PrimaryKey.CreationTime.After(now) {
			note = fmt.Sprintf(" (GnuPG refuses key %s: it was created in the future, %s)", fingerprint(e.PrimaryKey), e.PrimaryKey.CreationTime.UTC().Format(time.RFC3339))
			continue
		}
		kept = append(kept, e)
	}
	return kept, note
}

func verifyGPGME(blob []byte, keyrings [][]byte, now time.Time) (*Verified, error) {
	var ring openpgp.EntityList
	owner := map[*openpgp.Entity]int{}
	notes := ""
	for i, data := range keyrings {
		el, note := gpgmeKeyring(data, now)
		notes += note
		for _, e := range el {
			owner[e] = i
		}
		ring = append(ring, el...)
	}
	if len(ring) == 0 {
		return nil, reject(ReasonNoKeys, "No public keys imported%s", notes)
	}
	if bytes.HasPrefix(bytes.TrimLeft(blob, " \t\r\n"), []byte("-----BEGIN PGP SIGNED MESSAGE-----")) {
		return verifyCleartextGPGME(blob, ring, owner, now)
	}
	if bytes.HasPrefix(bytes.TrimLeft(blob, " \t\r\n"), []byte("-----BEGIN PGP MESSAGE-----")) {
		block, err := armor.Decode(bytes.NewReader(blob))
		if err != nil {
			return nil, reject(ReasonNotSigned, "not a signed message: %v", err)
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(block.Body); err != nil {
			return nil, reject(ReasonNotSigned, "not a signed message: %v", err)
		}
		blob = buf.Bytes()
	}
	onePass, sigs, err := countSignatures(blob)
	if err != nil {
		return nil, reject(ReasonNotSigned, "not a signed message: %v", err)
	}
	if onePass > 1 || sigs > 1 {
		return nil, reject(ReasonBadSignature, "Unexpected GPG signature count %d", max(onePass, sigs))
	}
	if byHand(blob) {
		return verifyByHandGPGME(blob, ring, owner, now)
	}
	md, payload, err := readSigned(blob, ring, now)
	if err != nil {
		return nil, err
	}
	if md.SignedBy == nil {
		return nil, reject(ReasonUnknownSigner, "Key not found for key ID %x in signature", md.SignedByKeyId)
	}
	if md.SignatureError != nil && !futureOnly(md.SignatureError, md.Signature, md.SignedBy, now) {
		return nil, gpgmeSignatureError(md.SignatureError, md)
	}
	return verified(md, payload, owner), nil
}

// futureOnly is true when go-crypto's only objection is a signature
// created after now, which GnuPG accepts. go-crypto checks signature
// expiry last, so ErrSignatureExpired means every other check passed.
func futureOnly(err error, sig *packet.Signature, key *openpgp.Key, now time.Time) bool {
	if !isSignatureExpired(err) || sig == nil || !sig.CreationTime.After(now) {
		return false
	}
	for _, s := range []*packet.Signature{sig, selfSig(key)} {
		if s != nil && s.SigLifetimeSecs != nil && *s.SigLifetimeSecs != 0 &&
			now.After(s.CreationTime.Add(time.Duration(*s.SigLifetimeSecs)*time.Second)) {
			return false
		}
	}
	return true
}

func selfSig(key *openpgp.Key) *packet.Signature {
	if key == nil || key.Entity == nil {
		return nil
	}
	s, _ := key.Entity.PrimarySelfSignature()
	return s
}

func gpgmeSignatureError(err error, md *openpgp.MessageDetails) error {
	ve := goCryptoSignatureError(err, md).(*VerifyError)
	// go-crypto's words describe go-crypto; say what GnuPG decides.
	switch ve.Reason {
	case ReasonExpiredKey:
		ve.Detail = "Invalid GPG signature: key expired (GnuPG reports EXPKEYSIG)"
	case ReasonRevokedKey:
		ve.Detail = "Invalid GPG signature: signature made by revoked key (GnuPG reports REVKEYSIG)"
	case ReasonExpiredSignature:
		ve.Detail = "Invalid GPG signature: signature expired (GnuPG reports EXPSIG)"
	default:
		ve.Detail = "Invalid GPG signature: " + ve.Detail
	}
	return ve
}

// verifyCleartextGPGME verifies a cleartext-signed blob as gpg --verify
// does; the payload is the signed text.
func verifyCleartextGPGME(blob []byte, ring openpgp.EntityList, owner map[*openpgp.Entity]int, now time.Time) (*Verified, error) {
	b, _ := clearsign.Decode(blob)
	if b == nil || b.ArmoredSignature == nil {
		return nil, reject(ReasonNotSigned, "not a signed message: malformed cleartext signature")
	}
	cfg := &packet.Config{Time: func() time.Time { return now }}
	// go-crypto returns the signature and signer also when only the
	// validity checks failed, so that futureOnly can look at them.
	sig, signer, err := openpgp.VerifyDetachedSignature(ring, bytes.NewReader(b.Bytes), b.ArmoredSignature.Body, cfg)
	if sig == nil || signer == nil {
		return nil, reject(ReasonUnknownSigner, "Invalid GPG signature: no known key made this cleartext signature: %v", err)
	}
	if err != nil {
		var key *openpgp.Key
		if sig.IssuerKeyId != nil {
			if keys := ring.KeysById(*sig.IssuerKeyId); len(keys) > 0 {
				key = &keys[0]
			}
		}
		if !futureOnly(err, sig, key, now) {
			return nil, gpgmeSignatureError(err, &openpgp.MessageDetails{SignedByKeyId: signer.PrimaryKey.KeyId})
		}
	}
	v := &Verified{Payload: b.Plaintext, SignerFingerprint: fingerprint(signer.PrimaryKey), KeyringIndex: owner[signer], Created: sig.CreationTime}
	if sig.IssuerKeyId != nil {
		v.SigningKeyID = fmt.Sprintf("%016X", *sig.IssuerKeyId)
		if keys := ring.KeysById(*sig.IssuerKeyId); len(keys) > 0 {
			v.SigningFingerprint = fingerprint(keys[0].PublicKey)
		}
	}
	return v, nil
}
