package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/safefile"
	"github.com/kios/imgtrust/termsafe"
)

// The change set: besides policy.json, a workspace stages key files
// added to or removed from the keys directory and edits of registries.d.
// They share one undo history, one review (one diff over every file, the
// widening report over policy and keys together) and one apply, which
// writes them in an order that never leaves the policy naming a missing
// key or needing a missing look-aside, and puts back what it wrote when a
// later write fails.

// FileKind says which of the node's files a change is to.
type FileKind string

const (
	KindPolicy     FileKind = "policy"
	KindKey        FileKind = "key"
	KindRegistries FileKind = "registries.d"
)

// stagedFile is a file other than policy.json that the change set writes
// (data) or removes (data nil).
type stagedFile struct {
	kind FileKind
	path string // host path
	// disk is the content when it was first staged (nil: absent), and
	// diskSHA its sum (safefile.ExpectAbsent): the write refuses a file
	// that changed since.
	disk    []byte
	diskSHA string
	data    []byte
}

func (f stagedFile) remove() bool { return f.data == nil }

// editKind says what an edit staged.
type editKind int

const (
	editPolicy editKind = iota // a tree edit (Edit)
	editText                   // text staged for policy.json (StageRaw, QuickFix)
	editFiles                  // key files or registries.d, possibly with a policy part
)

// fileIndex is the position of path among the staged files, or -1.
func (w *Workspace) fileIndex(path string) int {
	for i, f := range w.files {
		if f.path == path {
			return i
		}
	}
	return -1
}

// stageFile adds or replaces the staged content of one file; a file
// staged back to what is on disk is dropped from the change.
func (w *Workspace) stageFile(f stagedFile) {
	if i := w.fileIndex(f.path); i >= 0 {
		prev := w.files[i]
		f.disk, f.diskSHA = prev.disk, prev.diskSHA
		w.files = append(w.files[:i:i], w.files[i+1:]...)
	}
	if (f.data == nil && f.disk == nil) || (f.data != nil && f.disk != nil && bytes.Equal(f.data, f.disk)) {
		return
	}
	w.files = append(w.files, f)
}

// changeFiles runs fn as one undoable edit of the staged files (and,
// through w.staged, of the policy): on error nothing stays staged.
func (w *Workspace) changeFiles(summary string, redo func(*Workspace) error, fn func() error) error {
	policyBefore, filesBefore := w.staged, append([]stagedFile(nil), w.files...)
	if err := fn(); err != nil {
		w.staged, w.files, w.rendered = policyBefore, filesBefore, nil
		return err
	}
	w.history = append(w.history, edit{summary: summary, before: policyBefore, files: filesBefore, kind: editFiles, redo: redo, read: w.readSums(filesBefore)})
	return nil
}

// readSums records, for the files an edit staged, the sums they had on
// disk when it was made, so that Refresh can tell which edits an outside
// change conflicts with.
func (w *Workspace) readSums(before []stagedFile) map[string]string {
	out := map[string]string{}
	for _, f := range w.files {
		changed := true
		for _, b := range before {
			if b.path == f.path && bytes.Equal(b.data, f.data) && (b.data == nil) == (f.data == nil) {
				changed = false
			}
		}
		if changed {
			out[f.path] = f.diskSHA
		}
	}
	for _, b := range before {
		if w.fileIndex(b.path) < 0 {
			out[b.path] = b.diskSHA
		}
	}
	return out
}

// readDisk reads a file the change set may write, with its sum.
func (w *Workspace) readDisk(path string, class nodefs.Kind) ([]byte, string, error) {
	data, err := w.Paths.FS().ReadFile(path, class)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, safefile.ExpectAbsent, nil
	}
	if err != nil {
		return nil, "", err
	}
	return data, safefile.SHA256(data), nil
}

// StageKeyImport stages the public keys in data as a key file in the keys
// directory: gpg.Import decides the file name and refuses private key
// material; nothing is written until Apply. The result says where the
// keys go; its AlreadyIn is set (and nothing staged) when a file of the
// keys directory holds them already.
func (w *Workspace) StageKeyImport(data []byte, opt gpg.ImportOptions) (*gpg.ImportResult, error) {
	opt.DryRun = true
	plan, err := gpg.Import(data, w.Paths, opt)
	if err != nil {
		return nil, err
	}
	if plan.AlreadyIn != "" || plan.Data == nil {
		return plan, nil
	}
	host := w.Paths.Host(plan.NodePath)
	if i := w.fileIndex(host); i >= 0 && !opt.Force && w.files[i].data != nil && !bytes.Equal(w.files[i].data, plan.Data) {
		return nil, fmt.Errorf("%s is staged already with other keys; choose another name, or replace it with --force", plan.NodePath)
	}
	uid := "no user ID"
	if len(plan.Keys) > 0 && len(plan.Keys[0].UserIDs) > 0 {
		uid = plan.Keys[0].UserIDs[0]
	}
	summary := fmt.Sprintf("import key %s (%s) to %s", gpg.ShortFingerprint(plan.Keys[0].Fingerprint), uid, plan.NodePath)
	redo := func(w *Workspace) error { _, err := w.StageKeyImport(data, opt); return err }
	err = w.changeFiles(summary, redo, func() error {
		disk, sum, err := w.readDisk(host, nodefs.KeyFile)
		if err != nil {
			return err
		}
		w.stageFile(stagedFile{kind: KindKey, path: host, disk: disk, diskSHA: sum, data: plan.Data})
		return nil
	})
	return plan, err
}

// StageKeyRemove stages the removal of the key file at nodePath. A file
// the staged policy still uses is refused (gpg.ReferencedError) unless
// dropReferences, which also removes it from every rule in the same edit
// (a rule left without a key becomes reject, so no trust is widened).
func (w *Workspace) StageKeyRemove(nodePath string, dropReferences bool) error {
	host := w.Paths.Host(nodePath)
	summary := "remove key file " + nodePath
	if dropReferences {
		summary += " and the rules' references to it"
	}
	redo := func(w *Workspace) error { return w.StageKeyRemove(nodePath, dropReferences) }
	return w.changeFiles(summary, redo, func() error {
		disk, sum, err := w.readDisk(host, nodefs.KeyFile)
		if err != nil {
			return err
		}
		i := w.fileIndex(host)
		switch {
		case i >= 0 && w.files[i].remove():
			return fmt.Errorf("%s is staged for removal already", nodePath)
		case i < 0 && disk == nil:
			return fmt.Errorf("%s: %w", nodePath, gpg.ErrNotFound)
		}
		// --drop-references edits this workspace's policy only. A file
		// only staged for import leaves the disk as the others see it.
		if disk != nil {
			if other := w.otherReferences(nodePath); len(other) > 0 {
				return &UsedElsewhereError{File: nodePath, UsedBy: other}
			}
		}
		if used := referencesTo(w.staged, nodePath); len(used) > 0 {
			if !dropReferences {
				return &gpg.ReferencedError{File: nodePath, UsedBy: used}
			}
			next := w.staged.Clone()
			gpg.DropReferences(next, nodePath)
			w.staged = next
		}
		w.stageFile(stagedFile{kind: KindKey, path: host, disk: disk, diskSHA: sum})
		return nil
	})
}

// referencesTo lists the requirement lists of p that name nodePath.
func referencesTo(p *model.Policy, nodePath string) []string {
	if p == nil {
		return nil
	}
	var used []string
	p.EachList(func(ref model.ScopeRef, _ model.Pos, reqs model.Requirements) {
		for _, r := range reqs {
			for _, k := range r.KeyRefs() {
				if !k.Inline() && filepath.Clean(k.Path) == filepath.Clean(nodePath) {
					if len(used) == 0 || used[len(used)-1] != ref.String() {
						used = append(used, ref.String())
					}
				}
			}
		}
	})
	return used
}

// StageRegistries stages an edit of registries.d: op is given the
// directory as the runtime would read it with the edits staged so far
// and returns the file changes (RegistriesD.Set, RegistriesD.Remove),
// which it has validated.
func (w *Workspace) StageRegistries(summary string, op func(rd *policyio.RegistriesD) ([]policyio.FileChange, error)) error {
	redo := func(w *Workspace) error { return w.StageRegistries(summary, op) }
	return w.changeFiles(summary, redo, func() error {
		rd, diags := w.StagedRegistries()
		if diags.HasErrors() {
			return fmt.Errorf("registries.d has errors; fix them first (imgtrust lint)")
		}
		changes, err := op(rd)
		if err != nil {
			return err
		}
		for _, c := range changes {
			disk, sum := c.Old, c.OldSHA256
			if i := w.fileIndex(c.Path); i >= 0 {
				disk, sum = w.files[i].disk, w.files[i].diskSHA
			}
			w.stageFile(stagedFile{kind: KindRegistries, path: c.Path, disk: disk, diskSHA: sum, data: c.New})
		}
		return nil
	})
}

// runtime is Runtime with the assumption spelled out.
func (w *Workspace) runtime() policyio.RegistriesRuntime {
	rt := w.Runtime
	if rt.Basis == "" {
		rt.Basis = "the runtime's containers/image version is not known: assuming one before v5.41"
	}
	return rt
}

// StagedRegistries is registries.d as the runtime would read it once the
// change set is applied.
func (w *Workspace) StagedRegistries() (*policyio.RegistriesD, model.Diagnostics) {
	return policyio.LoadRegistriesDOverlay(w.Paths.FS(), w.Paths.RegistriesD, w.runtime(), w.registriesOverlay())
}

// StagedKeys reads key files (by node path) as they would be once the
// change set is applied: a staged file's new content, a removed one
// missing, the rest from disk.
func (w *Workspace) StagedKeys() policyio.KeyFiles {
	disk := w.Keys
	if disk == nil {
		disk = policyio.DiskKeyFiles(w.Paths)
	}
	staged := map[string][]byte{}
	removed := map[string]bool{}
	for _, f := range w.files {
		if f.kind != KindKey {
			continue
		}
		if f.remove() {
			removed[f.path] = true
		} else {
			staged[f.path] = f.data
		}
	}
	if len(staged) == 0 && len(removed) == 0 {
		return disk
	}
	return func(nodePath string) ([]byte, error) {
		host := w.Paths.Host(filepath.Clean(nodePath))
		if d, ok := staged[host]; ok {
			return d, nil
		}
		if removed[host] {
			return nil, fmt.Errorf("%s is removed by the staged change: %w", nodePath, fs.ErrNotExist)
		}
		return disk(nodePath)
	}
}

// HasChanges reports whether an apply would write anything: a policy
// edit or a staged file (Dirty).
func (w *Workspace) HasChanges() bool { return w.Dirty() }

// OutsideChange is a file that changed on disk since the workspace read
// it.
type OutsideChange struct {
	Path string   `json:"path"`
	Kind FileKind `json:"kind"`
	What string   `json:"what"` // "modified", "created", "deleted"
}

// OutsideChangeError refuses to review or apply a change over files that
// changed on disk since they were read: the diff would not show what the
// write does. Nothing was written.
type OutsideChangeError struct{ Changes []OutsideChange }

func (e *OutsideChangeError) Error() string {
	var parts []string
	for _, c := range e.Changes {
		parts = append(parts, c.Path+" ("+c.What+")")
	}
	return "changed on disk since imgtrust read it: " + strings.Join(parts, ", ") +
		"; reload to see the other change (staged edits that still apply are kept); nothing was written"
}

// OutsideChanges lists the files of the change set (policy.json and every
// staged file) that changed on disk since they were read.
func (w *Workspace) OutsideChanges() []OutsideChange {
	var out []OutsideChange
	check := func(kind FileKind, path, was string) {
		now, err := safefile.HashIn(w.Paths.FS(), path)
		if err == nil && now == was {
			return
		}
		what := "modified"
		switch {
		case err != nil:
			// Replaced by a directory, a FIFO, a file too large: not what
			// was read either.
			what = "unreadable now: " + err.Error()
		case was == safefile.ExpectAbsent:
			what = "created"
		case now == safefile.ExpectAbsent:
			what = "deleted"
		}
		out = append(out, OutsideChange{Path: path, Kind: kind, What: what})
	}
	check(KindPolicy, w.policyFile.Path, w.policyFile.SHA256)
	for _, f := range w.files {
		check(f.kind, f.path, f.diskSHA)
	}
	return out
}

// Review is everything a save would do, shown before it is confirmed.
type Review struct {
	// Files are the changes in the order Apply writes them.
	Files []FileChange `json:"files"`
	// Diff is one unified diff over every file (key files as their keys).
	Diff string `json:"diff"`
	// Widenings say how the change widens trust, policy and key files
	// together (registries.d only says where signatures are read, and
	// never widens what the policy accepts: see policyio.Widenings).
	Widenings []policyio.Weakening `json:"widenings"`
	// Errors are the errors of the staged policy and of registries.d as
	// staged; Apply refuses them.
	Errors model.Diagnostics `json:"errors,omitempty"`
	// KeyWarnings name staged key files the node's mechanism cannot use.
	KeyWarnings []string `json:"key_warnings,omitempty"`
	// Candidate is the configuration after the change, for the impact
	// check (impact.Config): its policy (nil when invalid), key files and
	// look-aside.
	CandidatePolicy     *model.Policy         `json:"-"`
	CandidateKeys       policyio.KeyFiles     `json:"-"`
	CandidateRegistries *policyio.RegistriesD `json:"-"`
	// Summary is the one line the audit log records; Edits the staged
	// edits, oldest first.
	Summary string   `json:"summary"`
	Edits   []string `json:"edits"`
}

// Review checks that no file of the change set changed on disk (an
// *OutsideChangeError otherwise: the diff would be stale), then describes
// every file the change writes, in apply order, with one diff and the
// widening report. A change that writes nothing has no Files.
func (w *Workspace) Review() (*Review, error) {
	if out := w.OutsideChanges(); len(out) > 0 {
		return nil, &OutsideChangeError{Changes: out}
	}
	rev := &Review{Widenings: []policyio.Weakening{}, Edits: w.Edits(), Summary: w.summary()}
	pc, err := w.PolicyChange()
	if err != nil {
		return nil, err
	}
	// What the runtime would refuse to load: the staged policy's errors
	// and, when the change writes registries.d, the directory's.
	rev.Errors = append(w.StagedErrors(), w.registriesErrors()...)
	// Unchanged, the policy is what pods see today (BaselinePolicy: nil
	// when the node's release refuses it; the global one for a namespace
	// without its file yet).
	rev.CandidatePolicy = w.BaselinePolicy()
	if pc != nil {
		r := w.render()
		rev.CandidatePolicy = r.pol
		if r.err != nil || r.diags.HasErrors() {
			// A policy the runtime cannot load accepts nothing.
			rev.CandidatePolicy = nil
		}
		pc.Kind, pc.OldSHA256 = KindPolicy, w.policyFile.SHA256
		// One diff over the node's files names them as the node does.
		if node := w.Paths.Node(pc.Path); node != pc.Path {
			pc.Diff = strings.Replace(pc.Diff, pc.Path, node, 2)
		}
	}
	rev.CandidateKeys = w.StagedKeys()
	rev.CandidateRegistries, _ = w.StagedRegistries()
	mech := w.mechanism()
	add := func(f stagedFile) {
		fc := FileChange{Path: f.path, Old: f.disk, New: f.data, Kind: f.kind, Remove: f.remove(), OldSHA256: f.diskSHA}
		node := w.Paths.Node(f.path)
		switch f.kind {
		case KindKey:
			fc.Diff = keyFileDiff(node, f.disk, f.data, mech)
			if f.data != nil {
				if warn := unusableKeys(f.data, mech); warn != "" {
					rev.KeyWarnings = append(rev.KeyWarnings, node+": "+warn)
				}
			}
		default:
			newLabel := node + " (new)"
			if f.remove() {
				newLabel = "/dev/null"
			}
			oldLabel := node
			if f.disk == nil {
				oldLabel = "/dev/null"
			}
			fc.Diff = unifiedDiff(oldLabel, newLabel, string(f.disk), string(f.data))
		}
		rev.Files = append(rev.Files, fc)
	}
	for _, order := range applyOrder {
		for _, f := range w.files {
			if order.kind == KindPolicy || f.kind != order.kind || f.remove() != order.remove {
				continue
			}
			add(f)
		}
		if order.kind == KindPolicy && pc != nil {
			pc.Weakenings = nil // reported once, for the whole change, below
			rev.Files = append(rev.Files, *pc)
		}
	}
	var b strings.Builder
	for _, fc := range rev.Files {
		b.WriteString(fc.Diff)
		if fc.Diff != "" && !strings.HasSuffix(fc.Diff, "\n") {
			b.WriteByte('\n')
		}
	}
	rev.Diff = b.String()
	if len(rev.Files) > 0 {
		rev.Widenings = policyio.Widenings(
			policyio.TrustState{Policy: w.BaselinePolicy(), Keys: w.Keys},
			policyio.TrustState{Policy: rev.CandidatePolicy, Keys: rev.CandidateKeys}, w.CompareKeys)
		if w.stagesKeys() {
			rev.Widenings = append(rev.Widenings, w.otherWidenings(rev.CandidateKeys)...)
		}
		if rev.Widenings == nil {
			rev.Widenings = []policyio.Weakening{}
		}
	}
	return rev, nil
}

// stagesKeys reports whether the change writes a key file.
func (w *Workspace) stagesKeys() bool {
	for _, f := range w.files {
		if f.kind == KindKey {
			return true
		}
	}
	return false
}

// applyOrder is the order Apply writes in: new key files first, so that
// no policy names a missing key; registries.d before the policy that may
// need its look-aside; policy.json; then the key files it stopped using.
var applyOrder = []struct {
	kind   FileKind
	remove bool
}{
	{KindKey, false},
	{KindRegistries, false},
	{KindRegistries, true},
	{KindPolicy, false},
	{KindKey, true},
}

// mechanism is the node's OpenPGP mechanism, detected once.
func (w *Workspace) mechanism() gpg.Mechanism {
	if w.Mechanism == "" {
		w.Mechanism = gpg.DetectMechanism(w.Paths.Root).Mechanism
	}
	return w.Mechanism
}

// keyFileDiff shows a key file change as its keys: fingerprint, user
// IDs, algorithm and whether the node's mechanism loads each, never the
// bytes.
func keyFileDiff(node string, old, cur []byte, mech gpg.Mechanism) string {
	oldLabel, newLabel := node, node+" (new)"
	if old == nil {
		oldLabel = "/dev/null"
	}
	if cur == nil {
		newLabel = "/dev/null"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", oldLabel, newLabel)
	write := func(sign string, data []byte) {
		for _, l := range keyLines(data, mech) {
			b.WriteString(sign + l + "\n")
		}
	}
	if old != nil {
		write("-", old)
	}
	if cur != nil {
		write("+", cur)
	}
	return b.String()
}

// keyLines describes the keys of one key file.
func keyLines(data []byte, mech gpg.Mechanism) []string {
	kr, err := gpg.ParseKeyring(data)
	if err != nil {
		return []string{fmt.Sprintf("key file (%d bytes) that does not parse: %v", len(data), err)}
	}
	loaded := map[string]bool{}
	fprs, loadErr := gpg.RuntimeFingerprints(data, mech, time.Now())
	for _, f := range fprs {
		loaded[f] = true
	}
	var out []string
	for _, k := range kr.Keys {
		out = append(out, "key "+gpg.GroupFingerprint(k.Fingerprint))
		for _, u := range k.UserIDs {
			// Escaped: a newline in a user ID must not forge a line of
			// the diff (a fingerprint of another key, say).
			out = append(out, "  user ID   "+termsafe.String(u))
		}
		algo := k.Algorithm
		// Bits says something for RSA and DSA; for an elliptic-curve key
		// it is the encoded point's length (515 for P-256), which misleads.
		if k.Bits > 0 && !strings.HasPrefix(k.Algorithm, "EC") && !strings.HasPrefix(k.Algorithm, "EdDSA") {
			algo = fmt.Sprintf("%s %d", k.Algorithm, k.Bits)
		}
		out = append(out, "  algorithm "+algo)
		verdict := "loads it"
		if !loaded[k.Fingerprint] {
			verdict = "CANNOT use it"
			if loadErr != nil {
				verdict += ": " + termsafe.String(loadErr.Error())
			}
		}
		out = append(out, fmt.Sprintf("  node      %s %s", mech, verdict))
	}
	return out
}

// unusableKeys says which keys of a staged key file the node's mechanism
// does not load ("" when it loads all).
func unusableKeys(data []byte, mech gpg.Mechanism) string {
	kr, err := gpg.ParseKeyring(data)
	if err != nil {
		return err.Error()
	}
	fprs, _ := gpg.RuntimeFingerprints(data, mech, time.Now())
	loaded := map[string]bool{}
	for _, f := range fprs {
		loaded[f] = true
	}
	var bad []string
	for _, k := range kr.Keys {
		if !loaded[k.Fingerprint] {
			bad = append(bad, gpg.ShortFingerprint(k.Fingerprint))
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("the node's mechanism (%s) cannot use key(s) %s: signatures by them are rejected", mech, strings.Join(bad, ", "))
}

// ApplyOptions control Apply.
type ApplyOptions struct {
	// Summary is the audit log's line; empty: from the edits.
	Summary string
	// AllowWeaken is the admin's consent to the Review's widenings.
	AllowWeaken bool
}

// WrittenFile is one file Apply changed, with what it held before: what
// an automatic revert needs to put it back.
type WrittenFile struct {
	Path string   `json:"path"` // host path (a link's target when it was a link)
	Kind FileKind `json:"kind"`
	Op   string   `json:"op"` // "write" or "remove"
	// Existed says whether the file existed before; Previous is what it
	// held (nil when it did not exist).
	Existed  bool   `json:"existed"`
	Previous []byte `json:"-"`
	// BackupPath is the backup safefile kept ("" when none: a new file,
	// or one that held private key material).
	BackupPath string `json:"backup,omitempty"`
	OldSHA256  string `json:"old_sha256,omitempty"`
	NewSHA256  string `json:"new_sha256,omitempty"`
}

// ApplyResult lists the files an apply wrote, in the order written.
type ApplyResult struct {
	Files   []WrittenFile `json:"files"`
	Summary string        `json:"summary"`
}

// RollbackError reports a write that failed after others succeeded: the
// files already written were put back as they were (RolledBack), except
// NotRestored, which the admin must restore from their backups.
type RollbackError struct {
	Failed      string
	Err         error
	RolledBack  []string
	NotRestored []string
}

func (e *RollbackError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "writing %s failed: %v", e.Failed, e.Err)
	switch {
	case len(e.RolledBack) == 0 && len(e.NotRestored) == 0:
		b.WriteString("; nothing was written")
	case len(e.NotRestored) == 0:
		fmt.Fprintf(&b, "; rolled back %s: every file is as it was", strings.Join(e.RolledBack, ", "))
	default:
		if len(e.RolledBack) > 0 {
			fmt.Fprintf(&b, "; rolled back %s", strings.Join(e.RolledBack, ", "))
		}
		fmt.Fprintf(&b, "; could NOT restore %s: restore from the %s backups", strings.Join(e.NotRestored, ", "), safefile.BackupSuffix)
	}
	return b.String()
}

func (e *RollbackError) Unwrap() error { return e.Err }

// Apply writes the change set: each file atomically with its backup, in
// applyOrder, each refused if it changed on disk since it was read. When
// a write fails, the files already written are put back and the error
// (*RollbackError) says so. One audit entry names every file. After a
// successful apply the workspace holds the files as written and no edits.
func (w *Workspace) Apply(opt ApplyOptions) (*ApplyResult, error) {
	rev, err := w.Review()
	if err != nil {
		return nil, err
	}
	summary := opt.Summary
	if summary == "" {
		summary = rev.Summary
	}
	res := &ApplyResult{Summary: summary}
	if len(rev.Files) == 0 {
		return res, nil
	}
	if len(rev.Errors) > 0 {
		return nil, &policyio.InvalidError{Diags: rev.Errors}
	}
	if len(rev.Widenings) > 0 && !opt.AllowWeaken {
		return nil, &policyio.WeakenError{Changes: rev.Widenings}
	}
	if finds := policyio.FindPrivate(w.staged); len(finds) > 0 && w.policyEdited() {
		return nil, &policyio.PrivateKeyError{Path: w.Paths.Policy, Finds: finds}
	}
	pfBefore := *w.policyFile
	for _, fc := range rev.Files {
		wf, err := w.write(fc, summary)
		if err != nil {
			rb := &RollbackError{Failed: w.Paths.Node(fc.Path), Err: err}
			for i := len(res.Files) - 1; i >= 0; i-- {
				done := res.Files[i]
				if rerr := w.restore(done); rerr != nil {
					rb.NotRestored = append(rb.NotRestored, w.Paths.Node(done.Path))
					continue
				}
				if done.Kind == KindPolicy {
					*w.policyFile = pfBefore
				}
				rb.RolledBack = append(rb.RolledBack, w.Paths.Node(done.Path))
			}
			if len(rb.NotRestored) > 0 {
				w.auditResult(res.Files, summary+" (apply failed; some files could not be restored)")
			}
			return nil, rb
		}
		res.Files = append(res.Files, wf)
	}
	w.files, w.history, w.rendered, w.base = nil, nil, nil, nil
	w.staged = w.policyFile.Policy
	if err := w.auditResult(res.Files, summary); err != nil {
		return res, &AuditError{Err: err}
	}
	return res, nil
}

// AuditError is an apply whose files were all written but whose audit
// entry was not: the change is in force.
type AuditError struct{ Err error }

func (e *AuditError) Error() string {
	return "the change was written, but the audit log was not: " + e.Err.Error()
}

func (e *AuditError) Unwrap() error { return e.Err }

// Written says the files were written (the TUI must not say "nothing
// changed").
func (e *AuditError) Written() bool { return true }

func (w *Workspace) auditResult(files []WrittenFile, summary string) error {
	var af []safefile.AuditFile
	for _, f := range files {
		af = append(af, safefile.AuditFile{Op: f.Op, Path: f.Path, Before: f.OldSHA256, After: f.NewSHA256})
	}
	return safefile.AuditChange(safefile.Options{AuditLog: w.AuditLog, Summary: summary, FS: w.Paths.FS()}, af)
}

// write writes one file of the change; the audit entry is Apply's.
func (w *Workspace) write(fc FileChange, summary string) (WrittenFile, error) {
	wf := WrittenFile{Path: fc.Path, Kind: fc.Kind, Op: "write", Existed: fc.Old != nil, Previous: fc.Old}
	if fc.Remove {
		wf.Op = "remove"
	}
	if w.failWrite != nil {
		if err := w.failWrite(fc.Path); err != nil {
			return wf, err
		}
	}
	// A backup of a file that holds private key material would be one
	// more copy of it.
	backup := fc.Old == nil || gpg.FindSecret(fc.Old) == nil
	opt := safefile.Options{ExpectSHA256: fc.OldSHA256, Mode: 0o644, Backup: backup, FS: w.Paths.FS()}
	var r safefile.Result
	var err error
	switch {
	case fc.Kind == KindPolicy:
		// The text the review showed, which keeps the file's layout.
		r, err = policyio.SavePolicy(w.policyFile, w.staged, policyio.SaveOptions{Summary: summary, AllowWeaken: true, Keys: w.Keys, CompareKeys: w.CompareKeys, Text: fc.New})
	case fc.Remove:
		r, err = safefile.Remove(fc.Path, opt)
	default:
		// Key files must never stay writable by others.
		opt.SetMode = fc.Kind == KindKey
		r, err = safefile.Write(fc.Path, fc.New, opt)
	}
	if err != nil {
		return wf, err
	}
	wf.Path, wf.BackupPath, wf.OldSHA256, wf.NewSHA256 = r.Path, r.BackupPath, r.OldSHA256, r.NewSHA256
	return wf, nil
}

// restore puts one written file back as it was.
func (w *Workspace) restore(f WrittenFile) error {
	opt := safefile.Options{ExpectSHA256: f.NewSHA256, Mode: 0o644, FS: w.Paths.FS()}
	switch {
	case f.Op == "remove":
		opt.ExpectSHA256 = safefile.ExpectAbsent
		_, err := safefile.Write(f.Path, f.Previous, opt)
		return err
	case !f.Existed:
		_, err := safefile.Remove(f.Path, opt)
		return err
	default:
		_, err := safefile.Write(f.Path, f.Previous, opt)
		return err
	}
}

// Restore puts back the files of an apply, last written first: the
// previous content of each, a new file removed, a removed one written
// again; each refused if it changed since the apply wrote it. It returns
// the node paths it could not restore with the first error.
func (w *Workspace) Restore(res *ApplyResult) ([]string, error) {
	var failed []string
	var first error
	for i := len(res.Files) - 1; i >= 0; i-- {
		if err := w.restore(res.Files[i]); err != nil {
			failed = append(failed, w.Paths.Node(res.Files[i].Path))
			if first == nil {
				first = err
			}
		}
	}
	return failed, first
}

// ReloadResult says what Refresh did with the staged edits.
type ReloadResult struct {
	// Outside lists the files that had changed on disk.
	Outside []OutsideChange `json:"outside"`
	// Reapplied are the edits staged again over the files as they are.
	Reapplied []string `json:"reapplied"`
	// Conflicts are the edits dropped because an outside change touched
	// what they change.
	Conflicts []Conflict `json:"conflicts"`
}

// Conflict is a staged edit that no longer applies.
type Conflict struct {
	Edit string `json:"edit"`
	Why  string `json:"why"`
}

// Refresh re-reads every file and stages the edits again over them: an
// edit that touches what changed on disk (the same policy scopes, a
// policy text over a changed file, a key file or registries.d file that
// changed) is dropped and named; the others are re-applied in order.
func (w *Workspace) Refresh() (*ReloadResult, error) {
	res := &ReloadResult{Outside: w.OutsideChanges()}
	oldPF, oldHist, oldStaged := w.policyFile, w.history, w.staged
	if err := w.Reload(); err != nil {
		return nil, err
	}
	policyOutside := oldPF.SHA256 != w.policyFile.SHA256
	var outsideScopes map[string]bool
	if policyOutside {
		outsideScopes = changedLists(oldPF.Policy, w.policyFile.Policy)
	}
	for i, e := range oldHist {
		after := oldStaged
		if i+1 < len(oldHist) {
			after = oldHist[i+1].before
		}
		why := ""
		for path, sum := range e.read {
			if now, err := safefile.HashIn(w.Paths.FS(), path); err != nil || now != sum {
				why = w.Paths.Node(path) + " changed on disk"
				break
			}
		}
		if why == "" && policyOutside && after != e.before {
			if e.kind == editText {
				why = "policy.json changed on disk, and this edit replaces its text"
			} else if both := overlap(changedLists(e.before, after), outsideScopes); len(both) > 0 {
				why = "policy.json changed on disk in " + strings.Join(both, ", ")
			}
		}
		if why == "" && e.redo != nil {
			if err := e.redo(w); err != nil {
				why = err.Error()
			}
		}
		if why != "" {
			res.Conflicts = append(res.Conflicts, Conflict{Edit: e.summary, Why: why})
			continue
		}
		res.Reapplied = append(res.Reapplied, e.summary)
	}
	return res, nil
}

// changedLists names the requirement lists (scopes and the default) whose
// requirements differ between a and b; every list when either is nil.
func changedLists(a, b *model.Policy) map[string]bool {
	lists := func(p *model.Policy) map[string]string {
		out := map[string]string{}
		if p == nil {
			return out
		}
		p.EachList(func(ref model.ScopeRef, _ model.Pos, reqs model.Requirements) {
			data, _ := policyio.MarshalPolicy(&model.Policy{Default: reqs})
			out[ref.String()] = string(data)
		})
		return out
	}
	x, y := lists(a), lists(b)
	out := map[string]bool{}
	if (a == nil) != (b == nil) {
		out["*"] = true
	}
	for k, v := range x {
		if y[k] != v {
			out[k] = true
		}
	}
	for k, v := range y {
		if x[k] != v {
			out[k] = true
		}
	}
	return out
}

func overlap(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if b[k] || b["*"] || k == "*" && len(b) > 0 {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// StagedFile is a key file or registries.d file the change set writes or
// removes, for views that list what is staged.
type StagedFile struct {
	Kind   FileKind
	Data   []byte // what the save writes; nil when Remove
	Remove bool
}

// StagedFiles maps the host path of every staged file to what the save
// does to it.
func (w *Workspace) StagedFiles() map[string]StagedFile {
	out := make(map[string]StagedFile, len(w.files))
	for _, f := range w.files {
		out[f.path] = StagedFile{Kind: f.kind, Data: f.data, Remove: f.remove()}
	}
	return out
}
