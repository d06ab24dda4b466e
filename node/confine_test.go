package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/nodefs/nodefstest"
)

// TestNodeFilesConfined: crio.conf, a drop-in, the namespace policy
// directory and images.json as absolute links resolve inside the root:
// what is read is the node's, never the pod's file of the same path.
func TestNodeFilesConfined(t *testing.T) {
	base := t.TempDir()
	root, pod := filepath.Join(base, "node"), filepath.Join(base, "pod")
	put := func(podPath, nodeContent, podContent string) {
		writeFiles(t, "/", map[string]string{filepath.Join(root, podPath): nodeContent, podPath: podContent})
	}
	link := func(target, nodePath string) {
		p := filepath.Join(root, nodePath)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	put(filepath.Join(pod, "crio.conf"), "[crio.image]\npause_image = \"node.example.com/pause:1\"\n", "[crio.image]\npause_image = \"pod.example.com/pause:1\"\n")
	put(filepath.Join(pod, "10-policy.conf"), "[crio.image]\nsignature_policy_dir = \"/etc/ns\"\n", "[crio.image]\nsignature_policy_dir = \"/pod-ns\"\n")
	put(filepath.Join(pod, "images.json"), `[{"names":["node.example.com/app:1"]}]`, `[{"names":["pod.example.com/app:1"]}]`)
	put(filepath.Join(pod, "ns/a.json"), "{}", "{}")
	link(filepath.Join(pod, "crio.conf"), CrioConf)
	link("../../../../../.."+filepath.Join(pod, "10-policy.conf"), filepath.Join(CrioConfD, "10-policy.conf"))
	link(filepath.Join(pod, "images.json"), StorageImagesJSON)
	link(filepath.Join(pod, "ns"), "/etc/ns")
	paths := NewPaths(root, "", "", "")
	imgs, err := NodeImages(paths)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(imgs, " ") != "node.example.com/pause:1 node.example.com/app:1" {
		t.Errorf("images %v, want the node's", imgs)
	}
	var ns string
	for _, d := range NodeDiagnostics(paths) {
		if d.Code == "namespace-policies" {
			ns = d.Message
		}
	}
	if !strings.Contains(ns, "1 per-namespace policies in /etc/ns") {
		t.Errorf("namespace policies: %q", ns)
	}
}

// TestHostileNodeFilesRefused: a FIFO, a device, a 2 GB sparse file or a
// directory as crio.conf, a drop-in or images.json is an error at once.
func TestHostileNodeFilesRefused(t *testing.T) {
	for _, h := range nodefstest.All() {
		for _, f := range []string{CrioConf, CrioConfD + "/10-x.conf", StorageImagesJSON} {
			t.Run(h.Name+f, func(t *testing.T) {
				root := t.TempDir()
				paths := NewPaths(root, "", "", "")
				h.Make(t, paths.Host(f))
				var err error
				nodefstest.Bounded(t, func() { _, err = NodeImages(paths) })
				if err == nil || !strings.Contains(err.Error(), paths.Host(f)) {
					t.Fatalf("got %v", err)
				}
			})
		}
	}
}

// TestDeepNestingRefused: crio.conf and images.json nested a million
// levels deep are errors, not a stack overflow (images.json is streamed:
// encoding/json's decoder stops at its own depth limit).
func TestDeepNestingRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		want  string
	}{
		"crio.conf":    {map[string]string{CrioConf: "a = " + strings.Repeat("[", 1_000_000)}, "nested more than"},
		"inline-table": {map[string]string{CrioConf: "a = " + strings.Repeat("{b=", 1_000_000)}, "nested more than"},
		"images.json":  {map[string]string{StorageImagesJSON: strings.Repeat("[", 1_000_000)}, "images.json: image list, record at byte 1: invalid character '[' exceeded max depth"},
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tc.files)
			_, err := NodeImages(NewPaths(root, "", "", ""))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v", err)
			}
		})
	}
}
