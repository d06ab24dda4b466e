package impact

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/verify"
)

// Status is whether the node could pull an image.
type Status string

const (
	Pullable   Status = "pullable"
	Rejected   Status = "rejected"
	NotChecked Status = "not-checked"
)

// Verdict is one configuration's answer for one image.
type Verdict struct {
	Status Status `json:"status"`
	// Offline is set when the policy alone decided, with no network.
	Offline bool `json:"decided_offline"`
	// Scope is the policy entry whose requirements apply.
	Scope  string `json:"scope,omitempty"`
	Reason string `json:"reason"`
}

// ReasonOffline is the reason of a verdict left to the network by an
// offline check.
const ReasonOffline = "needs the image's signatures from the network, and --offline makes no request"

// NeedsNetwork reports whether an offline check left v to the network: an
// online check of the same configuration may decide it.
func (v Verdict) NeedsNetwork() bool { return v.Status == NotChecked && v.Reason == ReasonOffline }

// NeedsNetwork reports whether an online check may decide what an
// offline one left open in this row.
func (r Row) NeedsNetwork() bool { return r.Current.NeedsNetwork() || r.Candidate.NeedsNetwork() }

// Change is what a candidate does to one image.
type Change string

const (
	Unchanged Change = "unchanged"
	// Lockout: the candidate rejects an image the current configuration
	// did not reject.
	Lockout Change = "lockout"
	// Widening: the candidate lets through an image the current one
	// rejected.
	Widening Change = "widening"
	// Unknown: one side was not checked, so the difference is not known.
	Unknown Change = "unknown"
)

// Config is one configuration to judge. Registries.d, the mechanism and
// the key files on disk come from Options; Keys overrides the key files a
// candidate replaces.
type Config struct {
	// Policy is nil when the runtime cannot load the policy at all: every
	// pull fails.
	Policy *model.Policy
	// Keys reads a key file by node path; nil reads it under the root.
	// Online checks read key files from disk whatever Keys says.
	Keys policyio.KeyFiles
	// Label names the configuration in verify's trace ("saved", "staged").
	Label string
	// Registries is the look-aside configuration of this side (a staged
	// registries.d edit); nil: Options.Registries.
	Registries *policyio.RegistriesD
}

// Options say how to check.
type Options struct {
	Paths node.Paths
	// Offline makes no network request: images that need one are not
	// checked.
	Offline bool
	// Mechanism of the node's runtime; "" detects it under Paths.Root.
	Mechanism gpg.Mechanism
	// Registries is the look-aside configuration; nil loads it.
	Registries *policyio.RegistriesD
	TLSVerify  bool
	// Timeout bounds each network step (verify's default when zero).
	Timeout time.Duration
	Now     func() time.Time
	// SkipUnchanged leaves unjudged the images whose requirements and key
	// files are the same under both configurations of Compare: a save
	// check needs only what the change touches, and an unrelated image
	// then costs no network request.
	SkipUnchanged bool
}

// Row is one node image under the current and the candidate configuration.
type Row struct {
	Image     node.NodeImage `json:"image"`
	Current   Verdict        `json:"current"`
	Candidate Verdict        `json:"candidate"`
	Change    Change         `json:"change"`
}

// Report is the impact of a candidate on every node image.
type Report struct {
	Rows []Row `json:"images"`
	// ImagesError says why the node's image list is incomplete.
	ImagesError string `json:"images_error,omitempty"`
}

// Lockouts lists the rows whose image stops being pullable.
func (r *Report) Lockouts() []Row { return r.with(Lockout) }

// Widenings lists the rows whose image becomes pullable.
func (r *Report) Widenings() []Row { return r.with(Widening) }

func (r *Report) with(c Change) []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Change == c {
			out = append(out, row)
		}
	}
	return out
}

// PauseLockout is the pause image's row when the candidate stops it
// being pullable: no new pod could start on the node.
func (r *Report) PauseLockout() *Row {
	for i, row := range r.Rows {
		if row.Image.Role == node.RolePause && row.Change == Lockout {
			return &r.Rows[i]
		}
	}
	return nil
}

// OwnLockout is the row of the image imgtrust runs in when the candidate
// stops it being pullable: on a node with no host shell the admin's debug
// pod could not be started again to undo the change.
func (r *Report) OwnLockout() *Row {
	for i, row := range r.Rows {
		if row.Image.Role == node.RoleOwn && row.Change == Lockout {
			return &r.Rows[i]
		}
	}
	return nil
}

// Checker judges images under one set of options; it holds the verifiers
// it made, one per configuration.
type Checker struct {
	opts Options
	mech gpg.Mechanism
}

// NewChecker prepares a Checker.
func NewChecker(opts Options) *Checker {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	mech := opts.Mechanism
	if mech == "" {
		mech = gpg.DetectMechanism(opts.Paths.Root).Mechanism
	}
	return &Checker{opts: opts, mech: mech}
}

// Compare judges every image under cur and cand. An image whose
// requirements and key files are the same under both is judged once.
func (c *Checker) Compare(ctx context.Context, cur, cand Config, images []node.NodeImage) *Report {
	rep := &Report{}
	curV, candV := &lazyVerifier{}, &lazyVerifier{}
	for _, img := range images {
		row := Row{Image: img}
		same := c.sameRules(cur, cand, img.Ref)
		if same && c.opts.SkipUnchanged {
			v := Verdict{Status: NotChecked, Reason: "the change leaves its requirements and key files as they are"}
			row.Current, row.Candidate, row.Change = v, v, Unchanged
			rep.Rows = append(rep.Rows, row)
			continue
		}
		row.Current = c.judge(ctx, cur, curV, img.Ref)
		if same {
			row.Candidate = row.Current
		} else {
			row.Candidate = c.judge(ctx, cand, candV, img.Ref)
		}
		row.Change = compare(row.Current.Status, row.Candidate.Status)
		rep.Rows = append(rep.Rows, row)
	}
	return rep
}

// Check judges every image under one configuration.
func (c *Checker) Check(ctx context.Context, cfg Config, images []node.NodeImage) []Verdict {
	v := &lazyVerifier{}
	out := make([]Verdict, len(images))
	for i, img := range images {
		out[i] = c.judge(ctx, cfg, v, img.Ref)
	}
	return out
}

// CheckOne judges one image reference under one configuration.
func (c *Checker) CheckOne(ctx context.Context, cfg Config, ref string) Verdict {
	return c.judge(ctx, cfg, &lazyVerifier{}, ref)
}

func compare(cur, cand Status) Change {
	switch {
	case cand == Rejected && cur != Rejected:
		return Lockout
	case cand == Pullable && cur == Rejected:
		return Widening
	case cand == NotChecked || cur == NotChecked:
		return Unknown
	}
	return Unchanged
}

// lazyVerifier makes verify's Verifier for a configuration on first use:
// a report that needs no network never loads registries.d for it.
type lazyVerifier struct {
	v    *verify.Verifier
	err  error
	made bool
}

func (c *Checker) verifier(cfg Config, lv *lazyVerifier) (*verify.Verifier, error) {
	if !lv.made {
		lv.made = true
		pol := cfg.Policy
		if cfg.Keys != nil {
			pol = inlineKeys(pol.Clone(), cfg.Keys)
		}
		lv.v, lv.err = verify.New(verify.Options{
			Paths: c.opts.Paths, Policy: pol, PolicyLabel: cfg.Label, Registries: c.registries(cfg),
			Mechanism: c.mech, TLSVerify: c.opts.TLSVerify, Timeout: c.opts.Timeout, Now: c.opts.Now,
		})
	}
	return lv.v, lv.err
}

// registries is the look-aside configuration cfg reads.
func (c *Checker) registries(cfg Config) *policyio.RegistriesD {
	if cfg.Registries != nil {
		return cfg.Registries
	}
	return c.opts.Registries
}

// sameLookaside reports whether both configurations read ref's
// signatures from the same place; a look-aside edit changes the verdict
// of the images whose signatures it moves, and only theirs.
func (c *Checker) sameLookaside(cur, cand Config, img *verify.Image) bool {
	a, b := c.registries(cur), c.registries(cand)
	if a == b {
		return true
	}
	if img.Named == nil || a == nil || b == nil {
		return false
	}
	x, y := a.LookasideFor(img.Named), b.LookasideFor(img.Named)
	return x.BaseURL == y.BaseURL && x.UseSigstoreAttachments == y.UseSigstoreAttachments
}

// judge decides one image: from the policy alone when it can, else
// online unless Offline.
func (c *Checker) judge(ctx context.Context, cfg Config, lv *lazyVerifier, ref string) Verdict {
	if cfg.Policy == nil {
		return Verdict{Status: Rejected, Offline: true, Reason: "the runtime cannot load this policy: every pull fails"}
	}
	img, err := verify.ParseImage(ref)
	if err != nil {
		return Verdict{Status: NotChecked, Reason: fmt.Sprintf("the reference cannot be checked: %v", err)}
	}
	choice := verify.ChooseRequirements(cfg.Policy, img)
	scope := choice.List.String()
	if v, decided := c.decideOffline(cfg, choice.Requirements); decided {
		v.Scope = scope
		return v
	}
	// Only the docker transport reaches the network; a dir: image is
	// read from local files even offline.
	if c.opts.Offline && img.Transport == model.TransportDocker {
		return Verdict{Status: NotChecked, Scope: scope, Reason: ReasonOffline}
	}
	ver, err := c.verifier(cfg, lv)
	if err != nil {
		return Verdict{Status: NotChecked, Scope: scope, Reason: fmt.Sprintf("cannot check: %v", err)}
	}
	res, err := ver.Verify(ctx, ref)
	switch {
	case err != nil:
		return Verdict{Status: NotChecked, Scope: scope, Reason: fmt.Sprintf("cannot check: %v", err)}
	case res.Incomplete:
		return Verdict{Status: NotChecked, Scope: scope, Reason: res.Summary}
	case res.Accepted:
		return Verdict{Status: Pullable, Scope: scope, Reason: res.Summary}
	}
	return Verdict{Status: Rejected, Scope: scope, Reason: res.Summary}
}

// decideOffline decides from the requirement list alone when one
// requirement rejects whatever the signatures (every requirement must
// accept), or when every requirement accepts without one.
func (c *Checker) decideOffline(cfg Config, reqs model.Requirements) (Verdict, bool) {
	if len(reqs) == 0 {
		return Verdict{Status: Rejected, Offline: true, Reason: "the policy entry has no requirement: the runtime accepts nothing under it"}, true
	}
	acceptAll := true
	for _, r := range reqs {
		if why := c.rejectsWithoutNetwork(cfg, r); why != "" {
			return Verdict{Status: Rejected, Offline: true, Reason: why}, true
		}
		acceptAll = acceptAll && r.Type == model.InsecureAcceptAnything
	}
	if acceptAll {
		return Verdict{Status: Pullable, Offline: true, Reason: "insecureAcceptAnything: accepted without a signature check"}, true
	}
	return Verdict{}, false
}

// rejectsWithoutNetwork says why r rejects every image, or "".
func (c *Checker) rejectsWithoutNetwork(cfg Config, r *model.Requirement) string {
	switch r.Type {
	case model.InsecureAcceptAnything:
		return ""
	case model.Reject:
		return "the policy rejects it (reject)"
	case model.SignedBaseLayer:
		return "signedBaseLayer: the runtime does not implement it and rejects every image"
	case model.SignedBy:
		if r.KeyType != model.KeyTypeGPGKeys {
			return fmt.Sprintf("signedBy with keyType %q: the runtime implements only GPGKeys and rejects every image", r.KeyType)
		}
		loaded := 0
		for _, k := range r.KeyRefs() {
			data, label, why := c.keyData(cfg, k)
			if why != "" {
				return why
			}
			fprs, err := gpg.RuntimeFingerprints(data, c.mech, c.opts.Now())
			if err != nil {
				return fmt.Sprintf("signedBy: %s cannot be loaded by the node's mechanism (%s): %v", label, c.mech, err)
			}
			loaded += len(fprs)
		}
		if loaded == 0 {
			return fmt.Sprintf("signedBy: the node's mechanism (%s) loads no public key from the key files", c.mech)
		}
	case model.SigstoreSigned:
		for _, k := range r.KeyRefs() {
			if _, _, why := c.keyData(cfg, k); why != "" {
				return why
			}
		}
		for _, p := range sigstoreTrustFiles(r) {
			if _, _, why := c.keyData(cfg, model.KeyRef{Field: p.field, Path: p.path}); why != "" {
				return why
			}
		}
	default:
		return fmt.Sprintf("unknown requirement type %q: the runtime refuses it", r.Type)
	}
	return ""
}

type trustFile struct{ field, path string }

// sigstoreTrustFiles are the files besides the keys a sigstoreSigned
// requirement needs: without any of them it rejects every image.
func sigstoreTrustFiles(r *model.Requirement) []trustFile {
	var out []trustFile
	add := func(field, path string) {
		if path != "" {
			out = append(out, trustFile{field, path})
		}
	}
	if r.Fulcio != nil {
		add("fulcio.caPath", r.Fulcio.CAPath)
	}
	if r.PKI != nil {
		add("pki.caRootsPath", r.PKI.CARootsPath)
		add("pki.caIntermediatesPath", r.PKI.CAIntermediatesPath)
	}
	add("rekorPublicKeyPath", r.RekorPublicKeyPath)
	for _, p := range r.RekorPublicKeyPaths {
		add("rekorPublicKeyPaths", p)
	}
	return out
}

// keyData reads one key reference: its data, the name to show, or why
// the runtime could not read it.
func (c *Checker) keyData(cfg Config, k model.KeyRef) ([]byte, string, string) {
	if k.Inline() {
		return k.Data, k.Field, ""
	}
	var data []byte
	var err error
	if cfg.Keys != nil {
		data, err = cfg.Keys(k.Path)
	} else {
		data, err = c.opts.Paths.FS().ReadFile(c.opts.Paths.Host(k.Path), nodefs.KeyFile)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, k.Path, fmt.Sprintf("%s %s does not exist: the runtime rejects every image under this rule", k.Field, k.Path)
	case err != nil:
		return nil, k.Path, fmt.Sprintf("%s %s cannot be read (%v): the runtime rejects every image under this rule", k.Field, k.Path, err)
	}
	return data, k.Path, ""
}

// sameRules reports whether ref is judged by the same requirements under
// both configurations with the same key files, so that its verdict is the
// same and need not be fetched twice.
func (c *Checker) sameRules(cur, cand Config, ref string) bool {
	if cur.Policy == nil || cand.Policy == nil {
		return cur.Policy == cand.Policy
	}
	img, err := verify.ParseImage(ref)
	if err != nil {
		return true
	}
	a := verify.ChooseRequirements(cur.Policy, img).Requirements
	b := verify.ChooseRequirements(cand.Policy, img).Requirements
	if !requirementsEqual(a, b) {
		return false
	}
	if !c.sameLookaside(cur, cand, img) && needsSignatures(b) {
		return false
	}
	if cand.Keys == nil && cur.Keys == nil {
		return true
	}
	for _, r := range b {
		for _, k := range r.KeyRefs() {
			if k.Inline() {
				continue
			}
			x, _, _ := c.keyData(cur, k)
			y, _, _ := c.keyData(cand, k)
			if string(x) != string(y) {
				return false
			}
		}
	}
	return true
}

// needsSignatures: some requirement is decided by signatures read from
// a look-aside (the others decide without them).
func needsSignatures(reqs model.Requirements) bool {
	for _, r := range reqs {
		if r.Type == model.SignedBy {
			return true
		}
	}
	return false
}

// requirementsEqual compares two requirement lists by what they say, not
// where they were read: as policy.json would write them.
func requirementsEqual(a, b model.Requirements) bool {
	x, errA := policyio.MarshalPolicy(&model.Policy{Default: a})
	y, errB := policyio.MarshalPolicy(&model.Policy{Default: b})
	return errA == nil && errB == nil && string(x) == string(y)
}

// inlineKeys puts the content of every signedBy key file, read through
// keys, into the rule itself: verify reads key files from disk, and a
// candidate's key file (an import about to be written) is not there yet.
// A file keys cannot read stays a path, so verify reports it as the
// runtime would.
func inlineKeys(p *model.Policy, keys policyio.KeyFiles) *model.Policy {
	fix := func(reqs model.Requirements) {
		for _, r := range reqs {
			if r.Type != model.SignedBy || (r.KeyPath == "" && len(r.KeyPaths) == 0) {
				continue
			}
			var datas [][]byte
			ok := true
			for _, k := range r.KeyRefs() {
				if k.Inline() {
					datas = append(datas, k.Data)
					continue
				}
				d, err := keys(k.Path)
				if err != nil {
					ok = false
					break
				}
				datas = append(datas, d)
			}
			if ok {
				r.KeyPath, r.KeyPaths, r.KeyData, r.KeyDatas = "", nil, nil, datas
			}
		}
	}
	fix(p.Default)
	for _, t := range p.Transports {
		for _, sc := range t.Scopes {
			fix(sc.Requirements)
		}
	}
	return p
}
