package safefile

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/termsafe"
)

// Special values of Options.ExpectSHA256.
const (
	// ExpectAbsent requires that the file does not exist yet.
	ExpectAbsent = ""
	// ExpectAny skips the concurrent-change check.
	ExpectAny = "-"
)

// BackupSuffix is appended to a file's name for the copy of its previous
// content. It does not end in .yaml or .json, so neither containers/image
// nor imgtrust reads a backup as configuration.
const BackupSuffix = ".imgtrust.bak"

// Options control one write.
type Options struct {
	// ExpectSHA256 is the hex SHA-256 of the content the caller read
	// (ExpectAbsent if it found no file, ExpectAny to skip the check).
	ExpectSHA256 string
	// Mode is used for a new file; an existing file keeps its mode
	// unless SetMode is set.
	Mode fs.FileMode
	// SetMode applies Mode to an existing file too (key files must never
	// stay writable by others).
	SetMode bool
	// Backup keeps the previous content next to the file.
	Backup bool
	// AuditLog is the file to append one line to; empty: no audit.
	AuditLog string
	// Summary says in one line what changed, for the audit log.
	Summary string
	// User overrides the user name written to the audit log.
	User string
	// Now overrides the clock (tests).
	Now func() time.Time
	// FS is the node the paths belong to (--root); the zero value is this
	// machine's own filesystem. The file, its backup, its temporary file,
	// its directory's lock and the audit log are all resolved inside it.
	FS nodefs.FS
	// LockWait bounds the wait for another process's lock on the file's
	// directory (0: DefaultLockWait).
	LockWait time.Duration
}

// Result describes a completed write.
type Result struct {
	Path       string // the path written (a symlink's target when path was a link)
	BackupPath string // "" when there was nothing to back up
	OldSHA256  string // "" when the file did not exist
	NewSHA256  string
}

// ChangedError reports that the file is not what the caller read.
type ChangedError struct {
	Path     string
	Expected string
	Found    string // "" when the file is gone
}

func (e *ChangedError) Error() string {
	switch {
	case e.Expected == ExpectAbsent:
		return fmt.Sprintf("%s was created by someone else since imgtrust looked (now sha256 %s); reload to see it, then repeat the change", e.Path, short(e.Found))
	case e.Found == "":
		return fmt.Sprintf("%s was deleted by someone else since imgtrust read it; reload, then repeat the change", e.Path)
	default:
		return fmt.Sprintf("%s changed on disk since imgtrust read it (sha256 %s, now %s); reload to see the other change, then repeat yours", e.Path, short(e.Expected), short(e.Found))
	}
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// SHA256 returns the hex SHA-256 of data.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Hash returns the hex SHA-256 of the file at path, ExpectAbsent if it
// does not exist. The path is resolved as this machine sees it; HashIn
// resolves it inside a node's root.
func Hash(path string) (string, error) {
	return HashIn(nodefs.FS{}, path)
}

// HashIn is Hash for a path of the node mounted at node.
func HashIn(node nodefs.FS, path string) (string, error) {
	data, err := node.ReadFile(path, nodefs.ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		return ExpectAbsent, nil
	}
	if err != nil {
		return "", err
	}
	return SHA256(data), nil
}

// Write replaces path with data. See the package comment for the steps.
// A symlink at path is kept and its target is replaced, because on an
// overlay /etc the link is often what the distribution manages. Under a
// node root (Options.FS) the link is followed as the node would follow
// it, never out of the root.
func Write(path string, data []byte, opt Options) (Result, error) {
	t, err := open(opt, path, true)
	if err != nil {
		return Result{}, err
	}
	defer t.close()
	res := Result{Path: t.host, NewSHA256: SHA256(data)}
	if t.old != nil {
		res.OldSHA256 = SHA256(t.old)
	}
	if err := checkExpected(t.host, opt.ExpectSHA256, t.old, res.OldSHA256); err != nil {
		return Result{}, err
	}
	if t.old != nil && bytes.Equal(t.old, data) {
		return res, nil // nothing to do; no backup, no audit line
	}
	mode := opt.Mode
	if mode == 0 {
		mode = 0o644
	}
	if t.info != nil && !opt.SetMode {
		mode = t.info.Mode().Perm()
	}
	if t.old != nil && opt.Backup {
		res.BackupPath = t.host + BackupSuffix
		if err := t.replace(t.base+BackupSuffix, t.old, mode); err != nil {
			return Result{}, fmt.Errorf("keeping a backup of %s: %w", t.host, err)
		}
	}
	if err := t.replace(t.base, data, mode); err != nil {
		return Result{}, err
	}
	if err := audit(opt, "write", t.host, res.OldSHA256, res.NewSHA256); err != nil {
		return res, fmt.Errorf("%s was written, but the audit log was not: %w", t.host, err)
	}
	return res, nil
}

// Remove deletes path after the same checks as Write, keeping a backup.
func Remove(path string, opt Options) (Result, error) {
	t, err := open(opt, path, false)
	if err != nil {
		return Result{}, err
	}
	defer t.close()
	if t.old == nil {
		return Result{}, fmt.Errorf("removing %s: %w", t.host, fs.ErrNotExist)
	}
	res := Result{Path: t.host, OldSHA256: SHA256(t.old)}
	if err := checkExpected(t.host, opt.ExpectSHA256, t.old, res.OldSHA256); err != nil {
		return Result{}, err
	}
	if opt.Backup {
		res.BackupPath = t.host + BackupSuffix
		if err := t.replace(t.base+BackupSuffix, t.old, t.info.Mode().Perm()); err != nil {
			return Result{}, fmt.Errorf("keeping a backup of %s: %w", t.host, err)
		}
	}
	if err := t.dir.Remove(t.base); err != nil {
		return Result{}, fmt.Errorf("removing %s: %w", t.host, unwrapPath(err))
	}
	if err := t.syncDir(); err != nil {
		return Result{}, err
	}
	if err := audit(opt, "remove", t.host, res.OldSHA256, ""); err != nil {
		return res, fmt.Errorf("%s was removed, but the audit log was not: %w", t.host, err)
	}
	return res, nil
}

// target is a file being replaced: its directory, opened inside the
// node's root and locked, and what the file holds now.
type target struct {
	host   string   // resolved path, for messages and the audit log
	base   string   // the file's name in dir
	dir    *os.Root // every operation goes through it, so none leaves the directory
	lockFD *os.File // the directory, flock'ed
	old    []byte   // nil when there is no file
	info   fs.FileInfo
}

func (t *target) close() {
	if t.lockFD != nil {
		syscall.Flock(int(t.lockFD.Fd()), syscall.LOCK_UN)
		t.lockFD.Close()
	}
	t.dir.Close()
}

// open resolves path inside the node's root, opens and locks its
// directory, removes temporary files an interrupted save left, and reads
// what is there now.
func open(opt Options, path string, mkdir bool) (*target, error) {
	host, err := opt.FS.Resolve(path)
	if err != nil {
		return nil, err
	}
	// A first key or registries.d file may need its directory.
	dir, err := opt.FS.OpenDir(filepath.Dir(host), mkdir)
	if err != nil {
		return nil, permissionHint(fmt.Errorf("opening %s: %w", filepath.Dir(host), err))
	}
	t := &target{host: host, base: filepath.Base(host), dir: dir}
	if t.lockFD, err = lock(dir, host, opt.LockWait); err != nil {
		t.close()
		return nil, err
	}
	t.removeStaleTemps()
	if t.old, t.info, err = t.readCurrent(); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

func checkExpected(target, expect string, old []byte, oldSum string) error {
	switch {
	case expect == ExpectAny:
		return nil
	case expect == ExpectAbsent && old == nil:
		return nil
	case expect != ExpectAbsent && old != nil && expect == oldSum:
		return nil
	}
	return &ChangedError{Path: target, Expected: expect, Found: oldSum}
}

func (t *target) readCurrent() ([]byte, fs.FileInfo, error) {
	fi, err := t.dir.Lstat(t.base)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", t.host, unwrapPath(err))
	}
	data, err := nodefs.ReadFileIn(t.dir, t.base, t.host, nodefs.ConfigFile)
	if err != nil {
		return nil, nil, err
	}
	if data == nil {
		data = []byte{}
	}
	return data, fi, nil
}

// tempPrefix is how imgtrust names its temporary files: hidden, next to
// the file, so that no reader takes one for configuration.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// removeStaleTemps deletes what a save of this file (or of its backup)
// left when it was interrupted between creating its temporary file and
// renaming it. Only imgtrust's own pattern is touched, and only under the
// lock, so no save in progress can lose its file.
func (t *target) removeStaleTemps() {
	d, err := t.dir.Open(".")
	if err != nil {
		return
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	for _, n := range names {
		if !strings.HasPrefix(n, tempPrefix(t.base)) && !strings.HasPrefix(n, tempPrefix(t.base+BackupSuffix)) {
			continue
		}
		if fi, err := t.dir.Lstat(n); err == nil && fi.Mode().IsRegular() {
			t.dir.Remove(n)
		}
	}
}

// replace writes data to a temporary file next to name and renames it
// into place, syncing file and directory so that after a crash the path
// holds either the old or the new content. The owner of the file being
// replaced is kept.
func (t *target) replace(name string, data []byte, mode fs.FileMode) (err error) {
	host := filepath.Join(filepath.Dir(t.host), name)
	tmpName := tempPrefix(name) + rand.Text()[:12]
	tmpHost := filepath.Join(filepath.Dir(t.host), tmpName)
	tmp, err := t.dir.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return permissionHint(fmt.Errorf("creating a temporary file in %s: %w", filepath.Dir(t.host), unwrapPath(err)))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			t.dir.Remove(tmpName)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", tmpHost, err)
	}
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", tmpHost, err)
	}
	if st, ok := ownerOf(t.info); ok && os.Geteuid() == 0 {
		if err = tmp.Chown(int(st.Uid), int(st.Gid)); err != nil {
			return fmt.Errorf("keeping the owner of %s: %w", host, err)
		}
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmpHost, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmpHost, err)
	}
	if err = t.dir.Rename(tmpName, name); err != nil {
		return permissionHint(fmt.Errorf("replacing %s: %w", host, unwrapPath(err)))
	}
	return t.syncDir()
}

func (t *target) syncDir() error {
	if err := t.lockFD.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", filepath.Dir(t.host), err)
	}
	return nil
}

// unwrapPath drops the *PathError of an os.Root call, whose path is the
// bare name in the directory; callers name the full path themselves.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

func ownerOf(fi fs.FileInfo) (*syscall.Stat_t, bool) {
	if fi == nil {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return st, ok
}

func permissionHint(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w (run as root, or point --root at a copy you can write; nothing was changed)", err)
	}
	return err
}

// DefaultLockWait is how long a save waits for another process's lock.
// An imgtrust save holds it for milliseconds; a holder that keeps it
// longer is stuck, and the admin is better told than left waiting.
const DefaultLockWait = 10 * time.Second

// LockedError reports a directory lock that another process kept for
// longer than the save would wait. Nothing was written.
type LockedError struct {
	File   string // the file imgtrust was about to change
	Dir    string // the directory whose lock is held
	Holder string // "process 1234 (imgtrust)" when /proc tells; else ""
	Waited time.Duration
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.Holder != "" {
		who = e.Holder
	}
	return fmt.Sprintf("%s is locked by %s (it holds the lock on %s, imgtrust waited %s): nothing was changed; try again once the other editor is done", e.File, who, e.Dir, e.Waited)
}

// lock takes an exclusive advisory lock on the file's directory so that
// two imgtrust processes serialise their check-then-write. Locking the
// directory rather than a lock file leaves no stray files in /etc (a
// "policy.json.lock" would confuse admins and outlive crashes). The lock
// is polled, not waited for, so that a stuck holder gives an error after
// wait instead of hanging; it is taken before anything is written.
func lock(dir *os.Root, file string, wait time.Duration) (*os.File, error) {
	if wait <= 0 {
		wait = DefaultLockWait
	}
	dirName := filepath.Dir(file)
	f, err := dir.Open(".")
	if err != nil {
		return nil, permissionHint(fmt.Errorf("opening %s to lock it: %w", dirName, unwrapPath(err)))
	}
	start := time.Now()
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", dirName, err)
		}
		if waited := time.Since(start); waited >= wait {
			holder := lockHolder(f)
			f.Close()
			return nil, &LockedError{File: file, Dir: dirName, Holder: holder, Waited: waited.Round(100 * time.Millisecond)}
		}
		time.Sleep(delay)
	}
}

// audit appends one line: time, user, action, file, sha256 before and
// after, summary. Control characters in any field are escaped so that a
// crafted scope name cannot forge a second line.
func audit(opt Options, action, path, before, after string) error {
	if opt.AuditLog == "" {
		return nil
	}
	return appendAudit(opt, []string{"action=" + action, "file=" + Escape(path), "before=" + orDash(before), "after=" + orDash(after)})
}

// AuditFile is one file of a change written together with others.
type AuditFile struct {
	// Op is "write" or "remove".
	Op   string
	Path string
	// Before and After are SHA-256 sums, "" for an absent file.
	Before, After string
}

// AuditChange appends one line for a change that wrote several files as
// one (a change set: key files, registries.d, policy.json): one apply is
// one entry, naming every file with its sums before and after, so that
// the log reads as the admin acted. The writes themselves are made with
// an empty Options.AuditLog.
func AuditChange(opt Options, files []AuditFile) error {
	if opt.AuditLog == "" {
		return nil
	}
	fields := []string{"action=apply", fmt.Sprintf("files=%d", len(files))}
	for _, f := range files {
		fields = append(fields, "file="+Escape(f.Path), "op="+Escape(f.Op), "before="+orDash(f.Before), "after="+orDash(f.After))
	}
	return appendAudit(opt, fields)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// appendAudit writes one line: time, user, the fields, summary. Control
// characters in any field are escaped so that a crafted scope name
// cannot forge a second line.
func appendAudit(opt Options, fields []string) error {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	user := opt.User
	if user == "" {
		user = currentUser()
	}
	parts := append([]string{now().UTC().Format(time.RFC3339), "user=" + Escape(user)}, fields...)
	line := strings.Join(append(parts, "summary="+Escape(opt.Summary)), " ") + "\n"
	// The log is a node file like any other: resolved inside the root.
	logPath, err := opt.FS.Resolve(opt.AuditLog)
	if err != nil {
		return err
	}
	dir, err := opt.FS.OpenDir(filepath.Dir(logPath), true)
	if err != nil {
		return err
	}
	defer dir.Close()
	// O_NONBLOCK and the check after opening: a FIFO put in the log's
	// place must not make the save wait for a reader.
	f, err := dir.OpenFile(filepath.Base(logPath), os.O_CREATE|os.O_APPEND|os.O_WRONLY|syscall.O_NONBLOCK, 0o640)
	if err != nil {
		return fmt.Errorf("opening %s: %w", logPath, unwrapPath(err))
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return fmt.Errorf("%s is not a regular file", logPath)
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func currentUser() string {
	name := os.Getenv("SUDO_USER")
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	if name == "" {
		name = fmt.Sprintf("uid:%d", os.Getuid())
	}
	return name
}

// Escape quotes a field for the audit log: printable text is kept as it
// is; a field with a space, quote or backslash, or anything a terminal
// would interpret (C0 and C1 controls, bidi controls, the line separators,
// invalid UTF-8), is quoted with termsafe.Quote, so that a crafted scope
// name can neither forge a second line nor drive the terminal of an admin
// who runs cat or tail on the log, and every field reads back exactly
// with strconv.Unquote.
func Escape(s string) string {
	if s == "" || strings.ContainsAny(s, ` "\`) || !termsafe.IsSafe(s) {
		return termsafe.Quote(s)
	}
	return s
}

// Audit appends one line for an action that writes no file itself (a
// trial's apply, confirm or revert: the writes it makes are recorded as
// they happen). before and after are SHA-256s or "".
func Audit(opt Options, action, path, before, after string) error {
	return audit(opt, action, path, before, after)
}
