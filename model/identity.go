package model

// IdentityType is the "type" of a signedIdentity / baseLayerIdentity.
type IdentityType string

const (
	MatchExact             IdentityType = "matchExact"
	MatchRepoDigestOrExact IdentityType = "matchRepoDigestOrExact"
	MatchRepository        IdentityType = "matchRepository"
	ExactReference         IdentityType = "exactReference"
	ExactRepository        IdentityType = "exactRepository"
	RemapIdentity          IdentityType = "remapIdentity"
)

// IdentityTypes lists every identity type, in the order the TUI offers them.
var IdentityTypes = []IdentityType{MatchRepoDigestOrExact, MatchRepository, MatchExact, ExactReference, ExactRepository, RemapIdentity}

// Identity says which docker reference a signature must claim.
type Identity struct {
	Type             IdentityType
	DockerReference  string // exactReference
	DockerRepository string // exactRepository
	Prefix           string // remapIdentity
	SignedPrefix     string // remapIdentity
	Pos              Pos
}

// Explain returns a one-line explanation of the identity type for people.
func (t IdentityType) Explain() string {
	switch t {
	case MatchExact:
		return "the signature must name exactly the pulled tag or digest"
	case MatchRepoDigestOrExact:
		return "by tag: the exact tag must be signed; by digest: any signature for the repository counts"
	case MatchRepository:
		return "any signature for the same repository counts, whatever the tag"
	case ExactReference:
		return "the signature must name one fixed reference, whatever is pulled"
	case ExactRepository:
		return "the signature must name one fixed repository, whatever is pulled"
	case RemapIdentity:
		return "rewrite prefix to signedPrefix (mirrors), then match by tag or digest"
	}
	return "unknown identity type"
}
