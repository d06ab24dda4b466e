package policyio

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// LookasideExplanation says which look-aside an image's signatures are
// read from and at which URLs, for `lookaside explain` and the TUI.
type LookasideExplanation struct {
	Ref reference.Named
	LookasideMatch
	Digest digest.Digest
	// Placeholder is set when no digest was known: the URLs then show the
	// layout with a zero digest, not the image's real ones.
	Placeholder bool
	URLs        []string
}

// Explain resolves image (a docker reference, "docker://" allowed) to its
// look-aside and the first count signature URLs; dg overrides the digest
// ("" takes it from the reference, or a placeholder).
func (rd *RegistriesD) Explain(image string, dg digest.Digest, count int) (*LookasideExplanation, error) {
	ref, err := reference.ParseNormalizedNamed(strings.TrimPrefix(image, "docker://"))
	if err != nil {
		return nil, fmt.Errorf("%q is not an image reference: %w", image, err)
	}
	ex := &LookasideExplanation{Ref: reference.TagNameOnly(ref), Digest: dg}
	if dg == "" {
		if dref, ok := ex.Ref.(reference.Digested); ok {
			ex.Digest = dref.Digest()
		} else {
			ex.Digest = digest.Digest("sha256:" + strings.Repeat("0", 64))
			ex.Placeholder = true
		}
	}
	ex.LookasideMatch = rd.LookasideFor(ex.Ref)
	for n := 1; n <= max(count, 1); n++ {
		u, err := SignatureURL(ex.BaseURL, ex.Ref, ex.Digest, n)
		if err != nil {
			return nil, err
		}
		ex.URLs = append(ex.URLs, u)
	}
	return ex, nil
}
