package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// Options configure a Verifier.
type Options struct {
	Paths policyio.Paths
	// Policy to evaluate; nil loads Paths.Policy. The TUI passes its
	// staged policy here.
	Policy *model.Policy
	// PolicyLabel says which policy was used ("saved", "staged").
	PolicyLabel string
	// Registries is the look-aside configuration; nil loads Paths.RegistriesD.
	Registries *policyio.RegistriesD
	// Mechanism of the node's runtime; "" detects it under Paths.Root.
	Mechanism                 gpg.Mechanism
	TLSVerify                 bool
	AuthFile, Creds, Platform string
	// Timeout bounds every network step (default 30 s).
	Timeout time.Duration
	Now     func() time.Time
}

// Verifier checks images against one node configuration. It holds no
// global state; one Verifier may check many images concurrently.
type Verifier struct {
	opts      Options
	detection gpg.Detection
}

// InvalidConfigError means the policy or registries.d is invalid: the
// runtime would fail every pull (exit 2 in the CLI).
type InvalidConfigError struct{ Diags model.Diagnostics }

func (e *InvalidConfigError) Error() string {
	return fmt.Sprintf("the node's configuration is invalid (%d error(s)): the runtime fails every pull; run imgtrust lint", e.Diags.Count(model.Error))
}

// New prepares a Verifier, loading the policy and registries.d when the
// options do not carry them.
func New(opts Options) (*Verifier, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Policy == nil {
		pf, err := policyio.LoadPolicy(opts.Paths.Policy)
		if err != nil {
			return nil, err
		}
		if pf.Diags.HasErrors() {
			return nil, &InvalidConfigError{Diags: pf.Diags}
		}
		opts.Policy = pf.Policy
		if opts.PolicyLabel == "" {
			opts.PolicyLabel = "saved"
		}
	}
	v := &Verifier{opts: opts}
	v.detection = gpg.DetectMechanism(opts.Paths.Root)
	if opts.Mechanism != "" {
		// The caller's mechanism wins; the binary's containers/image
		// version, if readable, still decides how registries.d is read.
		v.detection = gpg.Detection{Mechanism: opts.Mechanism, Reason: "chosen by the caller", Binary: v.detection.Binary, ImageVersion: v.detection.ImageVersion}
	}
	if opts.Registries == nil {
		skip, basis := v.detection.SkipsYAMLDirectories()
		rd, diags := policyio.LoadRegistriesDFor(opts.Paths.RegistriesD, policyio.RegistriesRuntime{SkipYAMLDirectories: skip, Basis: basis})
		if diags.HasErrors() {
			return nil, &InvalidConfigError{Diags: diags}
		}
		v.opts.Registries = rd
	}
	return v, nil
}

// Result is the verdict for one image and how it was reached.
type Result struct {
	Image    string `json:"image"`
	Accepted bool   `json:"accepted"`
	// Incomplete is set when a requirement could not be checked (exit 3).
	Incomplete bool   `json:"incomplete,omitempty"`
	Summary    string `json:"summary"`
	Trace      Trace  `json:"trace"`
}

// Trace records every step for people and scripts.
type Trace struct {
	Reference      string                   `json:"reference"`
	Transport      string                   `json:"transport"`
	Notes          []string                 `json:"notes,omitempty"`
	Policy         string                   `json:"policy"`
	Mechanism      gpg.Detection            `json:"mechanism"`
	Scope          Choice                   `json:"scope"`
	ManifestDigest string                   `json:"manifest_digest,omitempty"`
	IndexDigest    string                   `json:"index_digest,omitempty"`
	Platform       string                   `json:"platform,omitempty"`
	Lookaside      *policyio.LookasideMatch `json:"lookaside,omitempty"`
	Signatures     []string                 `json:"signatures_found"`
	Requirements   []RequirementResult      `json:"requirements"`
	HTTPRequests   int64                    `json:"http_requests"`
}

// PullStep is the RequirementResult.Type of the step after the policy:
// the runtime reads the signatures to copy them even when the policy
// needs none.
const PullStep = "pull"

// RequirementResult is one requirement's verdict.
type RequirementResult struct {
	Index       int              `json:"index"`
	Type        string           `json:"type"`
	Description string           `json:"description"`
	Accepted    bool             `json:"accepted"`
	Reason      string           `json:"reason"`
	Signatures  []SignatureCheck `json:"signatures,omitempty"`
}

// SignatureCheck is what one signature proved under one requirement.
type SignatureCheck struct {
	Source          string `json:"source"`
	Accepted        bool   `json:"accepted"`
	Signer          string `json:"signer,omitempty"`
	KeyFile         string `json:"key_file,omitempty"`
	ClaimedIdentity string `json:"claimed_identity,omitempty"`
	ClaimedDigest   string `json:"claimed_digest,omitempty"`
	DigestMatches   bool   `json:"digest_matches"`
	IdentityMatches bool   `json:"identity_matches"`
	Reason          string `json:"reason"`
}

// Verify decides for one image. The error is returned only when the
// image reference is unusable (*UnsupportedError or a parse error) or the
// configuration the runtime uses for it is invalid (*InvalidConfigError:
// a look-aside URL it cannot read); a check that could not finish gives a
// Result with Incomplete set.
func (v *Verifier) Verify(ctx context.Context, image string) (*Result, error) {
	img, err := ParseImage(image)
	if err != nil {
		return nil, err
	}
	res := &Result{Image: img.String()}
	tr := &res.Trace
	tr.Reference, tr.Transport, tr.Notes = img.String(), img.Transport, img.Notes
	tr.Policy, tr.Mechanism = v.opts.PolicyLabel, v.detection
	choice := ChooseRequirements(v.opts.Policy, img)
	tr.Scope = choice

	needSigs, acceptAll := false, len(choice.Requirements) > 0
	for _, r := range choice.Requirements {
		if r.Type == model.SignedBy || r.Type == model.SigstoreSigned {
			needSigs = true
		}
		acceptAll = acceptAll && r.Type == model.InsecureAcceptAnything
	}
	// A pull copies the image's signatures into storage even when the
	// policy needs none, so a signature source that fails fails the pull.
	pulledAnyway := acceptAll && img.Transport == model.TransportDocker
	if pulledAnyway {
		needSigs = true
	}
	var m *manifest
	var sigs signatures
	var fetchErr error
	if needSigs {
		m, sigs, fetchErr = v.fetch(ctx, img, res)
		if ierr := asInvalidConfig(fetchErr, tr.Lookaside); ierr != nil {
			return nil, ierr
		}
	}
	for i, r := range choice.Requirements {
		rr := RequirementResult{Index: i, Type: string(r.Type), Description: r.Describe(nil)}
		switch r.Type {
		case model.InsecureAcceptAnything:
			rr.Accepted, rr.Reason = true, "accepts any image, signed or not"
		case model.Reject:
			rr.Reason = fmt.Sprintf("Running image %s is rejected by policy.", img)
		case model.SignedBaseLayer:
			rr.Reason = "signedBaseLayer not implemented yet!"
		case model.SignedBy, model.SigstoreSigned:
			if fetchErr != nil {
				rr.Reason = fetchErr.Error()
				res.Incomplete = res.Incomplete || unfinished(fetchErr)
				break
			}
			if r.Type == model.SignedBy {
				v.checkSignedBy(&rr, r, img, m, sigs.lookaside)
			} else {
				v.checkSigstoreSigned(&rr, r, img, m, sigs.lookaside, sigs.attachments)
			}
		}
		tr.Requirements = append(tr.Requirements, rr)
	}
	if pulledAnyway && fetchErr != nil {
		res.Incomplete = unfinished(fetchErr)
		tr.Notes = append(tr.Notes, "the policy accepts this image, but the runtime also copies its signatures while pulling, and reading them failed: the pull fails")
		tr.Requirements = append(tr.Requirements, RequirementResult{Index: len(tr.Requirements), Type: PullStep, Description: "the runtime reads the image's signatures while pulling", Reason: fetchErr.Error()})
	}
	if pulledAnyway && fetchErr == nil {
		// The copy reads the signatures again after the policy check and
		// parses every one: a blob that is not a signature fails the pull.
		if err := sigs.parseError(); err != nil {
			tr.Requirements = append(tr.Requirements, RequirementResult{Index: len(tr.Requirements), Type: PullStep, Description: "the runtime reads the image's signatures while pulling", Reason: "reading signatures: " + err.Error()})
		}
	}
	res.Accepted = !res.Incomplete && len(tr.Requirements) > 0
	for _, rr := range tr.Requirements {
		res.Accepted = res.Accepted && rr.Accepted
	}
	res.Summary = summarize(res, choice)
	return res, nil
}

// signatures are what the runtime reads for one manifest: the look-aside
// (or dir:) blobs in order, then the sigstore attachments.
type signatures struct {
	lookaside   []sigSource
	attachments []sigstoreSignature
}

func (v *Verifier) fetch(ctx context.Context, img *Image, res *Result) (*manifest, signatures, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*v.opts.Timeout)
	defer cancel()
	var sigs signatures
	if img.Transport == model.TransportDir {
		m, found, err := dirManifestAndSignatures(img)
		if m != nil {
			res.Trace.ManifestDigest = m.Digest.String()
		}
		for _, s := range found {
			res.Trace.Signatures = append(res.Trace.Signatures, s.Where)
		}
		sigs.lookaside = found
		return m, sigs, err
	}
	tr := newTransport(v.opts.TLSVerify, v.opts.Timeout)
	defer func() { res.Trace.HTTPRequests = tr.count.Load() }()
	m, err := v.fetchManifest(ctx, img, tr)
	if err != nil {
		return nil, sigs, err
	}
	res.Trace.ManifestDigest = m.Digest.String()
	if m.IndexDigest != "" {
		res.Trace.IndexDigest, res.Trace.Platform = m.IndexDigest.String(), m.Platform
		res.Trace.Notes = append(res.Trace.Notes, fmt.Sprintf("%s is an image index: the runtime pulls the %s instance %s and checks its signatures, not the index's", img, m.Platform, m.Digest))
	}
	match := v.opts.Registries.LookasideFor(img.Named)
	res.Trace.Lookaside = &match
	// The two sources are independent: read them together.
	var attachErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if match.UseSigstoreAttachments {
			sigs.attachments, attachErr = v.sigstoreAttachments(ctx, img, m.Digest, tr)
		}
	}()
	if scheme, ok := tr.extension.Load().(string); ok {
		res.Trace.Lookaside = nil
		res.Trace.Notes = append(res.Trace.Notes, "the registry serves signatures itself (X-Registry-Supports-Signatures): the runtime reads them from its API and never consults the look-aside")
		sigs.lookaside, err = v.extensionSignatures(ctx, img, m.Digest, tr, scheme)
	} else {
		sigs.lookaside, err = v.lookasideSignatures(ctx, match.BaseURL, img, m.Digest, tr)
	}
	<-done
	for _, s := range sigs.lookaside {
		res.Trace.Signatures = append(res.Trace.Signatures, s.Where)
	}
	for _, s := range sigs.attachments {
		res.Trace.Signatures = append(res.Trace.Signatures, s.Where)
	}
	if err == nil {
		err = attachErr
	}
	return m, sigs, err
}

// checkSignedBy follows isSignatureAuthorAccepted for each signature; the
// first accepted one allows the image.
func (v *Verifier) checkSignedBy(rr *RequirementResult, r *model.Requirement, img *Image, m *manifest, sigs []sigSource) {
	if len(sigs) == 0 {
		rr.Reason = "A signature was required, but no signature exists"
		return
	}
	// The runtime parses every blob while reading the signatures; one it
	// cannot parse fails the whole read, whatever the others hold.
	for _, s := range sigs {
		if _, _, err := s.unwrap(); err != nil {
			rr.Reason = fmt.Sprintf("parsing signature %s: %v", s.Where, err)
			return
		}
	}
	if r.KeyType != model.KeyTypeGPGKeys {
		rr.Reason = fmt.Sprintf("Unimplemented \"keyType\" value %q", r.KeyType)
		return
	}
	var rings [][]byte
	var files []string
	for _, k := range r.KeyRefs() {
		if k.Inline() {
			rings, files = append(rings, k.Data), append(files, "keyData")
			continue
		}
		data, err := os.ReadFile(v.opts.Paths.Host(k.Path))
		if err != nil {
			rr.Reason = fmt.Sprintf("open %s: %v", k.Path, errors.Unwrap(err))
			return
		}
		rings, files = append(rings, data), append(files, k.Path)
	}
	var reasons []string
	for _, s := range sigs {
		sc := SignatureCheck{Source: s.Where}
		v.checkOne(&sc, r, img, m, s, rings, files)
		rr.Signatures = append(rr.Signatures, sc)
		if sc.Accepted {
			rr.Accepted = true
			rr.Reason = fmt.Sprintf("signed by %s (%s)", gpg.ShortFingerprint(sc.Signer), sc.KeyFile)
			return
		}
		reasons = append(reasons, sc.Reason)
	}
	if len(reasons) == 1 {
		rr.Reason = reasons[0]
	} else {
		rr.Reason = "None of the signatures were accepted, reasons: " + strings.Join(reasons, "; ")
	}
}

func (v *Verifier) checkOne(sc *SignatureCheck, r *model.Requirement, img *Image, m *manifest, s sigSource, rings [][]byte, files []string) {
	data, ok, err := s.unwrap()
	if err != nil {
		sc.Reason = "parsing signature: " + err.Error()
		return
	}
	if !ok {
		sc.Reason = "a sigstore signature: signedBy ignores it"
		return
	}
	ver, err := gpg.VerifySignature(data, rings, v.detection.Mechanism, v.opts.Now())
	if err != nil {
		sc.Reason = err.Error()
		return
	}
	sc.Signer, sc.KeyFile = ver.SignerFingerprint, files[ver.KeyringIndex]
	p, err := ParsePayload(ver.Payload)
	if err != nil {
		sc.Reason = "invalid signature payload: " + err.Error()
		return
	}
	v.checkClaims(sc, r, img, m, p)
}

// checkClaims applies the digest check, then the identity check, to a
// verified payload (the same order and messages for both signature kinds).
func (v *Verifier) checkClaims(sc *SignatureCheck, r *model.Requirement, img *Image, m *manifest, p *Payload) {
	sc.ClaimedIdentity, sc.ClaimedDigest = p.DockerReference, p.ManifestDigest.String()
	// MatchesDigest always hashes with SHA-256 (policy-evaluation.md §5.3).
	sc.DigestMatches = p.ManifestDigest == m.Digest
	if !sc.DigestMatches {
		sc.Reason = fmt.Sprintf("Signature for digest %s does not match (the manifest is %s)", p.ManifestDigest, m.Digest)
		return
	}
	sc.IdentityMatches = MatchIdentity(r.EffectiveIdentity(), img.Named, p.DockerReference)
	if !sc.IdentityMatches {
		sc.Reason = fmt.Sprintf("Signature for identity %q is not accepted: the rule (%s) expects %s", p.DockerReference, r.EffectiveIdentity().Type, expectedIdentity(r.EffectiveIdentity(), img))
		return
	}
	sc.Accepted = true
	sc.Reason = "valid signature for " + p.DockerReference
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

func summarize(res *Result, c Choice) string {
	rule := c.List.String()
	switch {
	case res.Incomplete:
		for _, rr := range res.Trace.Requirements {
			if !rr.Accepted && rr.Reason != "" {
				return fmt.Sprintf("could not finish: %s (rule %s)", rr.Reason, rule)
			}
		}
		return "could not finish"
	case res.Accepted:
		for _, rr := range res.Trace.Requirements {
			if rr.Type == string(model.SignedBy) || rr.Type == string(model.SigstoreSigned) {
				return fmt.Sprintf("accepted: %s, as %s requires", rr.Reason, rule)
			}
		}
		return fmt.Sprintf("accepted by %s without a signature check", rule)
	}
	for _, rr := range res.Trace.Requirements {
		if rr.Accepted {
			continue
		}
		for _, sc := range rr.Signatures {
			if sc.Signer != "" && sc.DigestMatches && !sc.IdentityMatches {
				return fmt.Sprintf("rejected: signed by %s but for %s, and %s requires %s", gpg.ShortFingerprint(sc.Signer), sc.ClaimedIdentity, rule, strings.TrimPrefix(sc.Reason[strings.Index(sc.Reason, "expects")+len("expects "):], ""))
			}
		}
		return fmt.Sprintf("rejected by %s: %s", rule, rr.Reason)
	}
	return "rejected"
}
