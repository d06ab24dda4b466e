package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyRegistriesConf drives verify as an admin would on a scratch
// root: registries.conf decides where a pull goes (blocked, --registries-conf)
// and how a short name resolves under crio.conf's short_name_mode. The
// policy rejects by default, so nothing here needs a registry.
func TestVerifyRegistriesConf(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/containers/policy.json", `{"default":[{"type":"reject"}]}`)
	write("etc/containers/registries.conf", "unqualified-search-registries = [\"127.0.0.1:1\", \"127.0.0.2:1\"]\n[[registry]]\nlocation = \"127.0.0.1:1/blocked\"\nblocked = true\n")
	write("etc/other.conf", "[[registry]\n")
	write("etc/crio/crio.conf.d/10-short.conf", "[crio.image]\nshort_name_mode = \"disabled\"\n")
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"blocked before the policy", []string{"127.0.0.1:1/blocked/app:v1"}, exitFindings, "rejected before the policy: registry 127.0.0.1:1/blocked is blocked in /etc/containers/registries.conf"},
		{"an explicit registries.conf that does not parse", []string{"--registries-conf", filepath.Join(root, "etc/other.conf"), "127.0.0.1:1/app:v1"}, exitUsage, "other.conf:1:11: error: invalid TOML"},
		{"short name, crio.conf disables enforcing", []string{"team/app"}, exitFindings, "short_name_mode disabled (crio.conf /etc/crio/crio.conf.d/10-short.conf)"},
		{"short name, enforcing: ambiguous", []string{"--short-name-mode", "enforcing", "team/app"}, exitFindings, "CRI-O reports: short name mode is enforcing, but image name team/app returns ambiguous list"},
		{"a mode CRI-O refuses", []string{"--short-name-mode", "permissive", "team/app"}, exitUsage, `invalid short name mode "permissive"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, append([]string{"verify", "--root", root, "--mechanism", "gpgme"}, tt.args...)...)
			if code != tt.code || !strings.Contains(out+errs, tt.out) {
				t.Fatalf("exit %d, want %d; output lacks %q:\n%s%s", code, tt.code, tt.out, out, errs)
			}
		})
	}
	code, out, _ := run(t, "verify", "--root", root, "--mechanism", "gpgme", "--json", "team/app")
	var sr struct {
		Mode       string `json:"mode"`
		Candidates []struct {
			Reference string `json:"reference"`
			Tried     bool   `json:"tried"`
		} `json:"candidates"`
		Reported string `json:"reported"`
	}
	if err := json.Unmarshal([]byte(out), &sr); err != nil || code != exitFindings {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if sr.Mode != "disabled" || len(sr.Candidates) != 2 || sr.Candidates[0].Reference != "127.0.0.1:1/team/app:latest" || !sr.Candidates[1].Tried ||
		!strings.Contains(sr.Reported, "127.0.0.2:1/team/app:latest is rejected by policy") {
		t.Errorf("%+v", sr)
	}
}
