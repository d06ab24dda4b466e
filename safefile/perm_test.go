package safefile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestNoWriteAccessHelper runs as an unprivileged user in a child process.
func TestNoWriteAccessHelper(t *testing.T) {
	path := os.Getenv("IMGTRUST_PERM_FILE")
	if path == "" {
		t.Skip("helper process for TestNoWriteAccess")
	}
	_, err := Write(path, []byte("new"), Options{ExpectSHA256: SHA256([]byte("old")), Backup: true})
	if err == nil {
		t.Fatal("wrote without permission")
	}
	os.Stdout.WriteString("ERR:" + err.Error() + "\n")
}

// TestNoWriteAccess: without write access the error says what to do and
// nothing changes. Root ignores permissions, so the writer runs as nobody.
func TestNoWriteAccess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to start a process as another user")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	path := filepath.Join(dir, "policy.json")
	os.WriteFile(path, []byte("old"), 0o644)
	// The test binary lives in a directory only root may enter: copy it.
	bin := filepath.Join(t.TempDir(), "helper.test")
	os.Chmod(filepath.Dir(bin), 0o755)
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestNoWriteAccessHelper$", "-test.v")
	cmd.Env = append(os.Environ(), "IMGTRUST_PERM_FILE="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "ERR:") || !strings.Contains(string(out), "permission denied") || !strings.Contains(string(out), "nothing was changed") {
		t.Errorf("message does not explain:\n%s", out)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("file changed: %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left files behind: %v", entries)
	}
}
