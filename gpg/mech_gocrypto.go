package gpg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// gocryptoKeyring loads one key file as containers/image v5.41+ does with
// go-crypto (the same importKeysFromBytes as for x/crypto): a binary
// ring, else the first armored block; when both fail, the binary error.
func gocryptoKeyring(data []byte) (openpgp.EntityList, error) {
	el, err := openpgp.ReadKeyRing(bytes.NewReader(data))
	if err != nil {
		armored, aerr := openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
		if aerr != nil {
			return nil, err
		}
		el = armored
	}
	return el, nil
}

// verifyGoCrypto is mechanism_openpgp.go's Verify from image v5.41 on: the
// x/crypto code shape on ProtonMail/go-crypto, without the manual
// signature-expiry check (go-crypto checks key and signature validity
// itself, at the configured time).
func verifyGoCrypto(blob []byte, keyrings [][]byte, now time.Time) (*Verified, error) {
	var ring openpgp.EntityList
	owner := map[*openpgp.Entity]int{}
	for i, data := range keyrings {
		el, err := gocryptoKeyring(data)
		if err != nil {
			return nil, reject(ReasonKeyLoad, "key %d: go-crypto: %v", i+1, err)
		}
		for _, e := range el {
			owner[e] = i
		}
		ring = append(ring, el...)
	}
	if len(ring) == 0 {
		return nil, reject(ReasonNoKeys, "No public keys imported")
	}
	md, payload, err := readSigned(blob, ring, now)
	if err != nil {
		return nil, err
	}
	if md.SignatureError != nil {
		return nil, goCryptoSignatureError(md.SignatureError, md)
	}
	if md.SignedBy == nil {
		return nil, reject(ReasonUnknownSigner, "Key not found for key ID %x in signature", md.SignedByKeyId)
	}
	return verified(md, payload, owner), nil
}

// readSigned runs go-crypto's ReadMessage at time now and reads the body,
// as the mechanism does before looking at the verdict.
func readSigned(blob []byte, ring openpgp.EntityList, now time.Time) (*openpgp.MessageDetails, []byte, error) {
	cfg := &packet.Config{Time: func() time.Time { return now }}
	md, err := openpgp.ReadMessage(bytes.NewReader(blob), ring, nil, cfg)
	if err != nil {
		return nil, nil, reject(ReasonNotSigned, "not a signed message: %v", err)
	}
	if !md.IsSigned {
		return nil, nil, reject(ReasonNotSigned, "not signed")
	}
	payload, err := io.ReadAll(io.LimitReader(md.UnverifiedBody, 64<<20))
	if err != nil {
		return nil, nil, reject(ReasonBadSignature, "go-crypto: %v", err)
	}
	return md, payload, nil
}

func verified(md *openpgp.MessageDetails, payload []byte, owner map[*openpgp.Entity]int) *Verified {
	v := &Verified{
		Payload:           payload,
		SignerFingerprint: fingerprint(md.SignedBy.Entity.PrimaryKey),
		SigningKeyID:      fmt.Sprintf("%016X", md.SignedBy.PublicKey.KeyId),
		KeyringIndex:      owner[md.SignedBy.Entity],
	}
	if md.SignedBy.PublicKey != nil {
		v.SigningFingerprint = fingerprint(md.SignedBy.PublicKey)
	}
	if md.Signature != nil {
		v.Created = md.Signature.CreationTime
	}
	return v
}

// goCryptoSignatureError names go-crypto's verdict in its own words.
func goCryptoSignatureError(err error, md *openpgp.MessageDetails) error {
	switch {
	case errors.Is(err, pgperrors.ErrKeyExpired):
		return reject(ReasonExpiredKey, "signature error: openpgp: key expired (go-crypto: the signing key is expired, or created after now)")
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		return reject(ReasonRevokedKey, "signature error: openpgp: signature made by revoked key")
	case errors.Is(err, pgperrors.ErrSignatureExpired):
		return reject(ReasonExpiredSignature, "signature error: openpgp: signature expired (go-crypto: expired, or created after now)")
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return reject(ReasonUnknownSigner, "Key not found for key ID %x in signature", md.SignedByKeyId)
	}
	return reject(ReasonBadSignature, "signature error: %v", err)
}

func isSignatureExpired(err error) bool { return errors.Is(err, pgperrors.ErrSignatureExpired) }
