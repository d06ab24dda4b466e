package trial

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kios/imgtrust/node"
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
