package node

import (
	"strings"
	"testing"
)

// TestChoosePolicy follows CRI-O's rule (server/image_pull.go:
// contextForNamespace; server/server.go: New): the namespace's file in
// signature_policy_dir if it exists, a stat error other than "missing"
// fails the pull, else signature_policy, else the system policy; a pull
// without a namespace never looks in the directory.
func TestChoosePolicy(t *testing.T) {
	const sys = "/etc/containers/policy.json"
	tests := []struct {
		name      string
		files     map[string]string
		namespace string
		explicit  bool
		want      string // node path chosen; "" for an error
		nsFile    bool
		recheck   bool
		errHas    string
	}{
		{name: "default dir, file present", files: map[string]string{"etc/crio/policies/team-a.json": "{}"},
			namespace: "team-a", want: "/etc/crio/policies/team-a.json", nsFile: true, recheck: true},
		{name: "default dir, file absent", files: map[string]string{"etc/crio/policies/team-b.json": "{}"},
			namespace: "team-a", want: sys},
		{name: "dir absent", namespace: "team-a", want: sys},
		{name: "bare pull ignores the dir", files: map[string]string{"etc/crio/policies/team-a.json": "{}"},
			namespace: "", want: sys},
		{name: "configured dir", files: map[string]string{
			"etc/crio/crio.conf.d/10-ns.conf": "[crio.image]\nsignature_policy_dir = \"/etc/ns\"\n",
			"etc/crio/policies/team-a.json":   "{}",
			"etc/ns/team-a.json":              "{}",
		}, namespace: "team-a", want: "/etc/ns/team-a.json", nsFile: true, recheck: true},
		{name: "configured dir, file only in the default dir", files: map[string]string{
			"etc/crio/crio.conf":            "[crio.image]\nsignature_policy_dir = \"/etc/ns\"\n",
			"etc/crio/policies/team-a.json": "{}",
		}, namespace: "team-a", want: sys},
		{name: "fallback to signature_policy", files: map[string]string{
			"etc/crio/crio.conf": "[crio.image]\nsignature_policy = \"/etc/crio/global.json\"\n",
		}, namespace: "team-a", want: "/etc/crio/global.json", recheck: true},
		{name: "signature_policy for a bare pull", files: map[string]string{
			"etc/crio/crio.conf": "[crio.image]\nsignature_policy = \"/etc/crio/global.json\"\n",
		}, want: "/etc/crio/global.json", recheck: true},
		{name: "namespace file wins over signature_policy", files: map[string]string{
			"etc/crio/crio.conf":            "[crio.image]\nsignature_policy = \"/etc/crio/global.json\"\n",
			"etc/crio/policies/team-a.json": "{}",
		}, namespace: "team-a", want: "/etc/crio/policies/team-a.json", nsFile: true, recheck: true},
		{name: "--policy stands for the global policy", files: map[string]string{
			"etc/crio/crio.conf": "[crio.image]\nsignature_policy = \"/etc/crio/global.json\"\n",
		}, namespace: "team-a", explicit: true, want: sys},
		// The directory is a file: stat fails with ENOTDIR, not "missing".
		{name: "stat error fails the pull", files: map[string]string{"etc/crio/policies": "not a dir"},
			namespace: "team-a", errHas: "get context for namespace: read policy path /etc/crio/policies/team-a.json"},
		{name: "not a namespace name", namespace: "../containers/policy", errHas: "not a Kubernetes namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tt.files)
			paths := NewPaths(root, "", "", "")
			cfg, err := ReadCrioConfig(paths)
			if err != nil {
				t.Fatal(err)
			}
			ch, err := ChoosePolicy(paths, cfg, tt.namespace, tt.explicit)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ch.Node != tt.want || ch.Host != paths.Host(tt.want) || ch.NamespaceFile != tt.nsFile || ch.RecheckAtCreate != tt.recheck {
				t.Errorf("got %+v, want %s (namespace file %v, recheck %v)", ch, tt.want, tt.nsFile, tt.recheck)
			}
			if ch.Rule == "" {
				t.Error("no rule given")
			}
		})
	}
}

// TestNamespacePolicies lists the files CRI-O can select: *.json named
// like a namespace, in the configured directory.
func TestNamespacePolicies(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"etc/crio/policies/team-b.json":  "{}",
		"etc/crio/policies/team-a.json":  "{}",
		"etc/crio/policies/Team_C.json":  "{}", // no namespace is named so
		"etc/crio/policies/notes.txt":    "",
		"etc/crio/policies/.hidden.json": "{}",
	})
	paths := NewPaths(root, "", "", "")
	cfg, _ := ReadCrioConfig(paths)
	got, err := NamespacePolicies(paths, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range got {
		names = append(names, n.Namespace+"="+n.Node)
	}
	if want := "team-a=/etc/crio/policies/team-a.json team-b=/etc/crio/policies/team-b.json"; strings.Join(names, " ") != want {
		t.Errorf("got %v, want %s", names, want)
	}
	cfg.SignaturePolicyDir = "/nowhere"
	if got, err := NamespacePolicies(paths, cfg); err != nil || len(got) != 0 {
		t.Errorf("missing dir: %v %v", got, err)
	}
}

func TestValidNamespace(t *testing.T) {
	for ns, ok := range map[string]bool{"kube-system": true, "a": true, "a1-b2": true, strings.Repeat("a", 63): true,
		"": false, "-a": false, "a-": false, "A": false, "a.b": false, "a/b": false, "..": false, strings.Repeat("a", 64): false} {
		if got := ValidNamespace(ns) == nil; got != ok {
			t.Errorf("%q: valid %v, want %v", ns, got, ok)
		}
	}
}
