package model

import (
	"fmt"
	"strings"
)

// KeyLabeler names a key source for people, e.g. "3A5C…E1F0
// (release@example.com)". It may return "" to fall back to the path.
type KeyLabeler func(KeyRef) string

// Describe says in plain words what a requirement demands, e.g. "signed
// by 1 key: 3A5C…E1F0 (release@example.com), identity must match the
// repository".
func (r *Requirement) Describe(label KeyLabeler) string {
	switch r.Type {
	case InsecureAcceptAnything:
		return "accept anything, signed or not"
	case Reject:
		return "reject every image"
	case SignedBaseLayer:
		return "signed base layer (not implemented by the runtime: rejects every image)"
	case SignedBy, SigstoreSigned:
		kind := "signed by"
		if r.Type == SigstoreSigned {
			kind = "sigstore-signed by"
		}
		var keys []string
		for _, k := range r.KeyRefs() {
			name := ""
			if label != nil {
				name = label(k)
			}
			if name == "" {
				if k.Inline() {
					name = "inline key data"
				} else {
					name = k.Path
				}
			}
			keys = append(keys, name)
		}
		var what string
		switch {
		case r.Fulcio != nil && r.Fulcio.SubjectEmail == "" && r.Fulcio.BuildSignerURI != "":
			what = fmt.Sprintf("a Fulcio certificate of the build signer %s from %s", r.Fulcio.BuildSignerURI, r.Fulcio.OIDCIssuer)
		case r.Fulcio != nil:
			what = fmt.Sprintf("a Fulcio certificate for %s from %s", r.Fulcio.SubjectEmail, r.Fulcio.OIDCIssuer)
		case r.PKI != nil:
			what = "a certificate from the configured PKI"
		case len(keys) == 1:
			what = "1 key: " + keys[0]
		default:
			what = fmt.Sprintf("%d keys: %s", len(keys), strings.Join(keys, ", "))
		}
		return fmt.Sprintf("%s %s, %s", kind, what, r.EffectiveIdentity().Describe())
	}
	return fmt.Sprintf("unknown requirement %q", string(r.Type))
}

// Describe says what the identity rule demands of a signature.
func (id Identity) Describe() string {
	switch id.Type {
	case MatchExact:
		return "identity must name exactly the pulled tag or digest"
	case MatchRepoDigestOrExact:
		return "identity must match the tag (or, by digest, the repository)"
	case MatchRepository:
		return "identity must match the repository"
	case ExactReference:
		return "identity must be exactly " + id.DockerReference
	case ExactRepository:
		return "identity must be in repository " + id.DockerRepository
	case RemapIdentity:
		return fmt.Sprintf("identity matched after rewriting %s to %s", id.Prefix, id.SignedPrefix)
	}
	return fmt.Sprintf("unknown identity rule %q", string(id.Type))
}

// DescribeList summarises a requirement list; all must hold.
func (rs Requirements) DescribeList(label KeyLabeler) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.Describe(label)
	}
	return strings.Join(parts, "; and ")
}
