package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/runtimever"
)

// TestNamespaceProblems: each namespace policy is checked as the runtime
// loads it for its pods, and one that accepts what the global policy
// rejects is a warning (CRI-O assumes it never is:
// server/container_create.go: verifyImageSignature).
func TestNamespaceProblems(t *testing.T) {
	const global = `{"default": [{"type": "reject"}], "transports": {"docker": {"quay.io/open": [{"type": "insecureAcceptAnything"}]}}}`
	tests := []struct {
		name   string
		nsFile string
		lib    string
		want   []string // codes, in order, of diagnostics on the namespace file
	}{
		{"same as global", global, "", nil},
		{"stricter", `{"default": [{"type": "reject"}]}`, "", nil},
		{"accepts everything", `{"default": [{"type": "insecureAcceptAnything"}]}`, "", []string{"namespace-wider", "default-accepts-anything"}},
		{"opens one repository", `{"default": [{"type": "reject"}], "transports": {"docker": {"quay.io/open": [{"type": "insecureAcceptAnything"}], "quay.io/team": [{"type": "insecureAcceptAnything"}]}}}`, "", []string{"namespace-wider"}},
		{"syntax error", `{"default": [{"type": "reject"},]}`, "", []string{"trailing-comma"}},
		{"key unknown to the node's release", `{"default": [{"type": "reject"}], "transports": {"docker": {"quay.io/x": [{"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/etc/gpg/a.gpg"]}]}}}`, "v5.21.0",
			[]string{"runtime-version", "key-missing"}}, // refused by the node: not wider
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeNodeFiles(t, root, map[string]string{
				"etc/containers/policy.json":    global,
				"etc/crio/policies/team-a.json": tt.nsFile,
			})
			w, err := Open(node.NewPaths(root, "", "", ""))
			if err != nil {
				t.Fatal(err)
			}
			if tt.lib != "" {
				w.Runtime.Library = runtimever.Known(tt.lib, "test")
			}
			nsHost := w.Paths.Host("/etc/crio/policies/team-a.json")
			var got []string
			for _, d := range w.Problems() {
				if d.Pos.File == nsHost {
					got = append(got, d.Code)
					if d.Code == "namespace-wider" && (d.Severity != model.Warning || !strings.Contains(d.Message, "namespace team-a") || !strings.Contains(d.Message, "/etc/containers/policy.json")) {
						t.Errorf("%+v", d)
					}
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestOpenNamespace: a workspace on a namespace's policy stages and saves
// that file, and compares it with the global policy (the one its pods use
// until the file exists), not with itself.
func TestOpenNamespace(t *testing.T) {
	const global = `{"default": [{"type": "reject"}], "transports": {"docker": {"quay.io/open": [{"type": "insecureAcceptAnything"}]}}}`
	root := t.TempDir()
	writeNodeFiles(t, root, map[string]string{
		"etc/containers/policy.json": global,
		"etc/crio/crio.conf":         "[crio.image]\nsignature_policy_dir = \"/etc/ns\"\n",
		"etc/ns/wide.json":           `{"default": [{"type": "insecureAcceptAnything"}]}`,
	})
	paths := node.NewPaths(root, "", "", "")
	has := func(w *Workspace, code string) bool {
		for _, d := range w.Problems() {
			if d.Code == code {
				return true
			}
		}
		return false
	}
	wide, err := OpenNamespace(paths, "wide")
	if err != nil {
		t.Fatal(err)
	}
	if !has(wide, "namespace-wider") {
		t.Error("the namespace file on disk accepts everything, no warning")
	}

	w, err := OpenNamespace(paths, "team-a")
	if err != nil {
		t.Fatal(err)
	}
	if w.Paths.Policy != paths.Host("/etc/ns/team-a.json") || w.Namespace != "team-a" || w.PolicyFile().Exists {
		t.Fatalf("opened %s (%s)", w.Paths.Policy, w.Namespace)
	}
	if base := w.BaselinePolicy(); base == nil || len(base.Transports) != 1 {
		t.Fatalf("baseline of a namespace without a file: %+v, want the global policy", base)
	}
	// As strict as the global policy: no widening, saved without consent.
	w.Edit("copy the global policy", func(p *model.Policy) {
		p.Default = model.Requirements{{Type: model.Reject}}
		p.SetScope("docker", "quay.io/open", model.Requirements{{Type: model.InsecureAcceptAnything}})
	})
	if ch, err := w.PolicyChange(); err != nil || ch == nil || len(ch.Weakenings) != 0 {
		t.Fatalf("change %+v, %v: want one without widening", ch, err)
	}
	if has(w, "namespace-wider") {
		t.Error("as strict as the global policy, yet a warning")
	}
	if err := w.Save("", false); err != nil {
		t.Fatalf("save: %v", err)
	}
	if _, err := os.Stat(paths.Host("/etc/ns/team-a.json")); err != nil {
		t.Fatal(err)
	}
	// Wider than the global policy: a warning, and a save needs consent.
	w.Edit("accept all", func(p *model.Policy) {
		p.Default = model.Requirements{{Type: model.InsecureAcceptAnything}}
	})
	if !has(w, "namespace-wider") {
		t.Error("staged namespace policy accepts everything, no warning")
	}
	if err := w.Save("", false); err == nil {
		t.Error("a widening save went through without consent")
	}
	if _, err := OpenNamespace(paths, "../containers/policy"); err == nil {
		t.Error("a name that is no namespace was opened")
	}
}

// TestImagesFor: a namespace policy never judges the pause image, which
// CRI-O pulls with its global SystemContext (sandbox_run_linux.go).
func TestImagesFor(t *testing.T) {
	imgs := []node.NodeImage{{Ref: "registry.k8s.io/pause:3.10", Role: node.RolePause}, {Ref: "quay.io/a:1", Role: node.RoleStored}}
	if got := (&Workspace{}).ImagesFor(imgs); len(got) != 2 {
		t.Errorf("global: %v", got)
	}
	if got := (&Workspace{Namespace: "team-a"}).ImagesFor(imgs); len(got) != 1 || got[0].Role != node.RoleStored {
		t.Errorf("namespace: %v", got)
	}
}

// writeNodeFiles writes files (paths relative to root) for a test node.
func writeNodeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBaselineRefusedByNode: a policy the node's release refuses lets
// nothing in today, so fixing it so that it loads is a widening of what
// the node accepts, and the save asks for consent.
func TestBaselineRefusedByNode(t *testing.T) {
	root := t.TempDir()
	writeNodeFiles(t, root, map[string]string{
		"etc/containers/policy.json": `{"default": [{"type": "reject"}], "transports": {"docker": {"r.example/a": [{"type": "insecureAcceptAnything"}], "r.example/b": [{"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/etc/gpg/a.gpg"]}]}}}`,
	})
	w, err := Open(node.NewPaths(root, "", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	if w.BaselinePolicy() == nil {
		t.Fatal("no release known: the file on disk is the baseline")
	}
	w.Runtime.Library = runtimever.Known("v5.21.0", "test")
	if w.BaselinePolicy() != nil {
		t.Fatal("v5.21 refuses keyPaths: the baseline must accept nothing")
	}
	w.Edit("drop the keyPaths rule", func(p *model.Policy) { p.RemoveScope("docker", "r.example/b") })
	ch, err := w.PolicyChange()
	if err != nil || ch == nil || len(ch.Weakenings) == 0 {
		t.Fatalf("change %+v, %v: want a widening (r.example/a now gets in)", ch, err)
	}
	if err := w.Save("", false); err == nil {
		t.Error("saved a widening without consent")
	}
	if err := w.Save("", true); err != nil {
		t.Errorf("save with consent: %v", err)
	}
}
