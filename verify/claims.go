package verify

import (
	"errors"
	"fmt"

	"github.com/kios/imgtrust/model"
)

// IdentityMismatchError is a valid signature whose claimed identity the
// requirement's signedIdentity does not accept.
type IdentityMismatchError struct {
	Claimed  string
	Rule     model.IdentityType
	Expected string
}

func (e *IdentityMismatchError) Error() string {
	return fmt.Sprintf("Signature for identity %q is not accepted: the rule (%s) expects %s", e.Claimed, e.Rule, e.Expected)
}

// checkClaims applies the digest check, then the identity check, to a
// verified payload (the same order and messages for both signature
// kinds), recording the claims in sc.
func checkClaims(sc *SignatureCheck, r *model.Requirement, img *Image, m *manifest, p *Payload) (string, error) {
	sc.ClaimedIdentity, sc.ClaimedDigest = p.DockerReference, p.ManifestDigest.String()
	// MatchesDigest always hashes with SHA-256 (policy-evaluation.md §5.3).
	sc.DigestMatches = p.ManifestDigest == m.Digest
	if !sc.DigestMatches {
		return "", reqErr(KindDigestMismatch, "Signature for digest %s does not match (the manifest is %s)", p.ManifestDigest, m.Digest)
	}
	id := r.EffectiveIdentity()
	sc.IdentityMatches = MatchIdentity(id, img.Named, p.DockerReference)
	if !sc.IdentityMatches {
		return "", &RequirementError{Kind: KindIdentityMismatch, Err: &IdentityMismatchError{Claimed: p.DockerReference, Rule: id.Type, Expected: expectedIdentity(id, img)}}
	}
	return "valid signature for " + p.DockerReference, nil
}

// identityMismatch is the identity error of a check, if it is one.
func identityMismatch(err error) (*IdentityMismatchError, bool) {
	var im *IdentityMismatchError
	ok := errors.As(err, &im)
	return im, ok
}

func expectedIdentity(id model.Identity, img *Image) string {
	switch id.Type {
	case model.ExactReference:
		return id.DockerReference
	case model.ExactRepository:
		return "repository " + id.DockerRepository
	case model.MatchRepository:
		if img.Named != nil {
			return "repository " + img.Named.Name()
		}
	case model.RemapIdentity:
		return fmt.Sprintf("%s with %s rewritten to %s", img, id.Prefix, id.SignedPrefix)
	}
	if img.Named == nil {
		return "an identity, which a dir: image does not have"
	}
	return img.Named.String()
}
