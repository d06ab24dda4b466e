package policyio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs/nodefstest"
)

// twoMachines makes a node root and a "pod" directory beside it. put
// writes content at the node path on the node (under the root) and a
// different content at the same absolute path on the pod, so that a link
// followed on the pod instead of the node reads the wrong one.
type twoMachines struct {
	root, pod string
}

func newTwoMachines(t *testing.T) twoMachines {
	base := t.TempDir()
	return twoMachines{root: filepath.Join(base, "node"), pod: filepath.Join(base, "pod")}
}

func (m twoMachines) put(t *testing.T, podPath, nodeContent, podContent string) {
	t.Helper()
	for p, c := range map[string]string{filepath.Join(m.root, podPath): nodeContent, podPath: podContent} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (m twoMachines) link(t *testing.T, target, nodePath string) {
	t.Helper()
	p := filepath.Join(m.root, nodePath)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

const (
	nodePolicy = `{"default":[{"type":"reject"}]}`
	podPolicy  = `{"default":[{"type":"insecureAcceptAnything"}]}`
)

// TestPolicyConfinedToRoot: under --root, policy.json as an absolute or
// relative link (also climbing with "..", or a chain) is read and written
// as the node sees it; the pod's file of the same path is unchanged.
func TestPolicyConfinedToRoot(t *testing.T) {
	for _, kind := range []string{"absolute", "relative", "dotdot", "chain"} {
		t.Run(kind, func(t *testing.T) {
			m := newTwoMachines(t)
			target := filepath.Join(m.pod, "share/policy.json")
			m.put(t, target, nodePolicy, podPolicy)
			linkTarget := map[string]string{
				"absolute": target,
				"relative": "../.." + target,
				"dotdot":   strings.Repeat("../", 30) + target,
				"chain":    "/etc/containers/hop",
			}[kind]
			m.link(t, linkTarget, node.DefaultPolicyPath)
			m.link(t, target, "/etc/containers/hop")
			paths := node.NewPaths(m.root, "", "", "")
			pf, err := LoadPolicyFrom(paths.FS(), paths.Policy)
			if err != nil {
				t.Fatal(err)
			}
			if string(pf.Raw) != nodePolicy {
				t.Fatalf("read %s, want the node's %s", pf.Raw, nodePolicy)
			}
			res, err := SavePolicy(pf, pf.Policy, SaveOptions{AuditLog: paths.Host("/var/log/imgtrust/audit.log")})
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(m.root, target); res.Path != want {
				t.Errorf("wrote %s, want %s", res.Path, want)
			}
			if got, _ := os.ReadFile(target); string(got) != podPolicy {
				t.Errorf("the pod's file changed: %s", got)
			}
		})
	}
}

// TestRegistriesDAndKeysConfined: the registries.d directory as a link,
// a registries.d file as a link, the keys directory and a keyPath target
// as links all resolve inside the root.
func TestRegistriesDAndKeysConfined(t *testing.T) {
	m := newTwoMachines(t)
	dirTarget := filepath.Join(m.pod, "registries.d")
	m.put(t, filepath.Join(dirTarget, "a.yaml"), "docker:\n  node.example.com:\n    lookaside: https://node.example.com/sigs\n", "docker:\n  pod.example.com:\n    lookaside: https://pod.example.com/sigs\n")
	fileTarget := filepath.Join(m.pod, "b.yaml")
	m.put(t, fileTarget, "docker:\n  node2.example.com:\n    lookaside: https://node2.example.com/sigs\n", "docker:\n  pod2.example.com:\n    lookaside: https://pod2.example.com/sigs\n")
	m.link(t, dirTarget, node.DefaultRegistriesD)
	m.link(t, "../../../../../../.."+fileTarget, filepath.Join(dirTarget, "b.yaml"))
	paths := node.NewPaths(m.root, "", "", "")
	rd, diags := LoadRegistriesDFrom(paths.FS(), paths.RegistriesD)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var scopes []string
	for _, e := range rd.Entries {
		scopes = append(scopes, e.Scope)
	}
	if strings.Join(scopes, ",") != "node.example.com,node2.example.com" {
		t.Fatalf("scopes %v, want the node's", scopes)
	}
	// An edit of the linked file is written inside the root.
	changes, err := rd.Set("node2.example.com", "https://new.example.com/sigs", SetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := applyChanges(changes, paths.Host("/var/log/imgtrust/audit.log"), "s"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(m.root, fileTarget)); !strings.Contains(string(got), "new.example.com") {
		t.Errorf("node file: %s", got)
	}
	if got, _ := os.ReadFile(fileTarget); !strings.Contains(string(got), "pod2.example.com") {
		t.Errorf("the pod's file changed: %s", got)
	}

	// keyPath: a link to an absolute path reads the node's key file.
	keyTarget := filepath.Join(m.pod, "keys/k.pub")
	m.put(t, keyTarget, "node key", "pod key")
	m.link(t, keyTarget, "/etc/gpg/k.gpg")
	pol, d := ParsePolicy("p", []byte(`{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}`))
	if d.HasErrors() {
		t.Fatal(d)
	}
	var seen string
	CheckKeyFiles(pol, paths, func(label string, pos model.Pos, data []byte) model.Diagnostics {
		seen = string(data)
		return nil
	})
	if seen != "node key" {
		t.Errorf("key file read %q, want the node's", seen)
	}
}

// TestHostileNodeFiles: a FIFO, a device, a 2 GB sparse file or a
// directory as policy.json, as a registries.d file or as a keyPath target
// ends in an error naming the file and the kind at once, in bounded
// memory.
func TestHostileNodeFiles(t *testing.T) {
	for _, h := range nodefstest.All() {
		t.Run(h.Name+"/policy.json", func(t *testing.T) {
			root := t.TempDir()
			paths := node.NewPaths(root, "", "", "")
			h.Make(t, paths.Policy)
			var err error
			nodefstest.Bounded(t, func() { _, err = LoadPolicyFrom(paths.FS(), paths.Policy) })
			if err == nil || !strings.Contains(err.Error(), "policy.json") || !strings.Contains(err.Error(), paths.Policy) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run(h.Name+"/registries.d", func(t *testing.T) {
			root := t.TempDir()
			paths := node.NewPaths(root, "", "", "")
			h.Make(t, filepath.Join(paths.RegistriesD, "x.yaml"))
			var diags model.Diagnostics
			nodefstest.Bounded(t, func() { _, diags = LoadRegistriesDFrom(paths.FS(), paths.RegistriesD) })
			want := "registries.d file"
			if h.Name == "directory" {
				// A directory named *.yaml has its own, version-dependent
				// rule (an error before containers/image v5.41).
				want = "is a directory"
			}
			if !diags.HasErrors() || !strings.Contains(diags[0].Message, want) {
				t.Fatalf("got %v", diags)
			}
		})
		t.Run(h.Name+"/keyPath", func(t *testing.T) {
			root := t.TempDir()
			paths := node.NewPaths(root, "", "", "")
			h.Make(t, filepath.Join(root, "etc/gpg/k.gpg"))
			pol, _ := ParsePolicy("p", []byte(`{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}`))
			var diags model.Diagnostics
			nodefstest.Bounded(t, func() { diags = CheckKeyFiles(pol, paths, nil) })
			if !diags.HasErrors() || !strings.Contains(diags.Sorted()[0].Message, "key file") {
				t.Fatalf("got %v", diags)
			}
		})
	}
}

// TestHostStaysInRoot: under a root, no node path maps outside it
// lexically: ".." stops at the root, and a relative path (which the
// runtime resolves against its own working directory) is taken from the
// node's "/", never from imgtrust's working directory.
func TestHostStaysInRoot(t *testing.T) {
	p := node.NewPaths("/host", "", "", "")
	for in, want := range map[string]string{
		"/etc/gpg/k.gpg":         "/host/etc/gpg/k.gpg",
		"/../../etc/shadow":      "/host/etc/shadow",
		"/etc/../../../../x":     "/host/x",
		"etc/gpg/k.gpg":          "/host/etc/gpg/k.gpg",
		"../../../../etc/shadow": "/host/etc/shadow",
	} {
		if got := p.Host(in); got != want {
			t.Errorf("Host(%q) = %q, want %q", in, got, want)
		}
	}
	if got := node.NewPaths("/", "", "", "").Host("etc/gpg/k.gpg"); got != "etc/gpg/k.gpg" {
		t.Errorf("on this machine a relative path is left alone: %q", got)
	}
}

// TestDiskKeyFilesConfinedToRoot: a key file that is a link is read as
// the node sees it (the key widening compares and the TUI's node-image
// check read keys through DiskKeyFiles), never the pod's file of the
// link's target path.
func TestDiskKeyFilesConfinedToRoot(t *testing.T) {
	m := newTwoMachines(t)
	target := filepath.Join(m.pod, "share/k.gpg")
	m.put(t, target, "node key", "pod key")
	m.link(t, target, "/etc/gpg/k.gpg")
	paths := node.NewPaths(m.root, "", "", "")
	got, err := DiskKeyFiles(paths)("/etc/gpg/k.gpg")
	if err != nil || string(got) != "node key" {
		t.Fatalf("read %q, %v; want the node's %q", got, err, "node key")
	}
}
