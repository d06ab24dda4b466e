package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
)

// TestRegistriesConfDiagnostics: registries.conf errors with positions,
// and the warning for a mirror whose look-aside is not its primary's
// (docker_client.go: newDockerClientFromRef chooses the registries.d
// entry by the physical reference).
func TestRegistriesConfDiagnostics(t *testing.T) {
	const withMirror = "[[registry]]\nlocation = \"quay.example\"\n\n[[registry.mirror]]\nlocation = \"mirror.example\"\n"
	tests := []struct {
		name       string
		conf, regd string
		cache      string
		want       string // code:line:col of the one diagnostic; "" for none
		message    string
	}{
		{"mirror lacks the primary's entry", withMirror, "docker:\n  quay.example:\n    lookaside: https://sigs.example\n", "", "mirror-lookaside:4:1", "mirror mirror.example of quay.example has no look-aside entry"},
		{"mirror has its own entry", withMirror, "docker:\n  quay.example:\n    lookaside: https://sigs.example\n  mirror.example:\n    lookaside: https://msigs.example\n", "", "", ""},
		{"the primary has none either", withMirror, "default-docker:\n  lookaside: https://sigs.example\n", "", "", ""},
		{"the mirror's entry is the same URL by default-docker", withMirror, "default-docker:\n  lookaside: https://sigs.example\ndocker:\n  quay.example:\n    lookaside: https://sigs.example\n", "", "", ""},
		{"mirror without the primary's sigstore attachments", withMirror, "default-docker:\n  lookaside: https://sigs.example\ndocker:\n  quay.example:\n    use-sigstore-attachments: true\n", "", "mirror-lookaside:4:1", "reads no sigstore signatures"},
		{"syntax error", "[[registry]\nlocation = \"a\"\n", "", "", "registries-conf-syntax:1:11", "invalid TOML"},
		{"bad alias cache", "", "", "[aliases]\n\"app\" = \"app:v1\"\n", "short-name-aliases:2:9", "loading short-name aliases config file \"/var/cache/containers/short-name-aliases.conf\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			write := func(rel, content string) {
				if content == "" {
					return
				}
				p := filepath.Join(root, rel)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("etc/containers/registries.conf", tt.conf)
			write("etc/containers/registries.d/default.yaml", tt.regd)
			write("var/cache/containers/short-name-aliases.conf", tt.cache)
			paths := node.NewPaths(root, "", "", "")
			rd, _ := policyio.LoadRegistriesDFor(paths.FS(), paths.RegistriesD, policyio.RegistriesRuntime{})
			diags := RegistriesConfDiagnostics(paths, rd, policyio.RegistriesRuntime{})
			if tt.want == "" {
				if len(diags) != 0 {
					t.Fatalf("diags = %v", diags)
				}
				return
			}
			if len(diags) != 1 {
				t.Fatalf("diags = %v", diags)
			}
			d := diags[0]
			if got := d.Code + ":" + strings.TrimPrefix(d.Pos.String()[len(d.Pos.File):], ":"); got != tt.want {
				t.Errorf("got %s (%s), want %s", got, d.Pos, tt.want)
			}
			if !strings.Contains(d.Message, tt.message) {
				t.Errorf("message %q, want %q", d.Message, tt.message)
			}
		})
	}
}
