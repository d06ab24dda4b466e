package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/registriesconf"
)

// SourceTry is one place the runtime tries to pull from, in its order:
// the mirrors the reference may use, then the primary.
type SourceTry struct {
	Reference string `json:"reference"`
	Mirror    bool   `json:"mirror"`
	Insecure  bool   `json:"insecure,omitempty"`
	// Skipped says why a mirror is not tried for this reference
	// (pull-from-mirror, mirror-by-digest-only); it has no Reference then.
	Skipped string `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`
	Used    bool   `json:"used,omitempty"`
}

// LoadRegistriesConf reads the node's registries.conf as a runtime with
// the detected containers/image version does.
func LoadRegistriesConf(paths node.Paths, det gpg.Detection) (*registriesconf.Config, model.Diagnostics) {
	refuse, basis := registriesconf.V1Rule(det.ImageVersion, det.Mechanism == gpg.MechGoCrypto)
	return registriesconf.Load(paths.FS(), paths.Host, paths.Node, registriesconf.Locations{Conf: paths.RegistriesConf, RefuseV1: refuse, V1Basis: basis})
}

// pullPlan is where a pull of img goes (docker_image_src.go:
// newImageSource): the matching [[registry]] entry, if any, and its pull
// sources.
type pullPlan struct {
	entry   *registriesconf.Registry
	sources []registriesconf.Source
	skipped []registriesconf.Skipped
	// err is a rewrite the library fails on (no source is tried).
	err error
}

func (v *Verifier) plan(img *Image) pullPlan {
	conf := v.opts.RegistriesConf
	entry := conf.Find(img.Named.Name())
	srcs, skipped, err := entry.PullSources(img.Named)
	return pullPlan{entry: entry, sources: srcs, skipped: skipped, err: err}
}

// allBlocked is the blocked error when no source of the plan can be
// contacted: the pull fails before the policy is consulted.
func (v *Verifier) allBlocked(p pullPlan) error {
	if p.err != nil || len(p.sources) == 0 {
		return nil
	}
	var last error
	for _, s := range p.sources {
		b := v.opts.RegistriesConf.Blocked(s.Reference)
		if b == nil {
			return nil
		}
		last = b
	}
	if len(p.sources) == 1 {
		return last
	}
	return combined(p, func(i int) error { return v.opts.RegistriesConf.Blocked(p.sources[i].Reference) })
}

// combined is newImageSource's error when every source failed: the
// primary's error, preceded by each mirror's in brackets.
func combined(p pullPlan, errAt func(int) error) error {
	n := len(p.sources)
	var extras []string
	for i := 0; i < n-1; i++ {
		extras = append(extras, fmt.Sprintf("[%s: %v]", p.sources[i].Reference, errAt(i)))
	}
	return fmt.Errorf("(Mirrors also failed: %s): %s: %w", strings.Join(extras, "\n"), p.sources[n-1].Reference, errAt(n-1))
}

// fetchFromSources tries each source in order, as newImageSource does,
// and returns the physical image the manifest came from: the
// signatures, the look-aside (chosen by its location) and the sigstore
// attachments are read from there; the policy still judges img, the
// logical name (dockerImageSource.Reference).
func (v *Verifier) fetchFromSources(ctx context.Context, img *Image, tr *countingTransport, res *Result) (*Image, *manifest, error) {
	p := v.plan(img)
	if p.entry != nil {
		res.Trace.RegistryEntry = p.entry.Prefix
		res.Trace.RegistryEntryPos = p.entry.Pos
	}
	if p.err != nil {
		return nil, nil, &pullFailedError{Step: "choosing where to pull from", Err: p.err}
	}
	errs := make([]error, len(p.sources))
	for i, s := range p.sources {
		phys := &Image{Transport: img.Transport, Named: s.Reference, insecure: s.Insecure(), logical: img.Named}
		try := SourceTry{Reference: s.Reference.String(), Mirror: s.Mirror, Insecure: s.Insecure()}
		if b := v.opts.RegistriesConf.Blocked(s.Reference); b != nil {
			errs[i] = b
		} else {
			// Only the registry that serves the image decides whether its
			// signature API replaces the look-aside: a failed mirror's
			// ping must not.
			tr.extension = new(atomic.Value)
			m, err := v.fetchManifest(ctx, phys, tr)
			if err == nil {
				try.Used = true
				v.traceSource(res, p, try)
				if s.Mirror {
					res.Trace.PulledFrom = s.Reference.String()
				}
				return phys, m, nil
			}
			errs[i] = err
		}
		try.Error = errs[i].Error()
		v.traceSource(res, p, try)
		if ctx.Err() != nil {
			break
		}
	}
	if len(p.sources) == 1 {
		return nil, nil, definite(errs[0])
	}
	err := combined(p, func(i int) error {
		if errs[i] == nil {
			return ctx.Err()
		}
		return errs[i]
	})
	// The node gets the same answer only when no source failed for a
	// reason of this machine's (network, credentials): each was blocked
	// or answered that it has no such image.
	for _, e := range errs {
		var b *registriesconf.BlockedError
		if !errors.As(e, &b) && unfinished(e) {
			// Flattened: the primary's definite error inside must not
			// make the whole a definite one.
			return nil, nil, &IncompleteError{Step: "pulling from every source", Err: errors.New(err.Error())}
		}
	}
	return nil, nil, &pullFailedError{Step: "pulling", Err: err}
}

// definite makes a blocked source a pull failure (the node's answer too).
func definite(err error) error {
	var b *registriesconf.BlockedError
	if errors.As(err, &b) {
		return &pullFailedError{Step: "pulling", Err: err}
	}
	return err
}

// traceSource records a try; the mirrors skipped come first, where the
// runtime would have tried them.
func (v *Verifier) traceSource(res *Result, p pullPlan, try SourceTry) {
	if p.entry == nil {
		return // no registries.conf entry: the one source says nothing new
	}
	if res.Trace.Sources == nil {
		for _, s := range p.skipped {
			res.Trace.Sources = append(res.Trace.Sources, SourceTry{Reference: s.Location, Mirror: true, Skipped: s.Why})
		}
	}
	res.Trace.Sources = append(res.Trace.Sources, try)
}

// credentialsFor: --creds are for the requested registry only; a mirror
// on another host gets the auth files' entry for it or none
// (newImageSourceAttempt drops DockerAuthConfig for another domain).
func credentialsFor(img *Image) bool {
	return img.logical == nil || reference.Domain(img.logical) == reference.Domain(img.Named)
}

// blockedResult is the verdict when every source is blocked: the pull
// fails while the source is opened, and no policy requirement is read.
func (v *Verifier) blockedResult(res *Result, p pullPlan) *Result {
	err := v.allBlocked(p)
	tr := &res.Trace
	if p.entry != nil {
		tr.RegistryEntry, tr.RegistryEntryPos = p.entry.Prefix, p.entry.Pos
	}
	for _, s := range p.skipped {
		tr.Sources = append(tr.Sources, SourceTry{Reference: s.Location, Mirror: true, Skipped: s.Why})
	}
	for _, s := range p.sources {
		tr.Sources = append(tr.Sources, SourceTry{Reference: s.Reference.String(), Mirror: s.Mirror, Insecure: s.Insecure(),
			Error: v.opts.RegistriesConf.Blocked(s.Reference).Error()})
	}
	pull := RequirementResult{Index: 0, Type: PullStep, Description: "the runtime opens the image's source before it reads the policy"}
	pull.setOutcome("", asKind(KindUnreadable, err))
	tr.Requirements = []RequirementResult{pull}
	tr.Notes = append(tr.Notes, "registries.conf blocks every source of this image: the pull fails before the policy is consulted")
	res.Summary = "rejected before the policy: " + err.Error()
	return res
}
