package gpg

import (
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Mechanism is the OpenPGP implementation the node's runtime verifies with.
type Mechanism string

const (
	// MechXCrypto: containers_image_openpgp builds up to image v5.39.x
	// (kiOS CRI-O): the frozen golang.org/x/crypto/openpgp.
	MechXCrypto Mechanism = "openpgp-xcrypto"
	// MechGoCrypto: containers_image_openpgp builds from v5.41:
	// ProtonMail/go-crypto.
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
	// SigningFingerprint is that key's own upper-case hex fingerprint
	// ("" when not known): what containers/image before v5.37 returned
	// instead of the primary's, so that a subkey's signature matched no
	// trusted key (runtimever.SubkeySignatures).
	SigningFingerprint string
	// KeyringIndex says which keyring held the signer.
	KeyringIndex int
	Created      time.Time
}

// RuntimeFingerprints lists the primary fingerprints of the keys the
// mechanism loads from one key file (keyPath, a keyPaths entry or
// keyData), as containers/image imports them, or the error that makes
// the requirement fail. An empty list with no error means "No public keys
// imported" when it is the only key file.
func RuntimeFingerprints(data []byte, mech Mechanism, now time.Time) ([]string, error) {
	if mech == MechXCrypto {
		return xcryptoFingerprints(data)
	}
	var el openpgp.EntityList
	var err error
	if mech == MechGPGME {
		el, _ = gpgmeKeyring(data, now)
	} else {
		el, err = gocryptoKeyring(data)
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(el))
	for _, e := range el {
		out = append(out, fingerprint(e.PrimaryKey))
	}
	return out, nil
}

// VerifySignature checks a simple-signing signature blob against the key
// files of one requirement (each element the content of one keyPath /
// keyPaths entry / keyData) as mechanism mech would, at time now.
//
// openpgp-xcrypto runs golang.org/x/crypto/openpgp and openpgp-gocrypto
// runs ProtonMail/go-crypto, each exactly as containers/image's
// mechanism_openpgp.go calls them; gpgme is modelled on go-crypto with
// GnuPG's measured differences (see mech_gpgme.go).
func VerifySignature(blob []byte, keyrings [][]byte, mech Mechanism, now time.Time) (*Verified, error) {
	switch mech {
	case MechXCrypto:
		return verifyXCrypto(blob, keyrings, now)
	case MechGPGME:
		return verifyGPGME(blob, keyrings, now)
	}
	return verifyGoCrypto(blob, keyrings, now)
}

// allEntities reads every key it can find in data with go-crypto: a
// binary ring, or every armored public key block. It is for explaining
// verdicts, never for reaching them.
func allEntities(data []byte) openpgp.EntityList {
	if !isArmored(data) {
		el, _ := openpgp.ReadKeyRing(bytes.NewReader(data))
		return el
	}
	var out openpgp.EntityList
	for _, block := range armoredKeyBlocks(data) {
		el, _ := openpgp.ReadKeyRing(bytes.NewReader(block))
		out = append(out, el...)
	}
	return out
}

// armoredKeyBlocks decodes every armored public key block of data; a
// block that does not decode is left out.
func armoredKeyBlocks(data []byte) [][]byte {
	const begin = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
	var out [][]byte
	for rest := data; ; {
		i := bytes.Index(rest, []byte(begin))
		if i < 0 {
			return out
		}
		rest = rest[i:]
		if block, err := armor.Decode(bytes.NewReader(rest)); err == nil {
			if body, err := io.ReadAll(io.LimitReader(block.Body, maxDecompressed)); err == nil {
				out = append(out, body)
			}
		}
		rest = rest[len(begin):]
	}
}

func entityHasKeyID(e *openpgp.Entity, id uint64) bool {
	if e.PrimaryKey != nil && e.PrimaryKey.KeyId == id {
		return true
	}
	for _, sk := range e.Subkeys {
		if sk.PublicKey != nil && sk.PublicKey.KeyId == id {
			return true
		}
	}
	return false
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
	case 3:
		r = bzip2.NewReader(bytes.NewReader(body[1:]))
	default:
		// Unknown algorithms: counting is best effort; the verifier decides.
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
