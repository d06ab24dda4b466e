package trial

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/safefile"
)

func write(t *testing.T, root, p, data string, mode os.FileMode) {
	t.Helper()
	host := filepath.Join(root, p)
	os.MkdirAll(filepath.Dir(host), 0o755)
	if err := os.WriteFile(host, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(host, mode)
}

// TestCaptureChangedRevert: what a change wrote, created or removed among
// the node's configuration files is found and put back byte for byte,
// with its mode; backups and files outside the change are left alone.
func TestCaptureChangedRevert(t *testing.T) {
	tests := []struct {
		name   string
		change func(root string)
		want   []string // node paths reported changed
	}{
		{"policy rewritten", func(root string) {
			write(t, root, "etc/containers/policy.json", `{"default":[{"type":"reject"}]}`, 0o644)
		},
			[]string{"/etc/containers/policy.json"}},
		{"key created", func(root string) { write(t, root, "etc/gpg/new.gpg", "KEY", 0o644) }, []string{"/etc/gpg/new.gpg"}},
		{"registries.d file removed", func(root string) { os.Remove(filepath.Join(root, "etc/containers/registries.d/quay.yaml")) },
			[]string{"/etc/containers/registries.d/quay.yaml"}},
		{"key mode changed with its bytes", func(root string) { write(t, root, "etc/gpg/old.gpg", "OLD2", 0o600) }, []string{"/etc/gpg/old.gpg"}},
		{"backup only", func(root string) { write(t, root, "etc/gpg/old.gpg.imgtrust.bak", "x", 0o644) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			write(t, root, "etc/containers/policy.json", "{\n  \"default\": [{\"type\": \"insecureAcceptAnything\"}]\n}\n", 0o644)
			write(t, root, "etc/containers/registries.d/quay.yaml", "docker:\n  quay.io:\n    lookaside: https://q\n", 0o644)
			write(t, root, "etc/gpg/old.gpg", "OLD", 0o640)
			paths := node.NewPaths(root, "", "", "")
			before, err := Capture(paths)
			if err != nil {
				t.Fatal(err)
			}
			snap := func() string {
				var b strings.Builder
				filepath.Walk(filepath.Join(root, "etc"), func(p string, fi os.FileInfo, err error) error {
					if err == nil && !fi.IsDir() && !strings.HasSuffix(p, ".imgtrust.bak") {
						data, _ := os.ReadFile(p)
						b.WriteString(p + " " + fi.Mode().String() + " " + string(data) + "\n")
					}
					return nil
				})
				return b.String()
			}
			orig := snap()
			tc.change(root)
			files, err := Changed(paths, before)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				got = append(got, f.Path)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("changed %v, want %v", got, tc.want)
			}
			if len(files) == 0 {
				return
			}
			now := time.Now()
			s := Store{Paths: paths, AuditLog: filepath.Join(root, "audit.log"), Now: func() time.Time { return now }}
			if _, err := s.Begin("test", "", files, time.Minute); err != nil {
				t.Fatal(err)
			}
			if out, err := s.CheckDue(""); err != nil || out.Reverted != nil {
				t.Fatalf("reverted before the deadline: %+v %v", out, err)
			}
			now = now.Add(time.Minute)
			out, err := s.CheckDue("")
			if err != nil || out.Reverted == nil || out.Failed != nil {
				t.Fatalf("not reverted at the deadline: %+v %v", out, err)
			}
			if got := snap(); got != orig {
				t.Errorf("after the revert:\n%s\nwant\n%s", got, orig)
			}
			if r, _ := s.Load(); r != nil {
				t.Errorf("record left after a revert: %+v", r)
			}
		})
	}
}

func TestBeginRefusesASecondTrial(t *testing.T) {
	paths := node.NewPaths(t.TempDir(), "", "", "")
	s := Store{Paths: paths}
	if _, err := s.Begin("first", "", nil, time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err := s.Begin("second", "", nil, time.Minute)
	if _, busy := err.(*BusyError); !busy || !strings.Contains(err.Error(), `"first" is in progress`) {
		t.Errorf("second trial: %v", err)
	}
	if r, err := s.Confirm(); err != nil || r == nil || r.Summary != "first" {
		t.Errorf("confirm: %+v %v", r, err)
	}
	if r, _ := s.Load(); r != nil {
		t.Errorf("record after confirm: %+v", r)
	}
}

// TestRevertWritesOnlyCapturedFiles: a record that names files a change
// never captures (tampered with, or made by another layout) is refused
// file by file; the revert writes only policy.json, registries.d and
// keys-directory files, under their host paths even when they were
// given with an override outside the root.
func TestRevertWritesOnlyCapturedFiles(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		written string // host path below root that the revert may write, "" for refused
	}{
		{"policy", "/etc/containers/policy.json", "etc/containers/policy.json"},
		{"key", "/etc/gpg/k.gpg", "etc/gpg/k.gpg"},
		{"registries.d file", "/etc/containers/registries.d/a.yaml", "etc/containers/registries.d/a.yaml"},
		{"shadow", "/etc/shadow", ""},
		{"dotdot", "/etc/gpg/../shadow", ""},
		{"relative", "etc/containers/policy.json", ""},
		{"nested in keys", "/etc/gpg/sub/k.gpg", ""},
		{"a backup", "/etc/gpg/k.gpg" + safefile.BackupSuffix, ""},
		{"hidden temp", "/etc/gpg/.k.gpg.tmp", ""},
		{"trial record itself", RecordPath, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			paths := node.NewPaths(root, "", "", "")
			now := time.Now()
			s := Store{Paths: paths, Now: func() time.Time { return now }}
			files := []File{{Path: tc.path, Existed: true, Mode: 0o644, Previous: []byte("PWNED"), PreviousSHA256: safefile.SHA256([]byte("PWNED"))}}
			if _, err := s.Begin("test", "", files, time.Minute); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Hour)
			out, err := s.CheckDue("")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
				if err == nil && !fi.IsDir() {
					if data, _ := os.ReadFile(p); string(data) == "PWNED" {
						rel, _ := filepath.Rel(root, p)
						got = append(got, rel)
					}
				}
				return nil
			})
			want := []string(nil)
			if tc.written != "" {
				want = []string{tc.written}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("revert wrote %v, want %v", got, want)
			}
			if (out.Failed != nil) != (tc.written == "") {
				t.Errorf("outcome %+v: a refused file must leave the trial failed", out)
			}
		})
	}
	t.Run("default files reverted by a command with an override", func(t *testing.T) {
		root := t.TempDir()
		write(t, root, "etc/containers/policy.json", "NEW", 0o644)
		paths := node.NewPaths(root, filepath.Join(t.TempDir(), "other.json"), "", "")
		now := time.Now()
		s := Store{Paths: paths, Now: func() time.Time { return now }}
		files := []File{{Path: node.DefaultPolicyPath, Existed: true, Mode: 0o644, Previous: []byte("OLD"), PreviousSHA256: safefile.SHA256([]byte("OLD"))}}
		if _, err := s.Begin("test", "", files, time.Minute); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		if out, err := s.CheckDue(""); err != nil || out.Reverted == nil {
			t.Fatalf("%+v %v", out, err)
		}
		if data, _ := os.ReadFile(filepath.Join(root, "etc/containers/policy.json")); string(data) != "OLD" {
			t.Errorf("not reverted: %q", data)
		}
	})
	t.Run("policy override outside the root", func(t *testing.T) {
		root, other := t.TempDir(), t.TempDir()
		pol := filepath.Join(other, "policy.json")
		write(t, other, "policy.json", "NEW", 0o644)
		paths := node.NewPaths(root, pol, "", "")
		now := time.Now()
		s := Store{Paths: paths, Now: func() time.Time { return now }}
		files := []File{{Path: paths.Node(pol), Existed: true, Mode: 0o644, Previous: []byte("OLD"), PreviousSHA256: safefile.SHA256([]byte("OLD"))}}
		if _, err := s.Begin("test", "", files, time.Minute); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		if out, err := s.CheckDue(""); err != nil || out.Reverted == nil {
			t.Fatalf("%+v %v", out, err)
		}
		if data, _ := os.ReadFile(pol); string(data) != "OLD" {
			t.Errorf("the override was not reverted: %q", data)
		}
		if _, err := os.Stat(filepath.Join(root, pol)); err == nil {
			t.Errorf("the revert wrote %s under the root", pol)
		}
	})
}

// TestRevertChecksTheRecordsCopy: a previous copy whose hash is not the
// one recorded is not written; a world-writable mode is not restored.
func TestRevertChecksTheRecordsCopy(t *testing.T) {
	tests := []struct {
		name     string
		file     File
		want     string // policy.json after the revert
		wantMode os.FileMode
		failed   bool
	}{
		{"intact", File{Existed: true, Mode: 0o640, Previous: []byte("OLD"), PreviousSHA256: safefile.SHA256([]byte("OLD"))}, "OLD", 0o640, false},
		{"damaged copy", File{Existed: true, Mode: 0o644, Previous: []byte("OL"), PreviousSHA256: safefile.SHA256([]byte("OLD"))}, "NEW", 0o644, true},
		{"no hash", File{Existed: true, Mode: 0o644, Previous: []byte("OLD")}, "NEW", 0o644, true},
		{"world-writable mode", File{Existed: true, Mode: 0o666, Previous: []byte("OLD"), PreviousSHA256: safefile.SHA256([]byte("OLD"))}, "OLD", 0o664, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			write(t, root, "etc/containers/policy.json", "NEW", 0o644)
			paths := node.NewPaths(root, "", "", "")
			now := time.Now()
			s := Store{Paths: paths, Now: func() time.Time { return now }}
			tc.file.Path = node.DefaultPolicyPath
			if _, err := s.Begin("test", "", []File{tc.file}, time.Minute); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Hour)
			out, err := s.CheckDue("")
			if err != nil || (out.Failed != nil) != tc.failed {
				t.Fatalf("outcome %+v %v, want failed %v", out, err, tc.failed)
			}
			host := filepath.Join(root, "etc/containers/policy.json")
			data, _ := os.ReadFile(host)
			fi, _ := os.Stat(host)
			if string(data) != tc.want || fi.Mode().Perm() != tc.wantMode {
				t.Errorf("policy.json %q %v, want %q %v", data, fi.Mode().Perm(), tc.want, tc.wantMode)
			}
		})
	}
}

// TestLockReplacesWhatIsNotALockFile: a symlink or FIFO in the lock's
// place is replaced, and its target left alone; confirm still works.
func TestLockReplacesWhatIsNotALockFile(t *testing.T) {
	tests := []struct {
		name string
		make func(lock, outside string) error
	}{
		{"symlink out of the directory", func(lock, outside string) error { return os.Symlink(outside, lock) }},
		{"symlink inside the root", func(lock, _ string) error { return os.Symlink("/etc/containers/policy.json", lock) }},
		{"FIFO", func(lock, _ string) error { return syscall.Mkfifo(lock, 0o600) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			outside := filepath.Join(t.TempDir(), "target")
			write(t, root, "etc/containers/policy.json", "POLICY", 0o644)
			os.WriteFile(outside, []byte("OUT"), 0o644)
			paths := node.NewPaths(root, "", "", "")
			s := Store{Paths: paths}
			lock := filepath.Join(root, filepath.Dir(RecordPath), lockName)
			os.MkdirAll(filepath.Dir(lock), 0o755)
			if err := tc.make(lock, outside); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Begin("t", "", nil, time.Minute); err != nil {
				t.Fatalf("begin: %v", err)
			}
			if r, err := s.Confirm(); err != nil || r == nil {
				t.Fatalf("confirm: %+v %v", r, err)
			}
			if b, _ := os.ReadFile(outside); string(b) != "OUT" {
				t.Errorf("the link's target outside changed: %q", b)
			}
			if b, _ := os.ReadFile(filepath.Join(root, "etc/containers/policy.json")); string(b) != "POLICY" {
				t.Errorf("policy.json changed: %q", b)
			}
		})
	}
}
