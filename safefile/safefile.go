// Package safefile replaces configuration files so that a crash, a full
// disk or a concurrent editor never leaves a node with a broken or lost
// file: the new content goes to a temporary file in the same directory, is
// synced and renamed over the old one; the previous content is kept as a
// backup; a change made by someone else since the file was read is refused;
// and every write is recorded in an audit log.
package safefile

import (
	"bytes"
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
	// Mode is used for a new file; an existing file keeps its mode.
	Mode fs.FileMode
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
// does not exist.
func Hash(path string) (string, error) {
	data, err := os.ReadFile(path)
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
// overlay /etc the link is often what the distribution manages.
func Write(path string, data []byte, opt Options) (Result, error) {
	target, old, oldInfo, unlock, err := open(path, true)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	res := Result{Path: target, NewSHA256: SHA256(data)}
	if old != nil {
		res.OldSHA256 = SHA256(old)
	}
	if err := checkExpected(target, opt.ExpectSHA256, old, res.OldSHA256); err != nil {
		return Result{}, err
	}
	if old != nil && bytes.Equal(old, data) {
		return res, nil // nothing to do; no backup, no audit line
	}
	mode := opt.Mode
	if mode == 0 {
		mode = 0o644
	}
	if oldInfo != nil {
		mode = oldInfo.Mode().Perm()
	}
	if old != nil && opt.Backup {
		res.BackupPath = target + BackupSuffix
		if err := replace(res.BackupPath, old, mode, oldInfo); err != nil {
			return Result{}, fmt.Errorf("keeping a backup of %s: %w", target, err)
		}
	}
	if err := replace(target, data, mode, oldInfo); err != nil {
		return Result{}, err
	}
	if err := audit(opt, "write", target, res.OldSHA256, res.NewSHA256); err != nil {
		return res, fmt.Errorf("%s was written, but the audit log was not: %w", target, err)
	}
	return res, nil
}

// Remove deletes path after the same checks as Write, keeping a backup.
func Remove(path string, opt Options) (Result, error) {
	target, old, oldInfo, unlock, err := open(path, false)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	if old == nil {
		return Result{}, fmt.Errorf("removing %s: %w", target, fs.ErrNotExist)
	}
	res := Result{Path: target, OldSHA256: SHA256(old)}
	if err := checkExpected(target, opt.ExpectSHA256, old, res.OldSHA256); err != nil {
		return Result{}, err
	}
	if opt.Backup {
		res.BackupPath = target + BackupSuffix
		if err := replace(res.BackupPath, old, oldInfo.Mode().Perm(), oldInfo); err != nil {
			return Result{}, fmt.Errorf("keeping a backup of %s: %w", target, err)
		}
	}
	if err := os.Remove(target); err != nil {
		return Result{}, fmt.Errorf("removing %s: %w", target, err)
	}
	if err := syncDir(filepath.Dir(target)); err != nil {
		return Result{}, err
	}
	if err := audit(opt, "remove", target, res.OldSHA256, ""); err != nil {
		return res, fmt.Errorf("%s was removed, but the audit log was not: %w", target, err)
	}
	return res, nil
}

// open resolves path, takes the directory lock and reads what is there
// now (nil when nothing). The caller must call unlock.
func open(path string, mkdir bool) (target string, old []byte, info fs.FileInfo, unlock func(), err error) {
	if target, err = resolve(path); err != nil {
		return "", nil, nil, nil, err
	}
	if mkdir {
		// A first key or registries.d file may need its directory.
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return "", nil, nil, nil, permissionHint(fmt.Errorf("creating %s: %w", filepath.Dir(target), err))
		}
	}
	if unlock, err = lock(target); err != nil {
		return "", nil, nil, nil, err
	}
	if old, info, err = readCurrent(target); err != nil {
		unlock()
		return "", nil, nil, nil, err
	}
	return target, old, info, unlock, nil
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

// resolve follows a symlink at path to the file it names. A dangling link
// resolves to its target path, which is then created.
func resolve(path string) (string, error) {
	for i := 0; i < 40; i++ {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", fmt.Errorf("inspecting %s: %w", path, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if !fi.Mode().IsRegular() {
				return "", fmt.Errorf("%s is not a regular file", path)
			}
			return path, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", fmt.Errorf("reading link %s: %w", path, err)
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

func readCurrent(path string) ([]byte, fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, fi, nil
}

// replace writes data to a temporary file next to path and renames it
// into place, syncing file and directory so that after a crash the path
// holds either the old or the new content.
func replace(path string, data []byte, mode fs.FileMode, owner fs.FileInfo) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return permissionHint(fmt.Errorf("creating a temporary file in %s: %w", dir, err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", tmp.Name(), err)
	}
	if st, ok := ownerOf(owner); ok && os.Geteuid() == 0 {
		if err = tmp.Chown(int(st.Uid), int(st.Gid)); err != nil {
			return fmt.Errorf("keeping the owner of %s: %w", path, err)
		}
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return permissionHint(fmt.Errorf("replacing %s: %w", path, err))
	}
	return syncDir(dir)
}

func ownerOf(fi fs.FileInfo) (*syscall.Stat_t, bool) {
	if fi == nil {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return st, ok
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening %s to sync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

func permissionHint(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%w (run as root, or point --root at a copy you can write; nothing was changed)", err)
	}
	return err
}

// lock takes an exclusive advisory lock on the file's directory so that
// two imgtrust processes serialise their check-then-write. Locking the
// directory rather than a lock file leaves no stray files in /etc (a
// "policy.json.lock" would confuse admins and outlive crashes).
func lock(path string) (func(), error) {
	dir := filepath.Dir(path)
	f, err := os.Open(dir)
	if err != nil {
		return nil, permissionHint(fmt.Errorf("opening %s to lock it: %w", dir, err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// audit appends one line: time, user, action, file, sha256 before and
// after, summary. Control characters in any field are escaped so that a
// crafted scope name cannot forge a second line.
func audit(opt Options, action, path, before, after string) error {
	if opt.AuditLog == "" {
		return nil
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	user := opt.User
	if user == "" {
		user = currentUser()
	}
	if before == "" {
		before = "-"
	}
	if after == "" {
		after = "-"
	}
	line := strings.Join([]string{
		now().UTC().Format(time.RFC3339),
		"user=" + Escape(user),
		"action=" + action,
		"file=" + Escape(path),
		"before=" + before,
		"after=" + after,
		"summary=" + Escape(opt.Summary),
	}, " ") + "\n"
	if err := os.MkdirAll(filepath.Dir(opt.AuditLog), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(opt.AuditLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return err
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
