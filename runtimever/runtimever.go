package runtimever

import (
	"fmt"
	"sync"

	"golang.org/x/mod/semver"
)

// Kind says what of the runtime's configuration a feature is.
type Kind string

// Kinds of feature.
const (
	// PolicyKey is a policy.json key or requirement type: an older parser
	// refuses the whole file, so every pull on the node fails.
	PolicyKey Kind = "policy.json"
	// PolicyScope is a kind of policy.json scope an older release loads
	// but never matches.
	PolicyScope Kind = "policy.json scope"
	// RegistriesKey is a registries.d key: an older reader ignores it.
	RegistriesKey Kind = "registries.d"
	// Behaviour is a reading or verification rule.
	Behaviour Kind = "behaviour"
)

// Feature IDs, used by the checkers to ask about one row.
const (
	SignedByKeyPaths       = "signedBy.keyPaths"
	SignedByKeyData        = "signedBy.keyData"
	SigstoreSigned         = "sigstoreSigned"
	SigstoreFulcio         = "sigstoreSigned.fulcio"
	SigstoreRekorKey       = "sigstoreSigned.rekorPublicKeyPath/Data"
	SigstoreKeyPaths       = "sigstoreSigned.keyPaths/keyDatas"
	SigstoreRekorKeys      = "sigstoreSigned.rekorPublicKeyPaths/Datas"
	SigstorePKI            = "sigstoreSigned.pki"
	FulcioBuildSignerURI   = "fulcio.buildSignerURI"
	RemapIdentity          = "signedIdentity.remapIdentity"
	MatchRepoDigestOrExact = "signedIdentity.matchRepoDigestOrExact"
	ExactRepository        = "signedIdentity.exactRepository"
	WildcardScope          = "scope *.domain"
	UseSigstoreAttachments = "registries.d use-sigstore-attachments"
	LookasideKeys          = "registries.d lookaside/lookaside-staging"
	SubkeySignatures       = "subkey signatures map to the primary key"
	RegistriesDMasking     = "registries.d: every directory read, same name masks"
	RegistriesDYAMLDirs    = "registries.d: a directory named *.yaml is skipped"
	GoCryptoMechanism      = "openpgp tag uses ProtonMail/go-crypto"
)

// Feature is one row of the table.
type Feature struct {
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Since is the first release that has it; "" means no release up to
	// Checked has it (it is only on the main branch).
	Since string `json:"since,omitempty"`
	// Commit is the commit that added it, Repo where (containers/image
	// or containers/container-libs), Date its author date.
	Commit string `json:"commit,omitempty"`
	Repo   string `json:"repo,omitempty"`
	Date   string `json:"date,omitempty"`
	// Source is the library file holding the rule.
	Source string `json:"source"`
	// Before says what a release without it does.
	Before string `json:"before"`
}

// Checked is the newest release the table was checked against (its module
// source in the Go module cache, and the e2e oracle built from it).
const Checked = "v5.42.1"

// table is Features built once, for the lookups, which hand out copies of
// its entries and never the slice: the policy feature check looks up a
// feature per signedBy member, and building the table each time was 6.7
// MB of lint's 82 MB of allocations at 10,000 scopes (issue 15).
var table = sync.OnceValue(Features)

// Features returns the table, oldest feature first. It is built on each
// call: callers may keep or change their copy.
func Features() []Feature {
	const ci, cl = "containers/image", "containers/container-libs"
	return []Feature{
		// Present in the first policy.json parser (d9b1c229, 2016-05-14,
		// "Add policy configuration data structures, construction and
		// parsing"): every v5 release has them.
		{ID: SignedByKeyData, Kind: PolicyKey, Since: "v5.0.0", Commit: "d9b1c229", Repo: ci, Date: "2016-05-14",
			Source: "signature/policy_config.go", Before: "-"},
		{ID: ExactRepository, Kind: PolicyKey, Since: "v5.0.0", Commit: "d9b1c229", Repo: ci, Date: "2016-05-14",
			Source: "signature/policy_config.go", Before: "-"},
		{ID: MatchRepoDigestOrExact, Kind: PolicyKey, Since: "v5.0.0", Commit: "322058e5", Repo: ci, Date: "2016-11-07",
			Source: "signature/policy_config.go", Before: "-"},
		// "Add a signedIdentity choice "type": "remapIdentity"".
		{ID: RemapIdentity, Kind: PolicyKey, Since: "v5.9.0", Commit: "9dd2c4d9", Repo: ci, Date: "2020-08-17",
			Source: "signature/policy_config.go", Before: `refuses the file: Unknown policy reference match type "remapIdentity"`},
		// "Enable subdomain matching in policy.json": before it the docker
		// transport accepted any scope (ValidatePolicyConfigurationScope
		// returned nil) and never produced *.domain namespaces.
		{ID: WildcardScope, Kind: PolicyScope, Since: "v5.10.0", Commit: "f541c824", Repo: ci, Date: "2021-01-14",
			Source: "docker/policyconfiguration/naming.go", Before: "loads the scope and never matches it: images fall through to the transport's \"\" scope or default"},
		// "Add use-cosign-attachments to registries.d/*.yaml" (4efefd6d),
		// renamed in "Refer to sigstore instead of cosign in most places"
		// before the release.
		{ID: SigstoreSigned, Kind: PolicyKey, Since: "v5.22.0", Commit: "df1b3a7d", Repo: ci, Date: "2022-07-11",
			Source: "signature/policy_config_sigstore.go", Before: `refuses the file: Unknown policy requirement type "sigstoreSigned"`},
		{ID: UseSigstoreAttachments, Kind: RegistriesKey, Since: "v5.22.0", Commit: "df1b3a7d", Repo: ci, Date: "2022-07-11",
			Source: "docker/registries_d.go", Before: "ignores the key: sigstore attachments are never read"},
		// "Add lookaside and lookaside-staging, hide sigstore and
		// sigstore-staging": older readers know only sigstore/sigstore-staging.
		{ID: LookasideKeys, Kind: RegistriesKey, Since: "v5.22.0", Commit: "3766acbf", Repo: ci, Date: "2022-07-11",
			Source: "docker/registries_d.go", Before: "ignores the key: no look-aside, signatures are not found (use sigstore: with the same URL)"},
		// "Allow accepting multiple GPG keyrings via signedBy.keyPaths".
		{ID: SignedByKeyPaths, Kind: PolicyKey, Since: "v5.22.0", Commit: "d218ff3d", Repo: ci, Date: "2022-07-13",
			Source: "signature/policy_config.go", Before: `refuses the file: Unknown key "keyPaths"`},
		// "Add support for Fulcio and Rekor to sigstoreSigned".
		{ID: SigstoreFulcio, Kind: PolicyKey, Since: "v5.24.0", Commit: "23774f51", Repo: ci, Date: "2023-01-05",
			Source: "signature/policy_config_sigstore.go", Before: `refuses the file: Unknown key "fulcio"`},
		{ID: SigstoreRekorKey, Kind: PolicyKey, Since: "v5.24.0", Commit: "23774f51", Repo: ci, Date: "2023-01-05",
			Source: "signature/policy_config_sigstore.go", Before: `refuses the file: Unknown key "rekorPublicKeyPath"`},
		// "Add field `KeyPaths` and `KeyDatas` to `prSigstoreSigned`".
		{ID: SigstoreKeyPaths, Kind: PolicyKey, Since: "v5.33.0", Commit: "32d9aab3", Repo: ci, Date: "2024-06-20",
			Source: "signature/policy_config_sigstore.go", Before: `refuses the file: Unknown key "keyPaths"`},
		// "Support accepting multiple Rekor public keys".
		{ID: SigstoreRekorKeys, Kind: PolicyKey, Since: "v5.33.0", Commit: "7bdb48b2", Repo: ci, Date: "2024-08-16",
			Source: "signature/policy_config_sigstore.go", Before: `refuses the file: Unknown key "rekorPublicKeyPaths"`},
		// "policy.json BYOPKI signature verification API".
		{ID: SigstorePKI, Kind: PolicyKey, Since: "v5.35.0", Commit: "a1af69ad", Repo: ci, Date: "2024-09-20",
			Source: "signature/policy_config_sigstore.go", Before: `refuses the file: Unknown key "pki"`},
		// "Implement and test subkey matching in SigningMechanism".
		{ID: SubkeySignatures, Kind: Behaviour, Since: "v5.37.0", Commit: "ec83beb392", Repo: cl, Date: "2025-07-22",
			Source: "image/signature/mechanism_openpgp.go", Before: "returns the signing subkey's fingerprint: a signature by a subkey matches no trusted key"},
		// storage/pkg/configfile: user, /etc and /usr/share directories
		// all read; the same file name in a higher one masks a lower one
		// (registries-d.md §1.1; merged 2026-04-28).
		{ID: RegistriesDMasking, Kind: Behaviour, Since: "v5.40.0", Commit: "65479c7b", Repo: cl, Date: "2026-04-28",
			Source: "image/docker/registries_d.go", Before: "reads one directory: ~/.config/containers/registries.d when it exists, else /etc/containers/registries.d"},
		// Measured against the library (key-facts.md): v5.38 fails on a
		// directory named x.yaml, v5.41.2 and v5.42.1 skip it. The commit
		// is in storage/pkg/configfile; not in the snapshots read.
		{ID: RegistriesDYAMLDirs, Kind: Behaviour, Since: "v5.41.0", Repo: cl,
			Source: "storage/pkg/configfile/parse.go", Before: "fails to read registries.d: every pull fails"},
		// mechanism_openpgp.go imports github.com/ProtonMail/go-crypto
		// (container-libs PR #981, openpgp-mechanism.md §1).
		{ID: GoCryptoMechanism, Kind: Behaviour, Since: "v5.41.0", Commit: "dd64c5a3", Repo: cl, Date: "2026-07",
			Source: "image/signature/mechanism_openpgp.go", Before: "the frozen golang.org/x/crypto/openpgp verifies"},
		// Not in v5.42.1's policy_config_sigstore.go (its fulcio cases are
		// caPath, caData, oidcIssuer, subjectEmail): main branch only.
		{ID: FulcioBuildSignerURI, Kind: PolicyKey, Repo: cl,
			Source: "image/signature/policy_config_sigstore.go", Before: `refuses the file: Unknown key "buildSignerURI"`},
	}
}

// Lookup returns the row of id.
func Lookup(id string) (Feature, bool) {
	for _, f := range table() {
		if f.ID == id {
			return f, true
		}
	}
	return Feature{}, false
}

// Library is the containers/image release a node's runtime links, and how
// we know it.
type Library struct {
	// Version is a semantic version ("v5.38.0"); a pseudo-version
	// ("v5.39.3-0.2026…") counts as the release before it.
	Version string `json:"version"`
	// Assumed is set when the runtime binary gave no version and Version
	// is imgtrust's guess.
	Assumed bool `json:"assumed,omitempty"`
	// Basis says where Version comes from, for messages.
	Basis string `json:"basis"`
}

// DefaultAssumed is the release assumed when no binary says: what CRI-O's
// main branch vendors (cri-o-and-tools.md: go.podman.io/image/v5 v5.38.0),
// the runtime kiOS ships.
const DefaultAssumed = "v5.38.0"

// Known is a library whose version was read (from the runtime binary or
// --runtime-version).
func Known(version, from string) Library {
	return Library{Version: version, Basis: fmt.Sprintf("containers/image %s (%s)", version, from)}
}

// Assume is the library assumed when the version is unknown: assumed is a
// release, why says what the guess rests on.
func Assume(assumed, why string) Library {
	return Library{Version: assumed, Assumed: true,
		Basis: fmt.Sprintf("the runtime's containers/image version is unknown (%s): assumed %s", why, assumed)}
}

// Has reports whether the library has feature id. An unknown id is
// reported as present: the table decides nothing it does not list.
func (l Library) Has(id string) bool {
	f, ok := Lookup(id)
	if !ok {
		return true
	}
	return l.HasFeature(f)
}

// HasFeature reports whether the library has f.
func (l Library) HasFeature(f Feature) bool {
	if !l.valid() {
		return true
	}
	if f.Since == "" {
		// Only on the main branch: no release up to Checked has it; of a
		// newer one the table cannot tell, so it decides nothing.
		return semver.Compare(l.release(), Checked) > 0
	}
	return semver.Compare(l.release(), f.Since) >= 0
}

func (l Library) valid() bool { return semver.IsValid(l.Version) }

// release is the version as a release: a Go pseudo-version
// vX.Y.(Z+1)-0.date-hash is built on top of vX.Y.Z, so it has only what
// vX.Y.Z has (and maybe more, which the table cannot tell).
func (l Library) release() string {
	v := l.Version
	pre := semver.Prerelease(v)
	if pre == "" {
		return semver.Canonical(v)
	}
	base := semver.Canonical(v[:len(v)-len(pre)-len(semver.Build(v))])
	// A pseudo-version's patch is one more than its base release's.
	var maj, min, patch int
	if _, err := fmt.Sscanf(base, "v%d.%d.%d", &maj, &min, &patch); err == nil && patch > 0 {
		return fmt.Sprintf("v%d.%d.%d", maj, min, patch-1)
	}
	return base
}

// Lacks lists the library's missing features among ids, in table order.
func (l Library) Lacks(ids ...string) []Feature {
	var out []Feature
	for _, f := range table() {
		for _, id := range ids {
			if f.ID == id && !l.HasFeature(f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// SinceText says which release added f, for messages.
func (f Feature) SinceText() string {
	if f.Since == "" {
		return "no release up to " + Checked + " (main branch only)"
	}
	if f.Commit == "" {
		return f.Since
	}
	return fmt.Sprintf("%s (%s %s)", f.Since, f.Repo, f.Commit)
}
