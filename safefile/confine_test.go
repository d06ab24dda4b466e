package safefile

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/nodefs/nodefstest"
)

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWriteConfinedToRoot: under --root R, a policy.json that is a link
// (absolute, relative, climbing with "..", a chain) is written through to
// the node's target inside R; the file of the same node path on the
// machine imgtrust runs on is byte-for-byte unchanged, and the link stays.
func TestWriteConfinedToRoot(t *testing.T) {
	for _, c := range []struct{ name, target string }{
		{"absolute", "/usr/share/x/policy.json"},
		{"relative", "../../usr/share/x/policy.json"},
		{"dotdot", "../../../../../../../../../../usr/share/x/policy.json"},
		{"chain", "/etc/containers/hop"},
	} {
		t.Run(c.name, func(t *testing.T) {
			base := t.TempDir()
			root, pod := filepath.Join(base, "node"), filepath.Join(base, "pod")
			nodeFile := filepath.Join(root, "usr/share/x/policy.json")
			mustWrite(t, nodeFile, "node-old")
			// The pod's file sits where an absolute target would point if
			// it were followed on the pod (the test's "/" is the pod).
			podFile := "/usr/share/x/policy.json"
			podBefore, podErr := os.ReadFile(podFile)
			mustWrite(t, filepath.Join(pod, "x"), "pod")
			link := filepath.Join(root, "etc/containers/policy.json")
			os.MkdirAll(filepath.Dir(link), 0o755)
			if err := os.Symlink(c.target, link); err != nil {
				t.Fatal(err)
			}
			os.Symlink("../../usr/share/x/policy.json", filepath.Join(root, "etc/containers/hop"))
			audit := filepath.Join(root, "var/log/imgtrust/audit.log")
			res, err := Write(link, []byte("node-new"), Options{ExpectSHA256: SHA256([]byte("node-old")), Backup: true, FS: nodefs.New(root), AuditLog: audit, Summary: "s"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Path != nodeFile || read(t, nodeFile) != "node-new" || read(t, nodeFile+BackupSuffix) != "node-old" {
				t.Fatalf("wrote %s; node file %q", res.Path, read(t, nodeFile))
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Error("the link was replaced")
			}
			podAfter, podErr2 := os.ReadFile(podFile)
			if string(podBefore) != string(podAfter) || (podErr == nil) != (podErr2 == nil) {
				t.Error("the pod's file changed")
			}
			if !strings.Contains(read(t, audit), "file="+nodeFile) {
				t.Errorf("audit log: %q", read(t, audit))
			}
		})
	}
}

// TestWriteRefusesOutsideRoot: a dangling absolute link whose target
// exists only on the pod is created inside the root (as the node would),
// never on the pod; the pod's file is unchanged.
func TestWriteDanglingLinkStaysInRoot(t *testing.T) {
	base := t.TempDir()
	root, pod := filepath.Join(base, "node"), filepath.Join(base, "pod")
	podFile := filepath.Join(pod, "policy.json")
	mustWrite(t, podFile, "pod")
	link := filepath.Join(root, "etc/containers/policy.json")
	os.MkdirAll(filepath.Dir(link), 0o755)
	os.Symlink(podFile, link)
	res, err := Write(link, []byte("new"), Options{ExpectSHA256: ExpectAbsent, FS: nodefs.New(root)})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, podFile); res.Path != want || read(t, want) != "new" {
		t.Errorf("wrote %s", res.Path)
	}
	if read(t, podFile) != "pod" {
		t.Error("the pod's file changed")
	}
}

// TestWriteRefusesHostileTarget: a FIFO, device or directory where the
// file should be is refused at once and left alone.
func TestWriteRefusesHostileTarget(t *testing.T) {
	for _, h := range nodefstest.All() {
		t.Run(h.Name, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, "etc/containers/policy.json")
			h.Make(t, p)
			var err error
			nodefstest.Bounded(t, func() { _, err = Write(p, []byte("{}"), Options{ExpectSHA256: ExpectAny, FS: nodefs.New(root)}) })
			if err == nil {
				t.Fatal("written")
			}
			if fi, _ := os.Lstat(p); fi.Mode().IsRegular() && fi.Size() == 2 {
				t.Error("the file was replaced")
			}
		})
	}
}

// TestStaleTempFilesRemoved: temporary files an interrupted save left
// (imgtrust's own .NAME.tmp-* pattern, also the backup's) are removed by
// the next save of that file; other files are not touched.
func TestStaleTempFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "policy.json")
	mustWrite(t, p, "old")
	stale := []string{".policy.json.tmp-123456", ".policy.json.imgtrust.bak.tmp-999"}
	keep := []string{".other.json.tmp-1", "policy.json.tmp-1", ".policy.jsonx.tmp-1"}
	for _, n := range append(append([]string{}, stale...), keep...) {
		mustWrite(t, filepath.Join(dir, n), "junk")
	}
	if _, err := Write(p, []byte("new"), Options{ExpectSHA256: SHA256([]byte("old")), Backup: true}); err != nil {
		t.Fatal(err)
	}
	for _, n := range stale {
		if _, err := os.Lstat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind", n)
		}
	}
	for _, n := range keep {
		if _, err := os.Lstat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s removed: %v", n, err)
		}
	}
}

// TestLockWaitIsBounded: a lock another process holds makes the save give
// up after the wait with a message naming the locked directory, and
// nothing is written; once the lock is released the save goes through.
func TestLockWaitIsBounded(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "policy.json")
	mustWrite(t, p, "old")
	holder, err := os.Open(dir) // another open file description: flock conflicts as with another process
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := syscall.Flock(int(holder.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	_, err = Write(p, []byte("new"), Options{ExpectSHA256: ExpectAny, LockWait: 200 * time.Millisecond, AuditLog: filepath.Join(dir, "log/audit.log")})
	var le *LockedError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "is locked by") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("got %v", err)
	}
	if read(t, p) != "old" {
		t.Error("written despite the lock")
	}
	if _, err := os.Stat(filepath.Join(dir, "log")); err == nil {
		t.Error("the audit log was started although nothing was written")
	}
	syscall.Flock(int(holder.Fd()), syscall.LOCK_UN)
	if _, err := Write(p, []byte("new"), Options{ExpectSHA256: ExpectAny, LockWait: 200 * time.Millisecond}); err != nil || read(t, p) != "new" {
		t.Fatalf("after the release: %v", err)
	}
}

// TestAuditLogConfined: the audit log is a node file too: a link in its
// place resolves inside the root, and a FIFO there does not make the save
// wait.
func TestAuditLogConfined(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "node")
	podLog := filepath.Join(base, "pod-audit.log")
	mustWrite(t, podLog, "")
	logPath := filepath.Join(root, "var/log/imgtrust/audit.log")
	os.MkdirAll(filepath.Dir(logPath), 0o755)
	os.Symlink(podLog, logPath)
	p := filepath.Join(root, "etc/containers/policy.json")
	if _, err := Write(p, []byte("x"), Options{ExpectSHA256: ExpectAbsent, FS: nodefs.New(root), AuditLog: logPath, Summary: "s"}); err != nil {
		t.Fatal(err)
	}
	if read(t, podLog) != "" || !strings.Contains(read(t, filepath.Join(root, podLog)), "action=write") {
		t.Error("the audit line went outside the root")
	}
	fifo := filepath.Join(root, "var/log/fifo.log")
	syscall.Mkfifo(fifo, 0o644)
	var err error
	nodefstest.Bounded(t, func() {
		_, err = Write(p, []byte("y"), Options{ExpectSHA256: ExpectAny, FS: nodefs.New(root), AuditLog: fifo})
	})
	if err == nil || !strings.Contains(err.Error(), "audit log was not") {
		t.Fatalf("got %v", err)
	}
}

// TestLockHolderNamed: when another process holds the lock, the error
// names it (from /proc/locks).
func TestLockHolderNamed(t *testing.T) {
	flock, err := exec.LookPath("flock")
	if err != nil {
		t.Skip("no flock(1) here")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "policy.json")
	mustWrite(t, p, "old")
	cmd := exec.Command(flock, dir, "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	probe, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	for i := 0; syscall.Flock(int(probe.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil; i++ {
		syscall.Flock(int(probe.Fd()), syscall.LOCK_UN)
		if i == 1000 {
			t.Fatal("flock(1) did not take the lock in 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	want := fmt.Sprintf("locked by process %d (flock)", cmd.Process.Pid)
	if _, err := Write(p, []byte("new"), Options{ExpectSHA256: ExpectAny, LockWait: 100 * time.Millisecond}); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
	if read(t, p) != "old" {
		t.Error("written despite the lock")
	}
}
