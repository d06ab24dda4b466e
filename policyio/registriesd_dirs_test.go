package policyio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/runtimever"
)

// TestCheckRegistriesDirs: which registries.d directories CRI-O (root)
// reads, by release (registries-d.md §1.1/§1.2; runtimever row
// RegistriesDMasking, 65479c7b in v5.40.0): before v5.40 root's user
// directory replaces /etc entirely; from v5.40 every directory is read and
// a higher one masks a file of the same name.
func TestCheckRegistriesDirs(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		version string
		want    []string // codes, each with the file it is about
	}{
		{"nothing else", []string{"etc/containers/registries.d/a.yaml"}, "v5.38.0", nil},
		{"user dir, old release", []string{"etc/containers/registries.d/a.yaml", "root/.config/containers/registries.d/b.yaml"}, "v5.39.2",
			[]string{"registriesd-user-dir /root/.config/containers/registries.d"}},
		{"empty user dir, old release: still used", []string{"etc/containers/registries.d/a.yaml", "root/.config/containers/registries.d/"}, "v5.38.0",
			[]string{"registriesd-user-dir /root/.config/containers/registries.d"}},
		{"user dir, new release: read too", []string{"etc/containers/registries.d/a.yaml", "root/.config/containers/registries.d/b.yaml"}, "v5.40.0",
			[]string{"registriesd-other-dir /root/.config/containers/registries.d"}},
		{"user file masks /etc", []string{"etc/containers/registries.d/a.yaml", "root/.config/containers/registries.d/a.yaml"}, "v5.42.1",
			[]string{"registriesd-masked /etc/containers/registries.d/a.yaml", "registriesd-other-dir /root/.config/containers/registries.d"}},
		{"rootful masks /etc", []string{"etc/containers/registries.d/a.yaml", "etc/containers/registries.rootful.d/a.yaml"}, "v5.40.0",
			[]string{"registriesd-masked /etc/containers/registries.d/a.yaml", "registriesd-other-dir /etc/containers/registries.rootful.d"}},
		{"vendor file masked by /etc: not read", []string{"etc/containers/registries.d/a.yaml", "usr/share/containers/registries.d/a.yaml"}, "v5.40.0", nil},
		{"vendor file read", []string{"etc/containers/registries.d/a.yaml", "usr/share/containers/registries.d/v.yaml"}, "v5.40.0",
			[]string{"registriesd-other-dir /usr/share/containers/registries.d"}},
		{"vendor dir ignored by old release", []string{"usr/share/containers/registries.d/v.yaml"}, "v5.39.2", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range tt.files {
				p := filepath.Join(root, f)
				if strings.HasSuffix(f, "/") {
					if err := os.MkdirAll(p, 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("docker: {}\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			paths := node.NewPaths(root, "", "", "")
			var got []string
			for _, d := range CheckRegistriesDirs(paths, runtimever.Known(tt.version, "test")) {
				got = append(got, d.Code+" "+paths.Node(d.Pos.File))
				if !strings.Contains(d.Message, tt.version) {
					t.Errorf("%s does not say which release it assumes: %s", d.Code, d.Message)
				}
			}
			if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
			// Pointed at another directory: the runtime is told so too.
			other := node.NewPaths(root, "", filepath.Join(root, "elsewhere"), "")
			if d := CheckRegistriesDirs(other, runtimever.Known(tt.version, "test")); len(d) != 0 {
				t.Errorf("--registries.d given: %v", d)
			}
		})
	}
}
