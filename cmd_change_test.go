package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/kios/imgtrust/gpg/gpgtest"
)

var updateChangeGolden = flag.Bool("update-change-golden", false, "rewrite testdata/change/*.golden")

// changeNode is a node whose pause image is signed by /etc/gpg/pause.gpg,
// with an unused key file and a look-aside for the pause registry.
func changeNode(t *testing.T) (root string, newKey string) {
	t.Helper()
	pub := func(name string) string {
		e := gpgtest.NewKey(t, name)
		return string(gpgtest.Public(t, e))
	}
	policy := `{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:1/pause":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/pause.gpg"}]}}}`
	root = scratchRoot(t, policy, nodeFiles("127.0.0.1:1/pause:3.10", map[string]string{
		"etc/gpg/pause.gpg": pub("Pause"),
		"etc/gpg/old.gpg":   pub("Old"),
		"etc/containers/registries.d/127.0.0.1_1.yaml": "# signatures of the pause image\ndocker:\n  127.0.0.1:1:\n    lookaside: https://sigs.example.com\n",
	}))
	newKey = filepath.Join(root, "new.gpg")
	os.WriteFile(newKey, gpgtest.Public(t, gpgtest.NewKey(t, "Release")), 0o644)
	return root, newKey
}

var (
	fprRE  = regexp.MustCompile(`([0-9A-F]{4} ){9}[0-9A-F]{4}|[0-9A-F]{16,40}|[0-9a-f]{64}|[0-9a-f]{8}(\.gpg)`)
	timeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
)

// normalise makes output stable: the keys are generated per run.
func normalise(root, s string) string {
	s = strings.ReplaceAll(s, root, "$ROOT")
	s = fprRE.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasSuffix(m, ".gpg") {
			return "XXXXXXXX.gpg"
		}
		return "<hex>"
	})
	return timeRE.ReplaceAllString(s, "<time>")
}

// TestChangeCommandsGolden: keys import, keys remove and lookaside
// set|remove, per flag family: what each prints (diff, widening, impact,
// the refusal), its exit code and what it writes.
func TestChangeCommandsGolden(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		code  int
		wrote []string // files changed (relative to the root), sorted
	}{
		{"keys-import", []string{"keys", "import", "NEW", "--name", "new.gpg"}, exitOK, []string{"etc/gpg/new.gpg"}},
		{"keys-import-dry-run", []string{"keys", "import", "NEW", "--name", "new.gpg", "--dry-run"}, exitOK, nil},
		{"keys-import-reference", []string{"keys", "import", "NEW", "--name", "new.gpg", "--reference", "quay.io/team"}, exitOK, []string{"etc/containers/policy.json", "etc/gpg/new.gpg"}},
		{"keys-import-replaces-used-key", []string{"keys", "import", "NEW", "--name", "pause.gpg", "--force"}, exitFindings, nil},
		{"keys-import-replaces-used-key-allowed", []string{"keys", "import", "NEW", "--name", "pause.gpg", "--force", "--allow-weaken"}, exitOK, []string{"etc/gpg/pause.gpg"}},
		{"keys-import-json", []string{"--json", "keys", "import", "NEW", "--name", "new.gpg", "--reference", "quay.io/team", "--dry-run"}, exitOK, nil},
		{"keys-remove", []string{"keys", "remove", "old.gpg"}, exitOK, []string{"etc/gpg/old.gpg"}},
		{"keys-remove-used", []string{"keys", "remove", "pause.gpg"}, exitFindings, nil},
		{"keys-remove-drop-references-lockout", []string{"keys", "remove", "pause.gpg", "--drop-references"}, exitFindings, nil},
		{"keys-remove-drop-references-allowed", []string{"keys", "remove", "pause.gpg", "--drop-references", "--allow-lockout"}, exitOK, []string{"etc/containers/policy.json", "etc/gpg/pause.gpg"}},
		{"keys-remove-json", []string{"--json", "keys", "remove", "old.gpg"}, exitOK, []string{"etc/gpg/old.gpg"}},
		{"lookaside-set", []string{"lookaside", "set", "127.0.0.1:1", "https://mirror.example.com/sigs"}, exitOK, []string{"etc/containers/registries.d/127.0.0.1_1.yaml"}},
		{"lookaside-set-new-file-dry-run", []string{"lookaside", "set", "quay.io", "https://sigs.quay.example", "--dry-run"}, exitOK, nil},
		{"lookaside-set-json", []string{"--json", "lookaside", "set", "quay.io", "https://sigs.quay.example"}, exitOK, []string{"etc/containers/registries.d/quay.io.yaml"}},
		{"lookaside-set-same", []string{"lookaside", "set", "127.0.0.1:1", "https://sigs.example.com"}, exitOK, nil},
		{"lookaside-remove", []string{"lookaside", "remove", "127.0.0.1:1"}, exitOK, []string{"etc/containers/registries.d/127.0.0.1_1.yaml"}},
		{"lookaside-remove-missing", []string{"lookaside", "remove", "nothing.example"}, exitFindings, nil},
		{"lookaside-set-usage", []string{"lookaside", "set", "quay.io"}, exitUsage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, newKey := changeNode(t)
			before := changeTree(t, root)
			args := []string{"--root", root, "--mechanism", "openpgp-gocrypto"}
			for _, a := range tt.args {
				if a == "NEW" {
					a = newKey
				}
				args = append(args, a)
			}
			args = append(args, "--offline")
			if tt.code == exitUsage {
				args = args[:len(args)-1]
			}
			code, out, errs := run(t, args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, out, errs)
			}
			if strings.Contains(strings.Join(tt.args, " "), "--json") {
				var v map[string]any
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Fatalf("--json output is not JSON: %v\n%s", err, out)
				}
			}
			after := changeTree(t, root)
			var wrote []string
			for p, d := range after {
				if before[p] != d && !strings.HasSuffix(p, ".imgtrust.bak") && !strings.HasPrefix(p, "var/log/") {
					wrote = append(wrote, p)
				}
			}
			for p := range before {
				if _, ok := after[p]; !ok {
					wrote = append(wrote, p)
				}
			}
			sortStrings(wrote)
			if strings.Join(wrote, " ") != strings.Join(tt.wrote, " ") {
				t.Errorf("changed %v, want %v", wrote, tt.wrote)
			}
			if tt.code == exitOK && len(tt.wrote) > 0 {
				log, _ := os.ReadFile(filepath.Join(root, "var/log/imgtrust/audit.log"))
				if n := strings.Count(string(log), "\n"); n != 1 || !strings.Contains(string(log), "action=apply") {
					t.Errorf("want one audit entry, got %d:\n%s", n, log)
				}
			}
			got := normalise(root, "$ imgtrust "+strings.Join(tt.args, " ")+"\n--- stdout\n"+out+"--- stderr\n"+errs)
			golden := filepath.Join("testdata", "change", tt.name+".golden")
			if *updateChangeGolden {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				os.WriteFile(golden, []byte(got), 0o644)
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update-change-golden)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n%s", golden, got)
			}
		})
	}
}

func changeTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			d, _ := os.ReadFile(p)
			out[rel] = string(d)
		}
		return nil
	})
	return out
}

func sortStrings(s []string) { sort.Strings(s) }

// TestChangeJSONSaysAppliedWhenOnlyTheAuditLogFailed: an audit log that
// cannot be opened (a FIFO in its place) fails the command after the
// files were written; the --json report still says what was written,
// so that a script does not take the node for unchanged.
func TestChangeJSONSaysAppliedWhenOnlyTheAuditLogFailed(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, nil)
	logPath := filepath.Join(root, "var/log/imgtrust/audit.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(logPath, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "--json", "--root", root, "policy", "set", "r.example/x", "--reject", "--offline", "--mechanism", "openpgp-gocrypto")
	if code != exitFindings || !strings.Contains(errOut, "audit log") {
		t.Fatalf("exit %d, want %d with the audit error\n%s", code, exitFindings, errOut)
	}
	var rep struct {
		Applied bool `json:"applied"`
		Written []struct {
			Path string `json:"path"`
		} `json:"written"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !rep.Applied || len(rep.Written) != 1 || rep.Error == "" {
		t.Errorf("report = %+v, want applied with the written file and the error", rep)
	}
}

// TestChangeJSONWhenNothingIsStaged: with --json, a change command that
// stages nothing (nothing to remove, a refused removal) still prints its
// one JSON report, with the error when refused; policy remove of a
// missing scope printed plain text on stdout, the others nothing.
func TestChangeJSONWhenNothingIsStaged(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"r.example/a":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}}}`,
		map[string]string{"etc/gpg/k.gpg": testPublicKey(t), "secret.gpg": string(gpgtest.Secret(t, gpgtest.NewKey(t, "Secret")))})
	tests := []struct {
		name  string
		args  []string
		code  int
		error string
	}{
		{"policy remove of a missing scope", []string{"policy", "remove", "r.example/none"}, exitOK, ""},
		{"keys remove of a used key", []string{"keys", "remove", "/etc/gpg/k.gpg"}, exitFindings, "still used by docker:r.example/a"},
		{"keys import of secret key material", []string{"keys", "import", filepath.Join(root, "secret.gpg")}, exitFindings, "nothing was written"},
		{"lookaside remove of a missing section", []string{"lookaside", "remove", "r.example/none"}, exitFindings, "no registries.d section"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--json", "--root", root, "--mechanism", "openpgp-gocrypto"}, tt.args...)
			code, out, errOut := run(t, append(args, "--offline")...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			var rep struct {
				Applied bool              `json:"applied"`
				Files   []json.RawMessage `json:"files"`
				Error   string            `json:"error"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("stdout is not one JSON report: %v\n%q", err, out)
			}
			if rep.Applied || len(rep.Files) != 0 || !strings.Contains(rep.Error, tt.error) || (tt.error == "") != (rep.Error == "") {
				t.Errorf("report = %+v, want nothing applied, error %q", rep, tt.error)
			}
		})
	}
}
