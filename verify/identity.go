package verify

import (
	"strings"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/model"
)

// MatchIdentity applies a signedIdentity rule to the image identity
// (nil for dir: images, which have none) and the identity a signature
// claims, as policy_reference_match.go does.
func MatchIdentity(id model.Identity, image reference.Named, signed string) bool {
	s, err := reference.ParseNormalizedNamed(signed)
	if err != nil {
		return false
	}
	switch id.Type {
	case model.MatchExact:
		return image != nil && hasTagOrDigest(image) && hasTagOrDigest(s) && s.String() == image.String()
	case model.MatchRepoDigestOrExact:
		return image != nil && repoDigestOrExact(image, s)
	case model.MatchRepository:
		return image != nil && s.Name() == image.Name()
	case model.ExactReference:
		r, err := reference.ParseNormalizedNamed(id.DockerReference)
		return err == nil && hasTagOrDigest(r) && hasTagOrDigest(s) && s.String() == r.String()
	case model.ExactRepository:
		r, err := reference.ParseNormalizedNamed(id.DockerRepository)
		return err == nil && s.Name() == r.Name()
	case model.RemapIdentity:
		if image == nil {
			return false
		}
		remapped := image
		if image.Name() == id.Prefix || strings.HasPrefix(image.Name(), id.Prefix+"/") {
			r, err := reference.ParseNamed(strings.Replace(image.String(), id.Prefix, id.SignedPrefix, 1))
			if err != nil {
				return false
			}
			remapped = r
		}
		return repoDigestOrExact(remapped, s)
	}
	return false
}

func hasTagOrDigest(r reference.Named) bool {
	_, t := r.(reference.Tagged)
	_, d := r.(reference.Digested)
	return t || d
}

func repoDigestOrExact(image, s reference.Named) bool {
	if !hasTagOrDigest(s) {
		return false
	}
	if _, tagged := image.(reference.Tagged); tagged {
		return s.String() == image.String()
	}
	if _, digested := image.(reference.Digested); digested {
		return s.Name() == image.Name()
	}
	return false
}
