package ui

import (
	"context"
	"time"

	"github.com/kios/imgtrust/impact"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/workspace"
)

// The TUI owns no domain logic: everything it knows about files, keys,
// look-asides and verdicts comes through these small interfaces, which
// cmd_tui.go wires to policyio/workspace, gpg and verify, and which tests
// replace with fakes.

// PolicyBackend is the editing session over policy.json;
// *workspace.Workspace implements it.
type PolicyBackend interface {
	Policy() *model.Policy
	PolicyFile() *policyio.PolicyFile
	Edit(summary string, fn func(p *model.Policy))
	Undo() (string, bool)
	Edits() []string
	Problems() model.Diagnostics
	PolicyChange() (*workspace.FileChange, error)
	Save(summary string, allowWeaken bool) error
	QuickFix(d model.Diagnostic) error
	// ApplyFix applies the diagnostic's quick fix number i (d.Fixes).
	ApplyFix(d model.Diagnostic, i int) error
}

var _ PolicyBackend = (*workspace.Workspace)(nil)

// KeyRow is one public key of the inventory, as the keys view shows it
// (a row, not gpg.KeyInfo: the backend flattens that into text).
type KeyRow struct {
	Fingerprint string
	UserID      string
	Algorithm   string
	Expires     time.Time // zero: never
	Status      string    // "ok", "expired", "revoked", "unusable on this node: …"
	Path        string    // node path of the file holding it
	UsedBy      []string  // scope refs that trust it
	Details     string    // multi-line description for the details pane
	// AlreadyThere is set by Import when the key was in Path already and
	// nothing was written.
	AlreadyThere bool
	// Verdict says whether the node's mechanism can verify signatures
	// with the key, naming the mechanism; Unusable when it cannot.
	Verdict  string
	Unusable bool
}

// KeyInspector describes keys before they are imported (full fingerprint,
// user IDs, algorithm, expiry, the node mechanism's Verdict), refusing
// private key material as Import does. A KeyBackend that has it gets a
// confirmation step in the import dialog.
type KeyInspector interface {
	Inspect(data []byte) ([]KeyRow, error)
}

// KeyBackend is the node's key inventory (gpg package).
type KeyBackend interface {
	List() ([]KeyRow, error)
	// Import stores public keys from armored or binary data under a name
	// derived from the key; private key material must be refused with an
	// error that says so, and nothing written.
	Import(data []byte) (KeyRow, error)
	// Remove deletes a key file; it must refuse a key still referenced by
	// the policy given.
	Remove(fingerprint string, p *model.Policy) error
}

// LookasideRow is one row of the merged registries.d table (not
// model.LookasideEntry, whose Sigstore is a URL).
type LookasideRow struct {
	Scope   string // "default-docker" or a namespace
	URL     string // lookaside
	Staging string // lookaside-staging
	// UseSigstoreAttachments is use-sigstore-attachments.
	UseSigstoreAttachments bool
	File                   string
	Masked                 bool // shadowed by an entry in another file
}

// LookasideBackend reads and edits registries.d.
type LookasideBackend interface {
	List() ([]LookasideRow, model.Diagnostics, error)
	// Explain says, in lines, which entry and URL the runtime would use for
	// ref's signatures.
	Explain(ref string) ([]string, error)
	Set(e LookasideRow) error
	Remove(scope string) error
}

// TraceStep is one line of a verification trace.
type TraceStep struct {
	OK     bool
	Failed bool // neither OK nor Failed: informational
	// Detail is a line about the step above it (a reason, a signer):
	// drawn without a mark.
	Detail bool
	Text   string
	Depth  int
}

// VerifyResult is a verdict for one image with the way it was reached.
type VerifyResult struct {
	Ref      string
	Accepted bool
	Scope    string // the scope whose requirements applied
	Summary  string
	Trace    []TraceStep
	// Policy, when set, names the policy used (a namespace's file).
	Policy string
}

// Verifier evaluates an image against a policy (the staged one, so that
// changes can be tried before saving). It must honour ctx.
type Verifier interface {
	Verify(ctx context.Context, p *model.Policy, ref string) (VerifyResult, error)
}

// NamespaceVerifier is a Verifier that can check a pull for a pod in a
// Kubernetes namespace: the backend picks the policy CRI-O uses there
// (the namespace's own file, or the global policy), using staged when
// that is the file this session edits.
type NamespaceVerifier interface {
	VerifyInNamespace(ctx context.Context, staged *model.Policy, namespace, ref string) (VerifyResult, error)
}

// Rules are the domain's answers the TUI needs while the admin types: the
// parser's and the linter's verdicts on a text, a rule or a scope name,
// how strong a list of requirements is, the writer, the text fixes.
// policyio.Rules implements it; the TUI calls no domain rule itself.
type Rules interface {
	ParsePolicy(file string, data []byte) (*model.Policy, model.Diagnostics)
	ValidatePolicy(p *model.Policy, label string) model.Diagnostics
	CheckKeyFiles(p *model.Policy, paths node.Paths) model.Diagnostics
	CheckRequirement(r *model.Requirement) model.Diagnostics
	ScopeProblem(transport, scope string) (msg, fix string)
	DockerScopeWarning(scope string) (msg, fix, repl string)
	LookasideURLProblem(u string) string
	Strength(reqs model.Requirements) policyio.StrengthLevel
	MarshalPolicy(p *model.Policy) ([]byte, error)
	StripComments(src []byte) ([]byte, error)
	ApplyDiagnosticFix(src []byte, d model.Diagnostic, i int) ([]byte, error)
}

// Deps is what the root model is given.
type Deps struct {
	// Rules answers every domain question of the views and forms.
	Rules     Rules
	Paths     node.Paths
	Policy    PolicyBackend
	Keys      KeyBackend       // nil: keys view says it is unavailable
	Lookaside LookasideBackend // nil: look-aside view says it is unavailable
	Verifier  Verifier         // nil: verify view says it is unavailable
	// Impact judges the node's images for the wizard's impact check (the
	// impact package: what the policy decides alone needs no network, an
	// image it could not check is an error, never a rejection); nil uses
	// Verifier.
	Impact Verifier
	// SaveImpact judges the node's images under a reviewed change (the
	// impact package, without the network: an image that needs it is not
	// checked); the save review names a lockout from it. nil: no impact
	// section.
	SaveImpact func(rev *workspace.Review) *impact.Report
	// SaveImpactOnline prepares the online impact check of a reviewed
	// change: called in Update, it only takes what the check needs; the
	// save review runs the check it returns in a tea.Cmd, bounded by
	// OnlineImpactTimeout, and replaces the offline rows with its result
	// (the same impact package, with the network). nil: offline only.
	SaveImpactOnline func(rev *workspace.Review) func(context.Context) *impact.Report
	// NodeImageProblems prepares the check of the node's own images (the
	// pause image, the image imgtrust runs in…) under the staged state, as
	// lint reports them (a rejected pause image is an error): called in
	// Update, it only takes what the check needs; the check it returns
	// reads the node's files, never the network, and runs in a tea.Cmd.
	// Its diagnostics are counted with Policy.Problems. nil: none.
	NodeImageProblems func() func() model.Diagnostics
	// NodeImages lists images the node already uses (the pause image from
	// crio.conf, …) for the setup wizard's impact check.
	NodeImages func() []string
	// PolicyFiles lists the policy files the node's runtime uses (the
	// global one, each CRI-O namespace's), marking the one edited; it does
	// I/O and is called from a command. nil: no switcher.
	PolicyFiles func() ([]PolicyChoice, error)
	ASCII       bool
	// Tour is a short list of things to try, shown on the Overview (the
	// demo sets it; on a node it is empty).
	Tour []string
	// Recent seeds the Verify view's history (↑/↓ recalls them).
	Recent []string
	// KeyFiles reads the files a rule embeds (keyData, caData); nil: the
	// rule form cannot embed a file.
	KeyFiles KeyFileReader
	// Shadow reads the node's shadow log for the Overview; nil: no line.
	Shadow ShadowBackend
	// ShadowRunner starts a shadow soak of the reviewed change instead of
	// saving it, and stops it from the Overview; nil: not offered.
	ShadowRunner ShadowRunner
	// Trial makes a save a trial; nil: the save dialog does not offer it.
	Trial TrialBackend
}

// ShadowStatus is a shadow soak's summary, read from its log.
type ShadowStatus struct {
	// Headline: "3 days, 241 pulls, 2 would have been rejected".
	Headline string
	Rejected int
	// Examples: "ref: reason" of the first rejected images.
	Examples []string
	// Running: the log's last run has not written its stop line.
	Running bool
	// PID is the soak the TUI started (recorded beside the log) while its
	// process runs; 0: none, or one started otherwise.
	PID int
}

// ShadowRun is a shadow soak started from the TUI.
type ShadowRun struct {
	PID int
	// Candidate is the node path of the candidate policy written for it;
	// Registries that of its registries.d ("": the node's own).
	Candidate, Registries string
	// Note says what the candidate leaves out (staged key files: the
	// shadow reads the node's).
	Note string
}

// ShadowRunner runs `imgtrust shadow` on a reviewed change, detached so
// that it outlives the TUI. Both are called from a tea.Cmd.
type ShadowRunner interface {
	// Start writes the change's policy (and registries.d, when it
	// changes it) as a candidate beside the shadow log, never over the
	// live files, and starts the soak; the staged edits stay staged.
	Start(rev *workspace.Review) (ShadowRun, error)
	// Stop ends the recorded soak (SIGTERM: it writes its summary).
	Stop() (ShadowRun, error)
}

// ShadowBackend reads the node's shadow log; ok is false when there is
// none. It is called from a tea.Cmd, never from Update.
type ShadowBackend interface {
	Status() (s ShadowStatus, ok bool, err error)
}

// TrialBackend applies a save for a while: the files it writes are put
// back unless Confirm is called before the deadline, by a watcher that
// outlives the TUI (the trial package).
type TrialBackend interface {
	// Try runs save and makes what it wrote a trial of d.
	Try(save func() error, d time.Duration) (deadline time.Time, err error)
	// Confirm keeps the running trial's change.
	Confirm() error
	// Pending is the running trial's deadline; ok is false when none.
	Pending() (deadline time.Time, ok bool, err error)
}

// OnlineImpactTimeout bounds the save review's online impact check as a
// whole (each network step has its own, shorter limit): an image still
// unanswered then stays not checked.
const OnlineImpactTimeout = 30 * time.Second

// TrialDuration is the TUI's trial: long enough to check that the node
// still pulls and the admin still gets in, short enough to wait out.
const TrialDuration = 5 * time.Minute

// RawPolicyBackend is the text side of the policy session, for the raw
// editor; *workspace.Workspace implements it. A backend without it has no
// editor (the Policy view says so).
type RawPolicyBackend interface {
	// Unparsable: policy.json exists but gives no tree; tree edits are
	// refused until text replaces it.
	Unparsable() bool
	// TextOnly: Unparsable, or the staged text has errors the tree
	// cannot hold; the tree is read-only then.
	TextOnly() bool
	// PolicyText is the text the editor starts from.
	PolicyText() ([]byte, error)
	// StageRaw stages the admin's text as one undoable edit.
	StageRaw(summary string, text []byte) error
}

var _ RawPolicyBackend = (*workspace.Workspace)(nil)

// ChangeSetBackend is the change set behind the policy session: key
// imports and look-aside edits are staged with the policy edits (through
// KeyBackend and LookasideBackend) and reviewed and saved as one;
// *workspace.Workspace implements it. Without it the save review shows
// policy.json only.
type ChangeSetBackend interface {
	// Review checks that no file changed on disk, then describes every
	// file the save writes (one diff) and how it widens trust.
	Review() (*workspace.Review, error)
	// Refresh re-reads every file and re-applies the staged edits that
	// still apply, naming the others.
	Refresh() (*workspace.ReloadResult, error)
	// StagedFiles are the key files and registries.d files a save writes
	// or removes besides policy.json (host path -> what it does).
	StagedFiles() map[string]workspace.StagedFile
}

var _ ChangeSetBackend = (*workspace.Workspace)(nil)

// RawRegistriesBackend is the text side of registries.d, for the raw
// editor of each of its files; *workspace.Workspace implements it. Staged
// text is saved with the policy, through the same review.
type RawRegistriesBackend interface {
	// RegistriesText reads a file's text (staged, else on disk); it may
	// read the file, so the TUI calls it from a command.
	RegistriesText(path string) ([]byte, error)
	// RegistriesLinter snapshots what a lint of path needs (the other
	// files as staged, the staged policy) and returns a function that
	// checks a buffer from a command.
	RegistriesLinter(path string) func(text []byte) model.Diagnostics
	// StageRegistriesText stages the admin's text as one undoable edit.
	StageRegistriesText(path string, text []byte) error
	// RegistriesChanges is what a save would write to registries.d.
	RegistriesChanges() ([]*workspace.FileChange, error)
}

var _ RawRegistriesBackend = (*workspace.Workspace)(nil)
