package nodefs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kios/imgtrust/nodefs/nodefstest"
)

// scratch makes a node root and, beside it, a directory standing for the
// machine imgtrust runs on (the pod), with a file at the same node path
// in both: a read that follows a link on the pod gets "pod".
func scratch(t *testing.T) (root, pod string) {
	t.Helper()
	base := t.TempDir()
	root, pod = filepath.Join(base, "node"), filepath.Join(base, "pod")
	write(t, filepath.Join(root, "usr/share/x/policy.json"), "node")
	write(t, filepath.Join(pod, "usr/share/x/policy.json"), "pod")
	return root, pod
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// TestResolveAsTheNode: every kind of link is followed as the node's
// kernel would follow it, inside the root: an absolute target /x is R/x,
// ".." stops at R, chains and links in directories too.
func TestResolveAsTheNode(t *testing.T) {
	root, pod := scratch(t)
	// An absolute link naming the pod's own copy by its pod path: on the
	// node that path is R/<pod path>, which does not exist.
	cases := []struct {
		name, target string
		want         string // content read; "" for does not exist
	}{
		{"absolute", "/usr/share/x/policy.json", "node"},
		{"relative", "../../usr/share/x/policy.json", "node"},
		{"dotdot-climbs-above-root", "../../../../../../../../usr/share/x/policy.json", "node"},
		{"absolute-dotdot", "/../../usr/share/x/policy.json", "node"},
		{"chain", "/etc/chain1", "node"},
		{"host-path-of-pod-file", filepath.Join(pod, "usr/share/x/policy.json"), ""},
	}
	link(t, "/etc/chain2", filepath.Join(root, "etc/chain1"))
	link(t, "../usr/share/x/../x/policy.json", filepath.Join(root, "etc/chain2"))
	node := New(root)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(root, "etc/containers", c.name+".json")
			link(t, c.target, p)
			data, err := node.ReadFile(p, PolicyFile)
			if c.want == "" {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("read %q, %v; want does not exist (the node has no such file)", data, err)
				}
				return
			}
			if err != nil || string(data) != c.want {
				t.Fatalf("read %q, %v; want %q", data, err, c.want)
			}
			got, err := node.Resolve(p)
			if err != nil || got != filepath.Join(root, "usr/share/x/policy.json") {
				t.Fatalf("Resolve = %s, %v", got, err)
			}
		})
	}
	t.Run("directory-link", func(t *testing.T) {
		link(t, "/usr/share/x", filepath.Join(root, "etc/keys"))
		data, err := node.ReadFile(filepath.Join(root, "etc/keys/policy.json"), KeyFile)
		if err != nil || string(data) != "node" {
			t.Fatalf("read %q, %v", data, err)
		}
		ents, err := node.ReadDir(filepath.Join(root, "etc/keys"))
		if err != nil || len(ents) != 1 || ents[0].Name() != "policy.json" {
			t.Fatalf("ReadDir = %v, %v", ents, err)
		}
	})
	t.Run("root-slash-is-this-machine", func(t *testing.T) {
		p := filepath.Join(pod, "etc/containers/policy.json")
		link(t, filepath.Join(pod, "usr/share/x/policy.json"), p)
		data, err := FS{}.ReadFile(p, PolicyFile)
		if err != nil || string(data) != "pod" {
			t.Fatalf("read %q, %v", data, err)
		}
	})
	t.Run("admin-named-path-outside-root", func(t *testing.T) {
		data, err := node.ReadFile(filepath.Join(pod, "usr/share/x/policy.json"), PolicyFile)
		if err != nil || string(data) != "pod" {
			t.Fatalf("read %q, %v", data, err)
		}
	})
}

// TestEscapeRefused: a path that leaves the root once resolved (the tree
// changed between resolution and open: a directory became an absolute
// link to the pod's files) is refused with a message naming the root,
// and the file outside is neither read nor changed.
func TestEscapeRefused(t *testing.T) {
	root, pod := scratch(t)
	outside := filepath.Join(pod, "usr/share/x/policy.json")
	before, _ := os.ReadFile(outside)
	p := filepath.Join(root, "etc/swapped/policy.json")
	node := New(root)
	l, err := node.locate(p)
	if err != nil {
		t.Fatal(err)
	}
	link(t, filepath.Join(pod, "usr/share/x"), filepath.Join(root, "etc/swapped"))
	r, err := os.OpenRoot(l.root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, err := readIn(r, l.rel, l, PolicyFile)
	var esc *EscapeError
	if !errors.As(err, &esc) {
		t.Fatalf("read %q, %v; want an EscapeError", data, err)
	}
	if msg := err.Error(); !strings.Contains(msg, root) || !strings.Contains(msg, "cannot be resolved inside") || strings.Contains(msg, "pod") && strings.Contains(msg, string(before)) {
		t.Errorf("message %q", msg)
	}
	// A write through the same directory is refused too.
	if _, err := r.OpenFile(filepath.Join(l.rel), os.O_WRONLY|os.O_TRUNC, 0); err == nil {
		t.Error("opening for write through the swapped link succeeded")
	}
	after, _ := os.ReadFile(outside)
	if !bytes.Equal(before, after) {
		t.Fatalf("the pod's file changed: %q", after)
	}
}

// TestHostileFilesRefused: a FIFO, a device, a 2 GB sparse file and a
// directory are each refused at once, with an error naming the kind, and
// nothing is read from them.
func TestHostileFilesRefused(t *testing.T) {
	root := t.TempDir()
	node := New(root)
	for _, h := range nodefstest.All() {
		for _, k := range []Kind{PolicyFile, RegistriesDFile, KeyFile, CrioConf, ImageList, AuthFile, Signature, Manifest} {
			t.Run(h.Name+"/"+k.Name, func(t *testing.T) {
				p := filepath.Join(root, "etc", h.Name+"-"+strings.ReplaceAll(k.Name, " ", "_"))
				h.Make(t, p)
				var err error
				nodefstest.Bounded(t, func() { _, err = node.ReadFile(p, k) })
				var nr *NotRegularError
				var tl *TooLargeError
				switch {
				case errors.As(err, &nr), errors.As(err, &tl):
				default:
					t.Fatalf("got %v; want a not-regular or too-large error", err)
				}
				if !strings.Contains(err.Error(), k.Name) || !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not name the kind and the file", err)
				}
			})
		}
	}
	t.Run("this-machine-dev-zero", func(t *testing.T) {
		var err error
		nodefstest.Bounded(t, func() { _, err = FS{}.ReadFile("/dev/zero", KeyFile) })
		if err == nil || !strings.Contains(err.Error(), "a device, not a regular file") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("just-over-the-cap", func(t *testing.T) {
		p := filepath.Join(root, "big")
		write(t, p, strings.Repeat("x", int(Signature.Max)+1))
		_, err := node.ReadFile(p, Signature)
		if err == nil || !strings.Contains(err.Error(), "larger than imgtrust reads for a signature (at most 4 MiB)") {
			t.Fatalf("got %v", err)
		}
		write(t, p, strings.Repeat("x", int(Signature.Max)))
		if data, err := node.ReadFile(p, Signature); err != nil || len(data) != int(Signature.Max) {
			t.Fatalf("a file at the cap: %d bytes, %v", len(data), err)
		}
	})
}

func TestOpenDirCreatesInsideRoot(t *testing.T) {
	root, pod := scratch(t)
	// /etc/gpg is an absolute link to a directory that exists on the pod
	// only: on the node it is R/<that path>, created there.
	link(t, filepath.Join(pod, "gpg"), filepath.Join(root, "etc/gpg"))
	d, err := New(root).OpenDir(filepath.Join(root, "etc/gpg"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := os.Stat(filepath.Join(root, pod, "gpg")); err != nil {
		t.Errorf("the directory was not made inside the root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(pod, "gpg")); err == nil {
		t.Error("the directory was made on the pod")
	}
}

// TestReadFileAllocatesOnce: a file is read into one buffer of its size
// (io.ReadAll grew one by doubling, allocating about 2.5 times a large
// policy.json), with every byte, at each size around the buffer's end.
func TestReadFileAllocatesOnce(t *testing.T) {
	root := t.TempDir()
	node := New(root)
	for _, size := range []int{0, 1, 511, 512, 513, 1 << 20} {
		content := bytes.Repeat([]byte{'x'}, size)
		p := filepath.Join(root, "etc/containers/policy.json")
		write(t, p, string(content))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err := node.ReadFile(p, PolicyFile)
		runtime.ReadMemStats(&after)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("size %d: %d bytes, %v", size, len(got), err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; size >= 1<<20 && alloc > uint64(size)*5/4 {
			t.Errorf("reading %d bytes allocated %d", size, alloc)
		}
	}
}
