package workspace

import (
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
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
			writeFiles(t, root, map[string]string{
				"etc/containers/policy.json":    global,
				"etc/crio/policies/team-a.json": tt.nsFile,
			})
			w, err := Open(policyio.NewPaths(root, "", "", ""))
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
// that file, and compares it with the global policy, not with itself.
func TestOpenNamespace(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"etc/containers/policy.json": `{"default": [{"type": "reject"}]}`,
		"etc/crio/crio.conf":         "[crio.image]\nsignature_policy_dir = \"/etc/ns\"\n",
		"etc/ns/team-a.json":         `{"default": [{"type": "reject"}]}`,
	})
	paths := policyio.NewPaths(root, "", "", "")
	w, err := OpenNamespace(paths, "team-a")
	if err != nil {
		t.Fatal(err)
	}
	if w.Paths.Policy != paths.Host("/etc/ns/team-a.json") || w.Namespace != "team-a" {
		t.Fatalf("opened %s (%s)", w.Paths.Policy, w.Namespace)
	}
	codes := func() []string {
		var c []string
		for _, d := range w.Problems() {
			c = append(c, d.Code)
		}
		return c
	}
	if c := codes(); strings.Contains(strings.Join(c, " "), "namespace-wider") {
		t.Errorf("as strict as the global policy, yet: %v", c)
	}
	w.Edit("accept all", func(p *model.Policy) {
		p.Default = model.Requirements{{Type: model.InsecureAcceptAnything}}
	})
	if c := codes(); !strings.Contains(strings.Join(c, " "), "namespace-wider") {
		t.Errorf("staged namespace policy accepts everything, no warning: %v", c)
	}
	if _, err := OpenNamespace(paths, "../containers/policy"); err == nil {
		t.Error("a name that is no namespace was opened")
	}
}
