package gpg

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Mechanism is the OpenPGP implementation the node's runtime verifies with.
type Mechanism string

const (
	// MechXCrypto: containers_image_openpgp builds up to image v5.40 (kiOS
	// CRI-O): the frozen golang.org/x/crypto/openpgp.
	MechXCrypto Mechanism = "openpgp-xcrypto"
	// MechGoCrypto: containers_image_openpgp builds after v5.40.
	MechGoCrypto Mechanism = "openpgp-gocrypto"
	// MechGPGME: default (distribution) builds, through GnuPG.
	MechGPGME Mechanism = "gpgme"
)

// Mechanisms lists the mechanisms imgtrust models.
var Mechanisms = []Mechanism{MechXCrypto, MechGoCrypto, MechGPGME}

// ParseMechanism accepts a mechanism name.
func ParseMechanism(s string) (Mechanism, error) {
	for _, m := range Mechanisms {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown mechanism %q (want openpgp-xcrypto, openpgp-gocrypto, gpgme or auto)", s)
}

// Reason classifies why a signature was not accepted.
type Reason string

const (
	ReasonUnknownSigner    Reason = "unknown-signer"
	ReasonUnusableKey      Reason = "unusable-key"
	ReasonExpiredKey       Reason = "expired-key"
	ReasonRevokedKey       Reason = "revoked-key"
	ReasonExpiredSignature Reason = "expired-signature"
	ReasonBadSignature     Reason = "bad-signature"
	ReasonNotSigned        Reason = "not-signed-message"
	ReasonNoKeys           Reason = "no-keys"
	ReasonKeyLoad          Reason = "key-load"
)

// VerifyError is a rejected signature, with the reason and what the
// runtime itself would say.
type VerifyError struct {
	Reason Reason
	Detail string
}

func (e *VerifyError) Error() string { return e.Detail }

func reject(r Reason, format string, a ...any) *VerifyError {
	return &VerifyError{Reason: r, Detail: fmt.Sprintf(format, a...)}
}

// Verified is an accepted signature.
type Verified struct {
	Payload []byte
	// SignerFingerprint is the upper-case hex fingerprint of the signer's
	// primary key (also for subkey signatures), as the runtime returns it.
	SignerFingerprint string
	// SigningKeyID is the key ID of the key (maybe a subkey) that signed.
	SigningKeyID string
	// KeyringIndex says which keyring held the signer.
	KeyringIndex int
	Created      time.Time
}

// LoadRuntimeKeyring loads key files the way containers/image does
// (importKeysFromBytes): binary rings, or else the first armored block
// only. Under MechXCrypto keys with EdDSA parts are dropped, as x/crypto
// cannot parse them; a file holding only such keys is a load error.
func LoadRuntimeKeyring(data []byte, mech Mechanism) (openpgp.EntityList, error) {
	if len(data) == 0 {
		return nil, nil
	}
	el, err := openpgp.ReadKeyRing(bytes.NewReader(data))
	if err != nil {
		armored, aerr := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
		if aerr != nil {
			return nil, fmt.Errorf("the runtime cannot read this key file: %w", err)
		}
		el = armored
	}
	if mech != MechXCrypto {
		return el, nil
	}
	var kept openpgp.EntityList
	for _, e := range el {
		if !hasEdDSA(e) {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 && len(el) > 0 {
		return nil, fmt.Errorf("the runtime cannot use this key: x/crypto/openpgp has no EdDSA (ed25519) support (openpgp: unsupported feature: public key type: 22)")
	}
	return kept, nil
}

func hasEdDSA(e *openpgp.Entity) bool {
	if isEdDSA(e.PrimaryKey.PubKeyAlgo) {
		return true
	}
	for _, sk := range e.Subkeys {
		if isEdDSA(sk.PublicKey.PubKeyAlgo) || (sk.PublicKey.PubKeyAlgo == packet.PubKeyAlgoECDH && isCurve25519(sk.PublicKey)) {
			return true
		}
	}
	return false
}

func isCurve25519(pk *packet.PublicKey) bool {
	bits, err := pk.BitLength()
	return err == nil && bits == 255
}

// VerifySignature checks a simple-signing signature blob against the key
// files of one requirement (each element the content of one keyPath /
// keyPaths entry / keyData) as mechanism mech would, at time now.
func VerifySignature(blob []byte, keyrings [][]byte, mech Mechanism, now time.Time) (*Verified, error) {
	var ring openpgp.EntityList
	owner := map[*openpgp.Entity]int{}
	for i, data := range keyrings {
		el, err := LoadRuntimeKeyring(data, mech)
		if err != nil {
			return nil, reject(ReasonKeyLoad, "key %d: %v", i+1, err)
		}
		for _, e := range el {
			owner[e] = i
		}
		ring = append(ring, el...)
	}
	if len(ring) == 0 {
		return nil, reject(ReasonNoKeys, "No public keys imported")
	}
	onePass, sigs, err := countSignatures(blob)
	if err != nil {
		return nil, reject(ReasonNotSigned, "not a signed message: %v", err)
	}
	switch {
	case onePass > 1 && mech == MechXCrypto:
		return nil, reject(ReasonBadSignature, "openpgp: unsupported feature: nested signatures (the blob holds %d signatures; the runtime accepts exactly one)", onePass)
	case (onePass > 1 || sigs > 1) && mech == MechGPGME:
		return nil, reject(ReasonBadSignature, "Unexpected GPG signature count %d", max(onePass, sigs))
	}
	var cfg packet.Config
	cfg.Time = func() time.Time { return now }
	md, err := openpgp.ReadMessage(bytes.NewReader(blob), ring, nil, &cfg)
	if err != nil {
		return nil, reject(ReasonNotSigned, "not a signed message: %v", err)
	}
	if !md.IsSigned {
		return nil, reject(ReasonNotSigned, "not signed")
	}
	payload, err := io.ReadAll(io.LimitReader(md.UnverifiedBody, 64<<20))
	if err != nil {
		return nil, classify(err, md, mech, now)
	}
	if md.SignedBy == nil {
		return nil, reject(ReasonUnknownSigner, "Key not found for key ID %x in signature", md.SignedByKeyId)
	}
	if md.SignatureError != nil {
		if verr := classify(md.SignatureError, md, mech, now); verr != nil {
			return nil, verr
		}
	}
	if md.Signature == nil {
		return nil, reject(ReasonBadSignature, "signature packet missing")
	}
	return &Verified{
		Payload:           payload,
		SignerFingerprint: fingerprint(md.SignedBy.Entity.PrimaryKey),
		SigningKeyID:      fmt.Sprintf("%016X", md.SignedBy.PublicKey.KeyId),
		KeyringIndex:      owner[md.SignedBy.Entity],
		Created:           md.Signature.CreationTime,
	}, nil
}

// classify maps go-crypto's verdict to the mechanism's. Returns nil when
// the mechanism accepts what go-crypto refused (x/crypto does not check
// key expiry).
func classify(err error, md *openpgp.MessageDetails, mech Mechanism, now time.Time) error {
	switch {
	case errors.Is(err, pgperrors.ErrKeyExpired):
		if mech == MechXCrypto {
			// x/crypto never looks at key validity periods, only at the
			// signature's own expiry (checked by hand there).
			// go-crypto's SigExpired is also true for a signature made in
			// the future, which x/crypto accepts (and which has no
			// lifetime to print).
			if sig := md.Signature; sig != nil && sig.SigLifetimeSecs != nil && *sig.SigLifetimeSecs != 0 {
				if expiry := sig.CreationTime.Add(time.Duration(*sig.SigLifetimeSecs) * time.Second); now.After(expiry) {
					return reject(ReasonExpiredSignature, "Signature expired on %s", expiry.UTC())
				}
			}
			return nil
		}
		return reject(ReasonExpiredKey, "signature error: openpgp: key expired (the signing key is expired; this runtime rejects its signatures)")
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		if mech == MechXCrypto {
			return reject(ReasonRevokedKey, "Key not found for key ID %x in signature (the key is revoked)", md.SignedByKeyId)
		}
		return reject(ReasonRevokedKey, "signature error: openpgp: signature made by revoked key")
	case errors.Is(err, pgperrors.ErrSignatureExpired):
		return reject(ReasonExpiredSignature, "signature error: openpgp: signature expired")
	}
	if errors.Is(err, pgperrors.ErrUnknownIssuer) {
		return reject(ReasonUnknownSigner, "Key not found for key ID %x in signature", md.SignedByKeyId)
	}
	return reject(ReasonBadSignature, "signature error: %v", err)
}

// countSignatures counts one-pass signature packets and signature packets
// in a message, looking inside compressed data.
func countSignatures(blob []byte) (onePass, sigs int, err error) {
	data := blob
	for depth := 0; depth < 4; depth++ {
		compressed := false
		for rest := data; len(rest) > 0; {
			tag, body, r, ok := nextPacket(rest)
			if !ok {
				if onePass+sigs == 0 && len(data) == len(blob) && depth == 0 {
					return 0, 0, errors.New("openpgp: invalid data: tag byte does not have MSB set")
				}
				break
			}
			switch tag {
			case 4:
				onePass++
			case 2:
				sigs++
			case 8:
				inner, derr := decompress(body)
				if derr != nil {
					return 0, 0, derr
				}
				data, compressed = inner, true
			}
			rest = r
		}
		if !compressed {
			return onePass, sigs, nil
		}
	}
	return onePass, sigs, nil
}

// maxDecompressed bounds what a signature blob may expand to.
const maxDecompressed = 16 << 20

func decompress(body []byte) ([]byte, error) {
	if len(body) == 0 {
		return nil, errors.New("empty compressed packet")
	}
	var r io.Reader
	switch body[0] {
	case 0:
		return body[1:], nil
	case 1:
		r = flate.NewReader(bytes.NewReader(body[1:]))
	case 2:
		zr, err := zlib.NewReader(bytes.NewReader(body[1:]))
		if err != nil {
			return nil, err
		}
		r = zr
	default:
		// bzip2 and others: counting is best effort; the verifier decides.
		return nil, nil
	}
	return io.ReadAll(io.LimitReader(r, maxDecompressed))
}

// Sign makes a simple-signing signature of payload with entity's signing
// key, as `gpg --sign` (and skopeo) produce: a one-pass signed binary
// message. Used by the demo and by tests; imgtrust never stores private
// keys.
func Sign(entity *openpgp.Entity, payload []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := openpgp.Sign(&buf, entity, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if _, err := w.Write(payload); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
