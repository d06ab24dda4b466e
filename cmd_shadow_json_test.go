package main

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kios/imgtrust/nodefs"
)

// TestShadowRunJSON: a running shadow with --json prints JSON lines only:
// a start, one line per image judged, a summary; the exit code is the
// plain command's. Nothing on stdout is plain text.
func TestShadowRunJSON(t *testing.T) {
	d := testDemo(t)
	signed, open := demoImage(t, d, "demo/signed"), demoImage(t, d, "open/tool")
	images, _ := json.Marshal([]map[string]any{{"id": "1", "digest": "sha256:01", "names": []string{signed, open}}})
	root := d.Root
	for name, content := range map[string]string{
		"var/lib/containers/storage/overlay-images/images.json": string(images),
		"etc/crio/crio.conf": "[crio.image]\npause_image = \"" + signed + "\"\n",
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(root, name), []byte(content), 0o644)
	}
	live, err := os.ReadFile(filepath.Join(root, "etc/containers/policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, candidate string
		code, rejected  int
	}{
		{"rejecting candidate", strings.Replace(string(live), "insecureAcceptAnything", "reject", 1), exitFindings, 1},
		{"the live policy", string(live), exitOK, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(filepath.Join(root, "var/lib/imgtrust/shadow.log"))
			cand := filepath.Join(t.TempDir(), "candidate.json")
			os.WriteFile(cand, []byte(tc.candidate), 0o644)
			code, out, errs := run(t, "shadow", "--json", "--root", root, "--tls-verify=false", "--candidate", cand, "--for", "300ms")
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out, errs)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			var events []string
			var last map[string]any
			for _, l := range lines {
				var v map[string]any
				if err := json.Unmarshal([]byte(l), &v); err != nil {
					t.Fatalf("not a JSON line: %q (%v)\n%s", l, err, out)
				}
				events = append(events, v["event"].(string))
				last = v
			}
			if want := "start image image summary"; strings.Join(events, " ") != want {
				t.Errorf("events %v, want %s\n%s", events, want, out)
			}
			if last["pulls"] != 2.0 || last["rejected"] != float64(tc.rejected) || last["examples"] == nil {
				t.Errorf("summary %v\n%s", last, out)
			}
		})
	}
}

// TestShadowLogMustBeARegularFile: a FIFO, device, socket or directory
// given as --log (or in the log's place) is refused by what it is, before
// it is opened for appending, with a reader on the FIFO or without.
func TestShadowLogMustBeARegularFile(t *testing.T) {
	policy := `{"default":[{"type":"insecureAcceptAnything"}]}` + "\n"
	tests := []struct {
		name, what string
		make       func(t *testing.T, p string)
	}{
		{"a FIFO", "a FIFO", func(t *testing.T, p string) {
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"a FIFO with a reader", "a FIFO", func(t *testing.T, p string) {
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
		}},
		{"a device", "a device", func(t *testing.T, p string) {
			if err := syscall.Mknod(p, syscall.S_IFCHR|0o600, 1<<8|3); err != nil { // /dev/null's numbers
				t.Skip("mknod needs CAP_MKNOD:", err)
			}
		}},
		{"a socket", "a socket", func(t *testing.T, p string) {
			l, err := net.Listen("unix", p)
			if err != nil {
				t.Skip("no unix socket here:", err)
			}
			t.Cleanup(func() { l.Close() })
		}},
		{"a directory", "a directory", func(t *testing.T, p string) { os.Mkdir(p, 0o755) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := scratchRoot(t, policy, nil)
			dir := filepath.Join(root, "var/lib/imgtrust")
			os.MkdirAll(dir, 0o755)
			tc.make(t, filepath.Join(dir, "odd"))
			cand := filepath.Join(t.TempDir(), "candidate.json")
			os.WriteFile(cand, []byte(policy), 0o644)
			for _, args := range [][]string{
				{"--log", "/var/lib/imgtrust/odd"},
				{"--log", "/var/lib/imgtrust/link"}, // a symlink to it, inside the root
			} {
				os.Symlink("/var/lib/imgtrust/odd", filepath.Join(dir, "link"))
				full := append([]string{"shadow", "--root", root, "--own-image", "none", "--candidate", cand, "--for", "50ms"}, args...)
				code, out, errs := run(t, full...)
				if code != exitUsage || !strings.Contains(errs, "is "+tc.what) || !strings.Contains(errs, "refusing to append") {
					t.Errorf("%v: exit %d, want %d and the refusal naming %s\n%s%s", args, code, exitUsage, tc.what, out, errs)
				}
			}
		})
	}
}

// TestOpenAppendLooksBeforeOpening: openAppend refuses what is not a
// regular file from its lstat, so a FIFO with a reader waiting is never
// opened (its reader would see a writer come and go).
func TestOpenAppendLooksBeforeOpening(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "var/log.fifo")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := openAppend(nodefs.New(root), p, shadowLogKind)
	if err == nil {
		f.Close()
		t.Fatal("a FIFO was opened for appending")
	}
	var nr *nodefs.NotRegularError
	if !errors.As(err, &nr) || nr.What != "a FIFO" {
		t.Fatalf("refused as %v, want a NotRegularError naming the FIFO", err)
	}
	// A regular file is appended to, and a missing one created.
	for _, name := range []string{"var/new.log", "var/new.log"} {
		f, err := openAppend(nodefs.New(root), filepath.Join(root, name), shadowLogKind)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("x\n")
		f.Close()
	}
	if data, _ := os.ReadFile(filepath.Join(root, "var/new.log")); string(data) != "x\nx\n" {
		t.Errorf("appended: %q", data)
	}
}
