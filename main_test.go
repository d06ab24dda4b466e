package main

import (
	"bytes"
	"encoding/json"
	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes imgtrust in-process and returns exit code, stdout, stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := a.main(args)
	return code, out.String(), errb.String()
}

// scratchRoot makes a node root with the given policy.json and key files.
func scratchRoot(t *testing.T, policy string, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	if policy != "" {
		files = mapWith(files, "etc/containers/policy.json", policy)
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// testPublicKey is a freshly generated ECDSA P-256 public key (fast to
// make, and usable by every runtime mechanism).
func testPublicKey(t *testing.T) string {
	t.Helper()
	e, err := openpgp.NewEntity("test", "", "test@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func mapWith(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		out[a] = b
	}
	return out
}

func TestUsageAndExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"help", []string{"--help"}, exitOK, "usage: imgtrust"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"lint", "--frob"}, exitUsage, "unknown flag --frob (see --help)"},
		{"bad root", []string{"--root", "/nonexistent/root", "lint"}, exitUsage, "--root"},
		{"extra argument", []string{"lint", "extra"}, exitUsage, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, out, errs)
			}
			if !strings.Contains(out+errs, tt.out) {
				t.Errorf("output lacks %q:\n%s%s", tt.out, out, errs)
			}
		})
	}
}

func TestLint(t *testing.T) {
	guide, err := os.ReadFile("testdata/kios-guide-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	good := `{"default":[{"type":"reject"}],"transports":{"docker":{"registry.k8s.io/pause":[{"type":"insecureAcceptAnything"}],"example.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}}}`
	tests := []struct {
		name   string
		policy string
		files  map[string]string
		code   int
		want   []string
	}{
		{"kiOS guide", string(guide), nil, exitFindings, []string{"policy.json:26:32: error: JSON syntax error", "line 26, column 15"}},
		{"missing policy", "", nil, exitFindings, []string{"does not exist"}},
		{"missing key file", good, nil, exitFindings, []string{"key file /etc/gpg/k.gpg does not exist", "rules whose keys have errors are rejected"}},
		{"clean", good, map[string]string{"etc/gpg/k.gpg": testPublicKey(t)}, exitOK, []string{"0 error(s)"}},
		{"not a key", good, map[string]string{"etc/gpg/k.gpg": "x"}, exitFindings, []string{"not an OpenPGP public key"}},
		{"warning only", `{"default":[{"type":"insecureAcceptAnything"}]}`, nil, exitOK, []string{"default accepts any image", "1 warning(s)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := scratchRoot(t, tt.policy, tt.files)
			code, out, errs := run(t, "--root", root, "lint")
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestLintJSON(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"a.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"matchRespository"}}]}}}`, map[string]string{"k": testPublicKey(t)})
	code, out, _ := run(t, "lint", "--root", root, "--json")
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	var rep lintReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Errors != 1 || len(rep.Diagnostics) == 0 {
		t.Fatalf("report: %+v", rep)
	}
	d := rep.Diagnostics[0]
	if d.Code != "unknown-identity-type" || d.Pos.Line != 1 || d.Replacement != "matchRepository" || d.Target == nil || d.Target.List.Scope != "a.com" {
		t.Errorf("diagnostic: %+v", d)
	}
}

func TestShow(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com/team":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg","signedIdentity":{"type":"matchRepository"}}],"docker.io/library":[{"type":"insecureAcceptAnything"}]}}}`, nil)
	code, out, errs := run(t, "show", "--root", root)
	// The key file is missing and the pause image rejected: lint's two
	// errors, which show counts too (and exits 1 for, as lint does).
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errs)
	}
	table, tail, _ := strings.Cut(strings.TrimSpace(out), "\n\n")
	if !strings.Contains(tail, "2 errors on the node") {
		t.Errorf("show does not count lint's errors: %q", tail)
	}
	lines := strings.Split(table, "\n")
	if len(lines) != 4 {
		t.Fatalf("want header + 3 rules:\n%s", out)
	}
	for i, want := range []string{"TRANSPORT", "signed by 1 key: /etc/gpg/k.gpg (missing), identity must match the repository", "accept anything", "default"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d %q lacks %q", i, lines[i], want)
		}
	}
	if !strings.HasSuffix(lines[3], "reject every image") {
		t.Errorf("default should come last: %q", lines[3])
	}
}
