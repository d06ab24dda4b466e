package policyio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
)

// TestRegistriesDAliasesReadAsTheRuntimeReads: anchors, aliases and merge
// keys are YAML the runtime's decoder (yaml.v3 into containers/image's
// structs) follows; imgtrust reads such a file as it does, so the
// look-aside shown is the one used, and a file the runtime cannot decode
// (an anchor that contains itself) is an error, not a clean file.
func TestRegistriesDAliasesReadAsTheRuntimeReads(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       map[string]string // scope -> look-aside read
		err        string            // an error diagnostic containing it
		warn       string            // a warning containing it
	}{
		{"an alias for the URL", "x: &L https://evil.example\ndocker:\n  a.example.com:\n    lookaside: *L\n",
			map[string]string{"a.example.com": "https://evil.example"}, "", `unknown key "x"`},
		{"an alias for a section", "x: &S {lookaside: https://evil.example}\ndocker:\n  a.example.com: *S\n",
			map[string]string{"a.example.com": "https://evil.example"}, "", ""},
		{"an alias for docker", "x: &D {a.example.com: {lookaside: https://evil.example}}\ndocker: *D\n",
			map[string]string{"a.example.com": "https://evil.example"}, "", ""},
		{"an alias as a scope key", "x: &K a.example.com\ndocker:\n  *K : {lookaside: https://evil.example}\n",
			map[string]string{"a.example.com": "https://evil.example"}, "", ""},
		{"a merge key", "base: &b {lookaside: https://a}\ndocker:\n  a.example.com:\n    <<: *b\n",
			map[string]string{"a.example.com": "https://a"}, "", ""},
		{"a merge key overridden", "base: &b {lookaside: https://a}\ndocker:\n  a.example.com:\n    <<: *b\n    lookaside: https://b\n",
			map[string]string{"a.example.com": "https://b"}, "", ""},
		{"default-docker merged", "base: &b {lookaside: https://d}\ndefault-docker:\n  <<: *b\n",
			map[string]string{model.DefaultDockerScope: "https://d"}, "", ""},
		{"an anchor that contains itself", "default-docker: &D\n  lookaside: https://a\n  <<: *D\n",
			map[string]string{}, "anchor 'D' value contains itself", ""},
		{"an aliased URL that is not one", "x: &L \"http://[::1\"\ndocker:\n  a.example.com:\n    lookaside: *L\n",
			map[string]string{"a.example.com": "http://[::1"}, "not a valid URL", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			rd, diags := LoadRegistriesD(dir)
			got := map[string]string{}
			for _, e := range rd.Entries {
				got[e.Scope] = e.ReadURL()
			}
			if rd.Default != nil {
				got[model.DefaultDockerScope] = rd.Default.ReadURL()
			}
			if len(got) != len(tc.want) {
				t.Errorf("sections %v, want %v", got, tc.want)
			}
			for s, u := range tc.want {
				if got[s] != u {
					t.Errorf("%s reads %q, want %q (all: %v)", s, got[s], u, got)
				}
			}
			var errs, warns []string
			for _, d := range diags {
				switch d.Severity {
				case model.Error:
					errs = append(errs, d.Message)
				case model.Warning:
					warns = append(warns, d.Message)
				}
			}
			if (tc.err == "") != (len(errs) == 0) || tc.err != "" && !strings.Contains(strings.Join(errs, "\n"), tc.err) {
				t.Errorf("errors %q, want one with %q", errs, tc.err)
			}
			if tc.warn != "" && !strings.Contains(strings.Join(warns, "\n"), tc.warn) {
				t.Errorf("warnings %q, want one with %q", warns, tc.warn)
			}
			for _, w := range warns {
				if strings.Contains(w, `"<<"`) {
					t.Errorf("a merge key is reported unknown: %s", w)
				}
			}
		})
	}
}
