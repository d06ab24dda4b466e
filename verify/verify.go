package verify

import (
	"context"
	"fmt"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/registriesconf"
)

// Options configure a Verifier.
type Options struct {
	Paths node.Paths
	// RuntimeVersion, when set, is the runtime's containers/image version
	// instead of the one read from its binary under Paths.Root.
	RuntimeVersion string
	// Policy to evaluate; nil loads Paths.Policy. The TUI passes its
	// staged policy here.
	Policy *model.Policy
	// PolicyLabel says which policy was used ("saved", "staged").
	PolicyLabel string
	// Notes are added to every trace first: why this policy applies (a
	// pod namespace's own policy, crio.conf's signature_policy).
	Notes []string
	// Registries is the look-aside configuration; nil loads Paths.RegistriesD.
	Registries *policyio.RegistriesD
	// RegistriesConf is registries.conf with its drop-ins (mirrors,
	// blocked registries, short names); nil loads it under Paths.
	RegistriesConf *registriesconf.Config
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
	// net is shared by every image checked (client.go); netInsecure is
	// for registries.conf endpoints marked insecure, when TLS is verified
	// for the rest.
	net, netInsecure *sharedClient
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
	detection := gpg.DetectMechanism(opts.Paths.Root)
	if opts.Mechanism != "" {
		// The caller's mechanism wins; the binary's containers/image
		// version, if readable, still decides how registries.d is read.
		detection = gpg.Detection{Mechanism: opts.Mechanism, Reason: "chosen by the caller", Binary: detection.Binary, ImageVersion: detection.ImageVersion}
	}
	if opts.RuntimeVersion != "" {
		detection.ImageVersion, detection.Binary = opts.RuntimeVersion, "the caller's runtime version"
	}
	if opts.Policy == nil {
		pf, err := policyio.LoadPolicyFrom(opts.Paths.FS(), opts.Paths.Policy)
		if err != nil {
			return nil, err
		}
		// A key the node's containers/image release does not know makes
		// it refuse the file, as a syntax error does (runtimever).
		diags := append(pf.Diags, policyio.CheckPolicyFeatures(pf.Path, pf.Raw, detection.Library())...)
		if diags.HasErrors() {
			return nil, &InvalidConfigError{Diags: diags}
		}
		opts.Policy = pf.Policy
		if opts.PolicyLabel == "" {
			opts.PolicyLabel = "saved"
		}
	}
	v := &Verifier{opts: opts, net: newSharedClient(opts.TLSVerify, opts.Timeout), detection: detection}
	if opts.Registries == nil {
		skip, basis := v.detection.SkipsYAMLDirectories()
		rd, diags := policyio.LoadRegistriesDFor(opts.Paths.FS(), opts.Paths.RegistriesD, policyio.RegistriesRuntime{SkipYAMLDirectories: skip, Basis: basis})
		if diags.HasErrors() {
			return nil, &InvalidConfigError{Diags: diags}
		}
		v.opts.Registries = rd
	}
	if v.opts.RegistriesConf == nil {
		rc, diags := LoadRegistriesConf(opts.Paths, v.detection)
		if diags.HasErrors() {
			return nil, &InvalidConfigError{Diags: diags}
		}
		v.opts.RegistriesConf = rc
	}
	if v.net != nil && opts.TLSVerify && v.opts.RegistriesConf.AnyInsecure() {
		// An insecure endpoint skips TLS verification for itself only.
		v.netInsecure = newSharedClient(false, opts.Timeout)
	}
	return v, nil
}

// Evaluate decides for one image under opts: New, then Verify. It is the
// entry point for a caller with one reference and a policy in hand (a
// dir: image under a policy built in memory needs no network).
func Evaluate(ctx context.Context, opts Options, image string) (*Result, error) {
	v, err := New(opts)
	if err != nil {
		return nil, err
	}
	return v.Verify(ctx, image)
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
	Reference      string        `json:"reference"`
	Transport      string        `json:"transport"`
	Notes          []string      `json:"notes,omitempty"`
	Policy         string        `json:"policy"`
	Mechanism      gpg.Detection `json:"mechanism"`
	Scope          Choice        `json:"scope"`
	ManifestDigest string        `json:"manifest_digest,omitempty"`
	IndexDigest    string        `json:"index_digest,omitempty"`
	Platform       string        `json:"platform,omitempty"`
	// RegistryEntry is the registries.conf [[registry]] prefix that
	// applies; Sources the pull sources tried in order, PulledFrom the
	// mirror that served the manifest ("" for the primary).
	RegistryEntry    string                   `json:"registry_entry,omitempty"`
	RegistryEntryPos model.Pos                `json:"registry_entry_pos,omitzero"`
	Sources          []SourceTry              `json:"sources,omitempty"`
	PulledFrom       string                   `json:"pulled_from,omitempty"`
	Lookaside        *policyio.LookasideMatch `json:"lookaside,omitempty"`
	Signatures       []string                 `json:"signatures_found"`
	Requirements     []RequirementResult      `json:"requirements"`
	HTTPRequests     int64                    `json:"http_requests"`
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
	// Err is why the requirement did not accept the image, a
	// *RequirementError whose text is Reason; nil when accepted.
	Err error `json:"-"`
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
	// Err is why the signature was not accepted (a *RequirementError).
	Err error `json:"-"`
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
	tr.Reference, tr.Transport = img.String(), img.Transport
	tr.Notes = append(append([]string(nil), v.opts.Notes...), img.Notes...)
	tr.Policy, tr.Mechanism = v.opts.PolicyLabel, v.detection
	if img.Transport == model.TransportDocker {
		// docker_image_src.go: the source is opened (and a blocked
		// registry refused by newDockerClient) before copy.Image consults
		// the policy: with every source blocked, no policy is read.
		if p := v.plan(img); v.allBlocked(p) != nil {
			return v.blockedResult(res, p), nil
		}
	}
	choice := ChooseRequirements(v.opts.Policy, img)
	tr.Scope = choice

	needSigs, acceptAll := false, len(choice.Requirements) > 0
	for _, r := range choice.Requirements {
		needSigs = needSigs || evaluatorFor(r).needsSignatures()
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
	ec := &evalContext{v: v, img: img, m: m, sigs: sigs}
	for i, r := range choice.Requirements {
		rr, incomplete := evaluateRequirement(ec, i, r, fetchErr)
		res.Incomplete = res.Incomplete || incomplete
		tr.Requirements = append(tr.Requirements, rr)
	}
	if pulledAnyway && fetchErr != nil {
		res.Incomplete = res.Incomplete || unfinished(fetchErr)
		tr.Notes = append(tr.Notes, "the policy accepts this image, but the runtime also copies its signatures while pulling, and reading them failed: the pull fails")
		pull := RequirementResult{Index: len(tr.Requirements), Type: PullStep, Description: "the runtime reads the image's signatures while pulling"}
		pull.setOutcome("", asKind(KindUnreadable, fetchErr))
		tr.Requirements = append(tr.Requirements, pull)
	}
	if pulledAnyway && fetchErr == nil {
		// The copy reads the signatures again after the policy check and
		// parses every one: a blob that is not a signature fails the pull.
		if err := sigs.parseError(); err != nil {
			pull := RequirementResult{Index: len(tr.Requirements), Type: PullStep, Description: "the runtime reads the image's signatures while pulling"}
			pull.setOutcome("", asKind(KindInvalidSignature, fmt.Errorf("reading signatures: %w", err)))
			tr.Requirements = append(tr.Requirements, pull)
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
	tr := v.transport()
	defer func() { res.Trace.HTTPRequests = tr.count.Load() }()
	phys, m, err := v.fetchFromSources(ctx, img, tr, res)
	if err != nil {
		return nil, sigs, err
	}
	res.Trace.ManifestDigest = m.Digest.String()
	if m.IndexDigest != "" {
		res.Trace.IndexDigest, res.Trace.Platform = m.IndexDigest.String(), m.Platform
		res.Trace.Notes = append(res.Trace.Notes, fmt.Sprintf("%s is an image index: the runtime pulls the %s instance %s and checks its signatures, not the index's", img, m.Platform, m.Digest))
	}
	// The look-aside is the one of the location pulled from
	// (newDockerClientFromRef gets the physical reference).
	match := v.opts.Registries.LookasideFor(phys.Named)
	res.Trace.Lookaside = &match
	// The two sources are independent: read them together.
	var attachErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if match.UseSigstoreAttachments {
			sigs.attachments, attachErr = v.sigstoreAttachments(ctx, phys, m.Digest, tr)
		}
	}()
	if scheme, ok := tr.extension.Load().(string); ok {
		res.Trace.Lookaside = nil
		res.Trace.Notes = append(res.Trace.Notes, "the registry serves signatures itself (X-Registry-Supports-Signatures): the runtime reads them from its API and never consults the look-aside")
		sigs.lookaside, err = v.extensionSignatures(ctx, phys, m.Digest, tr, scheme)
	} else {
		sigs.lookaside, err = v.lookasideSignatures(ctx, match.BaseURL, phys, m.Digest, tr)
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
			if im, ok := identityMismatch(sc.Err); ok && sc.Signer != "" {
				return fmt.Sprintf("rejected: signed by %s but for %s, and %s requires %s", gpg.ShortFingerprint(sc.Signer), sc.ClaimedIdentity, rule, im.Expected)
			}
		}
		return fmt.Sprintf("rejected by %s: %s", rule, rr.Reason)
	}
	return "rejected"
}
