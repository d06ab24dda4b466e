package trial

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/safefile"
)

// Node paths of the trial's own files.
const (
	RecordPath = "/var/lib/imgtrust/trial.json"
	lockName   = "trial.lock"
)

// States of a record.
const (
	Pending = "pending"
	// RevertFailed: at least one file could not be restored; the record
	// stays until the admin acknowledges it (Acknowledge).
	RevertFailed = "revert-failed"
)

// File is one file a trial changed, with what it held before.
type File struct {
	// Path is the node path (as the node sees it, not under --root).
	Path    string      `json:"path"`
	Existed bool        `json:"existed"`
	Mode    fs.FileMode `json:"mode,omitempty"`
	// Previous is the exact content before the change (base64 in JSON).
	// Only public material is ever here: imgtrust refuses private keys.
	Previous       []byte `json:"previous,omitempty"`
	PreviousSHA256 string `json:"previous_sha256,omitempty"`
	// AppliedSHA256 is what the change wrote; "" when it removed the file.
	AppliedSHA256 string `json:"applied_sha256,omitempty"`
}

// Record is a trial in progress.
type Record struct {
	ID       string    `json:"id"`
	Summary  string    `json:"summary"`
	User     string    `json:"user,omitempty"`
	Applied  time.Time `json:"applied"`
	Deadline time.Time `json:"deadline"`
	State    string    `json:"state"`
	Files    []File    `json:"files"`
	// WatcherPID is the detached watcher's process (informational).
	WatcherPID int `json:"watcher_pid,omitempty"`
	// Failures says, per file, why a revert could not restore it.
	Failures []string  `json:"failures,omitempty"`
	Reverted time.Time `json:"reverted,omitempty"`
}

// Store reads and writes the trial record of one node.
type Store struct {
	Paths node.Paths
	// AuditLog is the host path of the audit log ("" for none).
	AuditLog string
	Now      func() time.Time
}

func (s Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s Store) recordHost() string { return s.Paths.Host(RecordPath) }

// maxRecord caps the record read back: it holds the previous files, which
// are capped themselves (policy.json 64 MB).
var recordKind = nodefs.Kind{Name: "trial record", Max: 256 << 20}

// Load returns the record, nil when no trial is in progress.
func (s Store) Load() (*Record, error) {
	// The record must be a file of its own: through a symlink to
	// policy.json, Confirm's removal removed policy.json, and a save
	// would write the record over it.
	if dir, err := s.Paths.FS().OpenDir(filepath.Dir(s.recordHost()), false); err == nil {
		fi, err := dir.Lstat(filepath.Base(RecordPath))
		dir.Close()
		if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, &recordError{fmt.Errorf("reading the trial record: %s is a symbolic link", RecordPath)}
		}
	}
	data, err := s.Paths.FS().ReadFile(s.recordHost(), recordKind)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &recordError{fmt.Errorf("reading the trial record: %w", err)}
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, &recordError{fmt.Errorf("reading the trial record %s: %w", RecordPath, err)}
	}
	// Any JSON object unmarshals: one without an id and a known state is
	// not a record Begin wrote.
	if r.ID == "" || (r.State != Pending && r.State != RevertFailed) {
		return nil, &recordError{fmt.Errorf("reading the trial record %s: not a trial record (no id, or an unknown state %q)", RecordPath, r.State)}
	}
	return &r, nil
}

func (s Store) save(r *Record) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	// Owner-only: it is the node's configuration history, not for others.
	_, err = safefile.Write(s.recordHost(), append(data, '\n'), safefile.Options{ExpectSHA256: safefile.ExpectAny, Mode: 0o600, SetMode: true, FS: s.Paths.FS()})
	if err != nil {
		return fmt.Errorf("writing the trial record: %w", err)
	}
	return nil
}

func (s Store) drop() error {
	_, err := safefile.Remove(s.recordHost(), safefile.Options{ExpectSHA256: safefile.ExpectAny, FS: s.Paths.FS()})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (s Store) audit(action, summary string) {
	if s.AuditLog == "" {
		return
	}
	// The audit line is the record of the trial; a failure to write it
	// must not stop a revert.
	_ = safefile.Audit(safefile.Options{AuditLog: s.AuditLog, Summary: summary, FS: s.Paths.FS()}, action, RecordPath, "", "")
}

// Lock serializes trial operations across processes (the watcher and any
// command that starts) with an flock on the record's directory.
func (s Store) Lock() (unlock func(), err error) {
	dir, err := s.Paths.FS().OpenDir(filepath.Dir(s.recordHost()), true)
	if err != nil {
		return nil, fmt.Errorf("locking the trial record: %w", err)
	}
	defer dir.Close()
	// The lock file holds nothing: anything else in its place (a
	// symlink out of the directory, a FIFO) is removed, so that it cannot
	// make every trial operation, confirm included, fail for good.
	if fi, err := dir.Lstat(lockName); err == nil && !fi.Mode().IsRegular() {
		if err := dir.Remove(lockName); err != nil {
			return nil, fmt.Errorf("locking the trial record: %s is not a regular file and cannot be removed: %w", lockName, err)
		}
	}
	f, err := dir.OpenFile(lockName, os.O_CREATE|os.O_RDWR|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the trial record: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the trial record: %w", err)
	}
	return func() { f.Close() }, nil
}

// Begin records a trial of files for d. It refuses while another trial is
// recorded.
func (s Store) Begin(summary, user string, files []File, d time.Duration) (*Record, error) {
	unlock, err := s.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if cur, err := s.Load(); err != nil {
		return nil, err
	} else if cur != nil {
		return nil, &BusyError{Record: cur}
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	now := s.now().UTC()
	r := &Record{ID: hex.EncodeToString(id), Summary: summary, User: user, Applied: now, Deadline: now.Add(d), State: Pending, Files: files}
	if err := s.save(r); err != nil {
		return nil, err
	}
	s.audit("trial-apply", fmt.Sprintf("%s; reverted at %s unless confirmed (trial %s, %d file(s))", summary, r.Deadline.Format(time.RFC3339), r.ID, len(files)))
	return r, nil
}

// SetWatcher records the watcher's process id.
func (s Store) SetWatcher(id string, pid int) error {
	unlock, err := s.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	r, err := s.Load()
	if err != nil || r == nil || r.ID != id {
		return err
	}
	r.WatcherPID = pid
	return s.save(r)
}

// BusyError: a trial is recorded already.
type BusyError struct{ Record *Record }

func (e *BusyError) Error() string {
	if e.Record.State == RevertFailed {
		return fmt.Sprintf("the revert of the trial %q failed; restore the files by hand, then run imgtrust confirm to clear it", e.Record.Summary)
	}
	return fmt.Sprintf("the trial %q is in progress until %s: run imgtrust confirm to keep it, or wait for its revert", e.Record.Summary, e.Record.Deadline.Local().Format("15:04:05"))
}

// Confirm keeps a pending trial's change (or acknowledges a failed
// revert) and removes the record. It returns the record, nil when there
// was no trial.
func (s Store) Confirm() (*Record, error) {
	unlock, err := s.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	r, err := s.Load()
	if err != nil {
		// A record that cannot be read (truncated, not JSON, a FIFO,
		// too big) cannot be reverted either, and would refuse every
		// change forever: confirm is the admin's way out. It is moved
		// aside, not deleted, as the only copy of the previous files.
		var re *recordError
		if errors.As(err, &re) {
			err = re.err // said in UnreadableError's own words
		}
		aside, merr := s.moveAside()
		if merr != nil {
			return nil, fmt.Errorf("%w; it could not be moved aside: %w", err, merr)
		}
		s.audit("trial-discard-unreadable", fmt.Sprintf("unreadable trial record moved to %s", aside))
		return nil, &UnreadableError{Err: err, Aside: aside}
	}
	if r == nil {
		return nil, nil
	}
	if err := s.drop(); err != nil {
		return nil, err
	}
	action := "trial-confirm"
	if r.State == RevertFailed {
		action = "trial-acknowledge"
	}
	s.audit(action, fmt.Sprintf("%s (trial %s)", r.Summary, r.ID))
	return r, nil
}

// recordError is a record Load cannot use; it says the way out.
type recordError struct{ err error }

func (e *recordError) Error() string { return e.err.Error() + " (imgtrust confirm moves it aside)" }
func (e *recordError) Unwrap() error { return e.err }

// UnreadableError: Confirm found a record it could not read and moved it
// to Aside (a node path); nothing was reverted.
type UnreadableError struct {
	Err   error
	Aside string
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("%v: nothing was reverted; the record was moved to %s (restore by hand what it held if needed)", e.Err, e.Aside)
}

func (e *UnreadableError) Unwrap() error { return e.Err }

// moveAside renames the record (whatever it is: a FIFO is not opened) to
// a dated name beside it and returns its node path.
func (s Store) moveAside() (string, error) {
	dir, err := s.Paths.FS().OpenDir(filepath.Dir(s.recordHost()), false)
	if err != nil {
		return "", err
	}
	defer dir.Close()
	name := filepath.Base(RecordPath) + ".unreadable-" + s.now().UTC().Format("20060102T150405.000000000")
	if err := dir.Rename(filepath.Base(RecordPath), name); err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(RecordPath), name), nil
}

// Outcome is what CheckDue or Revert did.
type Outcome struct {
	// Reverted is the trial reverted now; nil when nothing was due.
	Reverted *Record
	// Failed is a trial whose revert could not restore every file, now or
	// earlier: it is reported by every command until acknowledged.
	Failed *Record
}

// CheckDue reverts a pending trial whose deadline has passed. With id
// set, only that trial (the watcher's own).
func (s Store) CheckDue(id string) (Outcome, error) {
	// No lock (and no directory made) when there is no record: most
	// commands run on nodes with no trial.
	if r, err := s.Load(); err != nil || r == nil {
		return Outcome{}, err
	}
	unlock, err := s.Lock()
	if err != nil {
		return Outcome{}, err
	}
	defer unlock()
	r, err := s.Load()
	if err != nil || r == nil {
		return Outcome{}, err
	}
	if id != "" && r.ID != id {
		return Outcome{}, nil
	}
	switch {
	case r.State == RevertFailed:
		return Outcome{Failed: r}, nil
	case r.State == Pending && !s.now().Before(r.Deadline):
		return s.revert(r)
	}
	return Outcome{}, nil
}

// revert puts every file back; the caller holds the lock.
func (s Store) revert(r *Record) (Outcome, error) {
	var failures []string
	node := s.Paths.FS()
	summary := fmt.Sprintf("trial revert: %s (trial %s, not confirmed by %s)", r.Summary, r.ID, r.Deadline.Format(time.RFC3339))
	for _, f := range r.Files {
		host, ok := s.managed(f.Path)
		if !ok {
			failures = append(failures, fmt.Sprintf("%s: not a file imgtrust changes (policy.json, registries.d or the keys directory of this node): left alone", f.Path))
			continue
		}
		opt := safefile.Options{ExpectSHA256: safefile.ExpectAny, Backup: true, AuditLog: s.AuditLog, Summary: summary, FS: node}
		var err error
		if f.Existed {
			// The copy must be what was captured (a record cut or
			// damaged on disk would restore garbage), and a node
			// configuration file is never made world-writable.
			if safefile.SHA256(f.Previous) != f.PreviousSHA256 {
				failures = append(failures, fmt.Sprintf("%s: the record's copy of the previous file is damaged (SHA-256 differs): left alone", f.Path))
				continue
			}
			opt.Mode, opt.SetMode = f.Mode.Perm()&^0o002, f.Mode != 0
			_, err = safefile.Write(host, f.Previous, opt)
		} else {
			_, err = safefile.Remove(host, opt)
			if errors.Is(err, fs.ErrNotExist) {
				err = nil // gone already: as it was
			}
		}
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s: %v", f.Path, err))
		}
	}
	r.Reverted = s.now().UTC()
	if len(failures) > 0 {
		r.State, r.Failures = RevertFailed, failures
		s.audit("trial-revert-failed", summary+": "+strings.Join(failures, "; "))
		if err := s.save(r); err != nil {
			return Outcome{Failed: r}, fmt.Errorf("the revert failed and its record could not be kept: %w", err)
		}
		return Outcome{Failed: r}, nil
	}
	s.audit("trial-revert", summary)
	if err := s.drop(); err != nil {
		return Outcome{Reverted: r}, fmt.Errorf("reverted, but the trial record could not be removed: %w", err)
	}
	return Outcome{Reverted: r}, nil
}

// managed maps a record's node path to the host path a revert may write:
// only the files Capture takes (policy.json, and the files directly in
// registries.d and the keys directory), so that a record that was
// tampered with, or made by another layout, cannot have a revert write
// a file the trial never captured (/etc/shadow, a binary, a path with
// "..").
//
// The layout is this command's (its --policy, --registries.d, --keys-dir)
// and the node's default one: a trial of the default files is reverted by
// a later command run with an override too.
func (s Store) managed(nodePath string) (string, bool) {
	if nodePath == "" || !filepath.IsAbs(nodePath) || filepath.Clean(nodePath) != nodePath {
		return "", false
	}
	dir, base := filepath.Split(nodePath)
	dir = filepath.Clean(dir)
	for _, p := range []node.Paths{s.Paths, node.NewPaths(s.Paths.Root, "", "", "")} {
		if nodePath == p.Node(p.Policy) {
			return p.Policy, true
		}
		if strings.HasPrefix(base, ".") || strings.HasSuffix(base, safefile.BackupSuffix) {
			continue
		}
		for _, d := range []string{p.RegistriesD, p.KeysDir} {
			if dir == p.Node(d) {
				return filepath.Join(d, base), true
			}
		}
	}
	return "", false
}

// Prior is a file's content before a change; Data is nil when it did not
// exist.
type Prior struct {
	Existed bool
	Mode    fs.FileMode
	Data    []byte
}

// Snapshot maps host paths to their content at one moment.
type Snapshot map[string]Prior

// Capture reads the files a change command may write: policy.json, every
// file in registries.d and the keys directory, and extra (host paths).
// Backups and temporary files are not the change's own and are left out.
func Capture(paths node.Paths, extra ...string) (Snapshot, error) {
	snap := Snapshot{}
	for _, host := range candidates(paths, extra) {
		p, err := read(paths.FS(), host)
		if err != nil {
			return nil, err
		}
		snap[host] = p
	}
	return snap, nil
}

// FromPrevious builds a Snapshot from what a writer recorded before it
// wrote (a change set's Apply): absent files have a nil Data and
// Existed false.
func FromPrevious(files map[string]Prior) Snapshot { return Snapshot(files) }

func candidates(paths node.Paths, extra []string) []string {
	set := map[string]bool{paths.Policy: true}
	for _, e := range extra {
		set[e] = true
	}
	for _, dir := range []string{paths.RegistriesD, paths.KeysDir} {
		entries, _ := paths.FS().ReadDir(dir)
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || strings.HasSuffix(n, safefile.BackupSuffix) || strings.HasPrefix(n, ".") {
				continue
			}
			set[filepath.Join(dir, n)] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func read(node nodefs.FS, host string) (Prior, error) {
	data, err := node.ReadFile(host, nodefs.ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Prior{}, nil
	}
	if err != nil {
		return Prior{}, fmt.Errorf("reading %s before the change: %w", host, err)
	}
	fi, err := node.Stat(host)
	if err != nil {
		return Prior{}, err
	}
	return Prior{Existed: true, Mode: fi.Mode().Perm(), Data: data}, nil
}

// Changed compares the files now with before and returns those that
// differ, as trial Files with node paths.
func Changed(paths node.Paths, before Snapshot, extra ...string) ([]File, error) {
	set := map[string]bool{}
	for p := range before {
		set[p] = true
	}
	for _, p := range candidates(paths, extra) {
		set[p] = true
	}
	var hosts []string
	for p := range set {
		hosts = append(hosts, p)
	}
	sort.Strings(hosts)
	var out []File
	for _, host := range hosts {
		now, err := read(paths.FS(), host)
		if err != nil {
			return nil, err
		}
		was := before[host]
		if now.Existed == was.Existed && string(now.Data) == string(was.Data) {
			continue
		}
		f := File{Path: paths.Node(host), Existed: was.Existed}
		if was.Existed {
			f.Mode, f.Previous, f.PreviousSHA256 = was.Mode, was.Data, safefile.SHA256(was.Data)
		}
		if now.Existed {
			f.AppliedSHA256 = safefile.SHA256(now.Data)
		}
		out = append(out, f)
	}
	return out, nil
}
