package gpg

//lint:file-ignore SA1019 the node's runtime (containers/image up to v5.39) verifies with this frozen library; running it is the most faithful model

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	// The openpgp-xcrypto mechanism is not modelled: it is run. kiOS's
	// CRI-O (containers/image up to v5.39.x, tag containers_image_openpgp)
	// verifies with this frozen, deprecated package, and every model of it
	// we tried missed one of its quirks (an ed25519 key also loses the key
	// before it in a ring; an armored rsa+ed25519 block loads nothing; MD5
	// accepted, RIPEMD-160 and unknown critical subpackets refused). The
	// package has not changed since 2021, so linking it gives the node's
	// verdicts exactly. It is used here and in no other package.
	xopenpgp "golang.org/x/crypto/openpgp" //nolint:staticcheck // SA1019: deprecated, but it is what the node runs
)

// xcryptoKeyring loads one key file as containers/image's
// importKeysFromBytes does with x/crypto: a binary ring, else the first
// armored block; when both fail, the binary parser's error.
func xcryptoKeyring(data []byte) (_ xopenpgp.EntityList, err error) {
	defer recoverXCrypto(&err)
	el, err := xopenpgp.ReadKeyRing(bytes.NewReader(data))
	if err != nil {
		armored, aerr := xopenpgp.ReadArmoredKeyRing(bytes.NewReader(data))
		if aerr != nil {
			return nil, err
		}
		el = armored
	}
	var kept xopenpgp.EntityList
	for _, e := range el {
		if e.PrimaryKey != nil {
			kept = append(kept, e)
		}
	}
	return kept, nil
}

// verifyXCrypto is mechanism_openpgp.go's Verify of image v5.38 with the
// library's clock replaced by now (x/crypto itself reads no clock while
// verifying; only the signature-expiry check does).
func verifyXCrypto(blob []byte, keyrings [][]byte, now time.Time) (_ *Verified, err error) {
	defer recoverXCrypto(&err)
	var ring xopenpgp.EntityList
	owner := map[*xopenpgp.Entity]int{}
	for i, data := range keyrings {
		el, err := xcryptoKeyring(data)
		if err != nil {
			return nil, reject(ReasonKeyLoad, "key %d: x/crypto: %v%s", i+1, err, xcryptoLoadHint(data))
		}
		for _, e := range el {
			owner[e] = i
		}
		ring = append(ring, el...)
	}
	if len(ring) == 0 {
		return nil, reject(ReasonNoKeys, "No public keys imported")
	}
	md, err := xopenpgp.ReadMessage(bytes.NewReader(blob), ring, nil, nil)
	if err != nil {
		r := ReasonNotSigned
		if msg := err.Error(); strings.Contains(msg, "nested signatures") || strings.Contains(msg, "hash not available") {
			r = ReasonBadSignature
		}
		return nil, reject(r, "x/crypto: %v", err)
	}
	if !md.IsSigned {
		return nil, reject(ReasonNotSigned, "not signed")
	}
	payload, err := io.ReadAll(io.LimitReader(md.UnverifiedBody, 64<<20))
	if err != nil {
		return nil, reject(ReasonBadSignature, "x/crypto: %v", err)
	}
	if md.SignatureError != nil {
		return nil, reject(ReasonBadSignature, "x/crypto: signature error: %v", md.SignatureError)
	}
	if md.SignedBy == nil {
		return nil, xcryptoMissingSigner(md.SignedByKeyId, keyrings, now)
	}
	var created time.Time
	switch {
	case md.Signature != nil:
		created = md.Signature.CreationTime
		if md.Signature.SigLifetimeSecs != nil {
			expiry := created.Add(time.Duration(*md.Signature.SigLifetimeSecs) * time.Second)
			if now.After(expiry) {
				return nil, reject(ReasonExpiredSignature, "Signature expired on %s", expiry.UTC())
			}
		}
	case md.SignatureV3 != nil:
		created = md.SignatureV3.CreationTime
	default:
		return nil, reject(ReasonBadSignature, "Unexpected openpgp.MessageDetails: neither Signature nor SignatureV3 is set")
	}
	return &Verified{
		Payload:            payload,
		SignerFingerprint:  strings.ToUpper(fmt.Sprintf("%x", md.SignedBy.Entity.PrimaryKey.Fingerprint)),
		SigningKeyID:       fmt.Sprintf("%016X", md.SignedBy.PublicKey.KeyId),
		SigningFingerprint: strings.ToUpper(fmt.Sprintf("%x", md.SignedBy.PublicKey.Fingerprint)),
		KeyringIndex:       owner[md.SignedBy.Entity],
		Created:            created,
	}, nil
}

// recoverXCrypto turns a panic inside the frozen library (hostile input
// it was never hardened against) into a rejection: imgtrust must not
// crash, and the runtime cannot accept such a blob either.
func recoverXCrypto(err *error) {
	if r := recover(); r != nil {
		*err = reject(ReasonBadSignature, "x/crypto panicked on this input (%v): the runtime cannot accept it", r)
	}
}

// xcryptoMissingSigner is x/crypto's "Key not found", with the reason when
// the key file does hold the signer but x/crypto did not load or use it.
func xcryptoMissingSigner(keyID uint64, keyrings [][]byte, now time.Time) error {
	base := fmt.Sprintf("Key not found for key ID %x in signature", keyID)
	for _, data := range keyrings {
		all := allEntities(data)
		for i, e := range all {
			if !entityHasKeyID(e, keyID) {
				continue
			}
			switch {
			case e.Revoked(now):
				return reject(ReasonRevokedKey, "%s (the key is revoked: x/crypto skips it)", base)
			case hasEdDSA(e):
				return reject(ReasonUnusableKey, "%s (x/crypto cannot load ed25519 keys)", base)
			case i+1 < len(all) && hasEdDSA(all[i+1]):
				return reject(ReasonUnusableKey, "%s (x/crypto loses the key just before an ed25519 key in a ring)", base)
			}
			return reject(ReasonUnusableKey, "%s (the key file holds it, but x/crypto did not load it, or not as a signing key)", base)
		}
	}
	return reject(ReasonUnknownSigner, "%s", base)
}

// xcryptoLoadHint says why a key file x/crypto refused is refused, when
// it is ed25519's doing.
func xcryptoLoadHint(data []byte) string {
	for _, e := range allEntities(data) {
		if hasEdDSA(e) {
			return " (x/crypto/openpgp has no ed25519 support; a key file holding one can fail to load as a whole)"
		}
	}
	return ""
}

// xcryptoFingerprints lists the primary fingerprints x/crypto loads from
// one key file.
func xcryptoFingerprints(data []byte) ([]string, error) {
	el, err := xcryptoKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("x/crypto: %w%s", err, xcryptoLoadHint(data))
	}
	out := make([]string, 0, len(el))
	for _, e := range el {
		out = append(out, strings.ToUpper(fmt.Sprintf("%x", e.PrimaryKey.Fingerprint)))
	}
	return out, nil
}
