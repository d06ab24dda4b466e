package model

// DefaultDockerScope is the registries.d section that applies when no
// docker scope matches.
const DefaultDockerScope = "default-docker"

// BuiltinLookaside is where containers/image reads signatures (as root)
// when registries.d names no look-aside for an image.
const BuiltinLookaside = "file:///var/lib/containers/sigstore"

// LookasideEntry is one section of registries.d: a docker scope (or
// default-docker) and where signatures for it are read and written.
type LookasideEntry struct {
	// Scope is a docker scope, or DefaultDockerScope.
	Scope string `json:"scope"`
	File  string `json:"file"`
	Pos   Pos    `json:"pos"`
	// Lookaside is read from; Sigstore is its deprecated alias.
	Lookaside string `json:"lookaside,omitempty"`
	Sigstore  string `json:"sigstore,omitempty"`
	// LookasideStaging is written to by signing hosts; SigstoreStaging is
	// its deprecated alias.
	LookasideStaging string `json:"lookaside-staging,omitempty"`
	SigstoreStaging  string `json:"sigstore-staging,omitempty"`
	// UseSigstoreAttachments is nil when unset.
	UseSigstoreAttachments *bool `json:"use-sigstore-attachments,omitempty"`
}

// ReadURL is the look-aside the runtime reads signatures from, "" if none
// (lookaside wins over its alias sigstore; empty strings count as unset).
func (e *LookasideEntry) ReadURL() string {
	if e.Lookaside != "" {
		return e.Lookaside
	}
	return e.Sigstore
}

// StagingURL is where a signing host writes signatures.
func (e *LookasideEntry) StagingURL() string {
	for _, s := range []string{e.LookasideStaging, e.SigstoreStaging, e.Lookaside, e.Sigstore} {
		if s != "" {
			return s
		}
	}
	return ""
}
