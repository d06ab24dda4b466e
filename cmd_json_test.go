package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nullPaths lists where a decoded JSON document holds null.
func nullPaths(path string, v any) []string {
	switch x := v.(type) {
	case nil:
		return []string{path}
	case map[string]any:
		var out []string
		for k, e := range x {
			out = append(out, nullPaths(path+"."+k, e)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, nullPaths(path+"[]", e)...)
		}
		return out
	}
	return nil
}

// Every command's --json writes lists as [], never null, on a node that
// has nothing (no policy, no keys, no registries.d), a minimal one, and
// the kiOS guide's broken one.
func TestJSONListsAreNeverNull(t *testing.T) {
	guide, err := os.ReadFile("testdata/kios-guide-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	roots := map[string]string{
		"nothing": scratchRoot(t, "", nil),
		"minimal": scratchRoot(t, `{"default": [{"type": "reject"}]}`, nil),
		"guide": scratchRoot(t, string(guide), map[string]string{
			"etc/containers/registries.d/default.yaml": "default-docker:\n  lookaside: https://lookaside.example.org\n",
		}),
		"fixed": scratchRoot(t, strings.Replace(string(guide), `"reject"]]`, `"reject"}]`, 1), nil),
	}
	key := filepath.Join(t.TempDir(), "k.asc")
	if err := os.WriteFile(key, []byte(testPublicKey(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmds := [][]string{
		{"lint", "--offline"},
		{"show"},
		{"keys", "list"},
		{"keys", "show", key},
		{"lookaside", "list"},
		{"lookaside", "explain", "docker.io/library/busybox:1"},
		{"verify", "docker.io/library/busybox:1"},
	}
	for name, root := range roots {
		for _, c := range cmds {
			args := append(append([]string{}, c...), "--json", "--root", root)
			t.Run(name+" "+strings.Join(c, " "), func(t *testing.T) {
				code, out, errs := run(t, args...)
				if strings.TrimSpace(out) == "" {
					if code == exitUsage && strings.Contains(errs, "flag provided but not defined") {
						t.Skip("no --offline here")
					}
					t.Skipf("no JSON (exit %d): %s", code, firstLine(errs))
				}
				var v any
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Fatalf("not JSON (exit %d): %v\n%s", code, err, out)
				}
				if n := nullPaths("", v); len(n) > 0 {
					t.Errorf("null at %v:\n%s", n, out)
				}
			})
		}
	}
}

// show counts the errors lint --offline counts, and says first when the
// runtime cannot load the policy.
func TestShowCountsLintErrors(t *testing.T) {
	guide, err := os.ReadFile("testdata/kios-guide-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, policy string
		refused      bool
	}{
		{"syntax error", string(guide), true},
		{"schema errors", strings.Replace(string(guide), `"reject"]]`, `"reject"}]`, 1), true},
		{"missing key", `{"default":[{"type":"reject"}],"transports":{"docker":{"a.example":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}}}`, false},
		{"no policy", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := scratchRoot(t, c.policy, nil)
			_, lintOut, _ := run(t, "lint", "--offline", "--json", "--root", root)
			var rep lintReport
			if err := json.Unmarshal([]byte(lintOut), &rep); err != nil {
				t.Fatal(err)
			}
			code, out, _ := run(t, "show", "--root", root)
			if code != exitFindings || rep.Errors == 0 {
				t.Fatalf("show exit %d, lint %d errors", code, rep.Errors)
			}
			first := firstLine(out)
			if c.refused != strings.Contains(first, "the runtime") {
				t.Errorf("first line %q (runtime refuses: %v)", first, c.refused)
			}
			if want := plural(rep.Errors, "error"); !strings.Contains(out, want) {
				t.Errorf("show does not count lint's %s:\n%s", want, out)
			}
			_, jsonOut, _ := run(t, "show", "--json", "--root", root)
			var js struct {
				Loadable bool `json:"loadable"`
				Errors   int  `json:"errors"`
			}
			if err := json.Unmarshal([]byte(jsonOut), &js); err != nil {
				t.Fatalf("%v\n%s", err, jsonOut)
			}
			if js.Errors != rep.Errors || js.Loadable == c.refused {
				t.Errorf("show --json: %+v, lint %d errors", js, rep.Errors)
			}
		})
	}
}
