package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyNamespace: verify --namespace uses the policy CRI-O chooses
// for a pod in that namespace (server/image_pull.go: contextForNamespace):
// the namespace's file in signature_policy_dir replaces the global policy;
// a namespace without a file, and a pull without a namespace, get the
// global one. The demo rejects demo/unsigned; team-a's policy accepts it.
func TestVerifyNamespace(t *testing.T) {
	d := testDemo(t)
	unsigned := demoImage(t, d, "demo/unsigned")
	write := func(rel, content string) {
		p := filepath.Join(d.Root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/crio/crio.conf.d/50-namespaces.conf", "[crio.image]\nsignature_policy_dir = \"/etc/crio/ns\"\n")
	write("etc/crio/ns/team-a.json", `{"default": [{"type": "insecureAcceptAnything"}]}`)
	// In the default directory, which crio.conf no longer names: unused.
	write("etc/crio/policies/team-b.json", `{"default": [{"type": "insecureAcceptAnything"}]}`)
	node := []string{"--root", d.Root, "--tls-verify=false", "--mechanism", "openpgp-gocrypto", "--timeout", "2s"}
	tests := []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"namespace file accepts", []string{"--namespace", "team-a"}, exitOK,
			[]string{"ACCEPTED", "/etc/crio/ns/team-a.json for namespace team-a", "replaces the global policy", "check this policy again when a container is created"}},
		{"no file: global policy", []string{"--namespace", "team-b"}, exitFindings,
			[]string{"REJECTED", "namespace team-b has no /etc/crio/ns/team-b.json", "the system policy"}},
		{"no namespace: global policy", nil, exitFindings, []string{"REJECTED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append(append([]string{"verify"}, node...), tt.args...), unsigned)
			code, out, errOut := run(t, args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.out {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if code, _, errOut := run(t, append(append([]string{"verify"}, node...), "--namespace", "../x", unsigned)...); code != exitUsage || !strings.Contains(errOut, "not a Kubernetes namespace") {
		t.Errorf("bad namespace: exit %d, %s", code, errOut)
	}
}

// TestVerifyOldRuntimeRefusesPolicy: a key the node's containers/image
// release does not know makes the runtime refuse the file, so verify says
// the configuration is invalid (exit 2) instead of giving a verdict the
// node cannot reach; on a release that has the key, the verdict follows.
func TestVerifyOldRuntimeRefusesPolicy(t *testing.T) {
	root := scratchRoot(t, `{"default": [{"type": "reject"}], "transports": {"docker": {"r.example/a": [{"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/etc/gpg/a.gpg"]}]}}}`, nil)
	code, _, errOut := run(t, "verify", "--root", root, "--runtime-version", "v5.21.0", "r.example/b:1")
	if code != exitUsage || !strings.Contains(errOut, `Unknown key "keyPaths"`) {
		t.Errorf("v5.21.0: exit %d, %s", code, errOut)
	}
	if code, out, errOut := run(t, "verify", "--root", root, "--runtime-version", "v5.22.0", "r.example/b:1"); code != exitFindings {
		t.Errorf("v5.22.0: exit %d, want a rejection by default\n%s%s", code, out, errOut)
	}
}

// TestShowNamespaces: show lists each namespace policy after the global
// one; --namespace shows the one CRI-O picks, saying why; a namespace
// policy with errors makes the exit 1.
func TestShowNamespaces(t *testing.T) {
	// The pause image accepted, so that lint --offline (whose errors show
	// counts) finds none.
	root := scratchRoot(t, `{"default": [{"type": "reject"}], "transports": {"docker": {"registry.k8s.io/pause": [{"type": "insecureAcceptAnything"}]}}}`, map[string]string{
		"etc/crio/policies/team-a.json": `{"default": [{"type": "insecureAcceptAnything"}]}`,
	})
	code, out, errOut := run(t, "show", "--root", root)
	if code != exitOK || !strings.Contains(out, "namespace team-a: /etc/crio/policies/team-a.json") || strings.Count(out, "reject every image") != 1 || strings.Count(out, "accept anything") != 2 {
		t.Errorf("show: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, "show", "--root", root, "--namespace", "team-a")
	if code != exitOK || !strings.Contains(out, "has its own policy") || strings.Contains(out, "reject every image") {
		t.Errorf("show --namespace team-a: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "show", "--root", root, "--namespace", "team-b")
	if code != exitOK || !strings.Contains(out, "has no /etc/crio/policies/team-b.json") || !strings.Contains(out, "reject every image") {
		t.Errorf("show --namespace team-b: exit %d\n%s", code, out)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/crio/policies/team-a.json"), []byte(`{"default": [}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run(t, "show", "--root", root); code != exitFindings || !strings.Contains(out, "the runtime cannot load it: every pull for its pods fails") {
		t.Errorf("broken namespace policy: exit %d, %s", code, out)
	}
}

// TestLintNamespaces: lint checks each namespace policy as CRI-O loads it
// for that namespace's pods: an error there fails only that namespace's
// pulls (and says so), a wider one is a warning, and a key the node's
// release does not know is an error against --runtime-version.
func TestLintNamespaces(t *testing.T) {
	global := `{"default": [{"type": "reject"}], "transports": {"docker": {"registry.k8s.io/pause": [{"type": "insecureAcceptAnything"}]}}}`
	tests := []struct {
		name    string
		nsFile  string
		version string
		code    int
		out     []string
		notOut  []string
	}{
		{"wider", `{"default": [{"type": "insecureAcceptAnything"}]}`, "", exitOK,
			[]string{"warning: namespace team-a's policy accepts what the global policy /etc/containers/policy.json rejects"}, []string{"CRI-O refuses"}},
		{"syntax error", `{"default": [}`, "", exitFindings,
			[]string{"CRI-O refuses", "team-a.json: every pull for pods in its namespace fails"}, []string{"refuses this policy.json"}},
		{"key unknown to the node", `{"default": [{"type": "reject"}], "transports": {"docker": {"q.example/a": [{"type": "sigstoreSigned", "keyPaths": ["/k.pub"]}]}}}`, "v5.32.0", exitFindings,
			[]string{`Unknown key "keyPaths"`, "CRI-O refuses"}, []string{"refuses this policy.json"}},
		{"key known to the node", `{"default": [{"type": "reject"}], "transports": {"docker": {"q.example/a": [{"type": "sigstoreSigned", "keyPaths": ["/k.pub"]}]}}}`, "v5.33.0", exitFindings,
			nil, []string{`Unknown key`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := scratchRoot(t, global, map[string]string{"etc/crio/policies/team-a.json": tt.nsFile})
			args := []string{"lint", "--root", root, "--offline"}
			if tt.version != "" {
				args = append(args, "--runtime-version", tt.version)
			}
			code, out, errOut := run(t, args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.out {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notOut {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestLintSaysWhichReleaseItAssumed: without a runtime binary lint says
// which containers/image release it checked against, in text and JSON;
// with --runtime-version it was not assumed.
func TestLintSaysWhichReleaseItAssumed(t *testing.T) {
	root := scratchRoot(t, `{"default": [{"type": "reject"}]}`, nil)
	_, out, _ := run(t, "lint", "--root", root, "--offline")
	if !strings.Contains(out, "assumed v5.38.0") {
		t.Errorf("text does not say what was assumed:\n%s", out)
	}
	_, out, _ = run(t, "lint", "--root", root, "--offline", "--json")
	var rep struct {
		Runtime struct {
			Version string `json:"version"`
			Assumed bool   `json:"assumed"`
		} `json:"runtime"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Runtime.Version != "v5.38.0" || !rep.Runtime.Assumed {
		t.Errorf("json runtime %+v (%v)", rep.Runtime, err)
	}
	_, out, _ = run(t, "lint", "--root", root, "--offline", "--runtime-version", "v5.42.1", "--json")
	rep.Runtime.Version, rep.Runtime.Assumed = "", false
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Runtime.Version != "v5.42.1" || rep.Runtime.Assumed {
		t.Errorf("json runtime with --runtime-version %+v (%v)", rep.Runtime, err)
	}
}

// TestVerifyNamespaceInvalidPolicy: a namespace policy the runtime
// refuses fails that namespace's pulls (exit 2, said so); the global
// policy still decides for others.
func TestVerifyNamespaceInvalidPolicy(t *testing.T) {
	root := scratchRoot(t, `{"default": [{"type": "reject"}]}`, map[string]string{
		"etc/crio/policies/team-a.json": `{"default": [{"type": "reject"},]}`,
	})
	code, _, errOut := run(t, "verify", "--root", root, "--namespace", "team-a", "r.example/a:1")
	if code != exitUsage || !strings.Contains(errOut, "namespace team-a is invalid") || !strings.Contains(errOut, "every pull for its pods fails") {
		t.Errorf("team-a: exit %d\n%s", code, errOut)
	}
	if code, out, errOut := run(t, "verify", "--root", root, "--namespace", "team-b", "r.example/a:1"); code != exitFindings {
		t.Errorf("team-b: exit %d\n%s%s", code, out, errOut)
	}
}
