package registriesconf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/nodefs"
)

// FuzzParse: any bytes give a configuration or diagnostics, never a
// panic; every diagnostic names the file and a line inside it; whatever
// loads answers Find, PullSources and Resolve without failing.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"m.com\"\npull-from-mirror = \"digest-only\"\n",
		"unqualified-search-registries = [\"a.com\"]\n[aliases]\n\"x\" = \"a.com/x\"\n",
		"[registries.search]\nregistries = [\"a.com\"]\n",
		"[[registry]]\nprefix = \"*.a.com\"\n[[registry.mirror]]\nlocation = \"m.com/x\"\n",
		"a = [[[[[[[",
		"\"\\u0000\" = 1\n",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	refs := []string{"a.com/x:1", "a.com/x@sha256:0123456789012345678901234567890123456789012345678901234567890123", "b.a.com/y:2", "docker.io/library/x:latest"}
	f.Fuzz(func(t *testing.T, data []byte, forceV2 bool) {
		p, diags, _ := parse("f.conf", data, rules{forceV2: forceV2})
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, d := range diags {
			if d.Pos.File != "f.conf" || d.Pos.Line < 0 || d.Pos.Line > lines {
				t.Fatalf("diagnostic at %s (file has %d lines): %s", d.Pos, lines, d.Message)
			}
		}
		if p == nil {
			return
		}
		c := &Config{Aliases: map[string]Alias{}}
		c.apply(p, "f.conf")
		for _, s := range refs {
			ref, _ := reference.ParseNormalizedNamed(s)
			c.Find(ref.Name()).PullSources(ref)
			c.Blocked(ref)
		}
		for _, n := range []string{"x", "team/x:1", "x@sha256:0123456789012345678901234567890123456789012345678901234567890123"} {
			c.Resolve(nil, n, ModeDisabled)
		}
	})
}

// TestHostileFiles: what nodefs refuses (a FIFO, a file over the cap, a
// link out of the root) is a diagnostic naming the file, at once.
func TestHostileFiles(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root, conf string)
		want  string
	}{
		{"fifo", func(t *testing.T, root, conf string) {
			if err := syscall.Mkfifo(conf, 0o644); err != nil {
				t.Skip(err)
			}
		}, "not a regular file"},
		{"too large", func(t *testing.T, root, conf string) {
			if err := os.WriteFile(conf, bytes.Repeat([]byte("#"), int(nodefs.RegistriesConf.Max)+1), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "larger than imgtrust reads"},
		{"link out of the root resolves inside it", func(t *testing.T, root, conf string) {
			outside := filepath.Join(t.TempDir(), "outside.conf")
			os.WriteFile(outside, []byte("[[registry]]\nlocation = \"outside.example\"\nblocked = true\n"), 0o644)
			if err := os.Symlink(outside, conf); err != nil {
				t.Fatal(err)
			}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			conf := filepath.Join(root, "etc/containers/registries.conf")
			os.MkdirAll(filepath.Dir(conf), 0o755)
			tt.setup(t, root, conf)
			c, diags := Load(nodefs.New(root), func(p string) string { return filepath.Join(root, p) }, nil, Locations{})
			if tt.want == "" {
				// The absolute link target is taken inside the root, where
				// nothing is: the file outside the root is never read.
				if c.Find("outside.example/x") != nil {
					t.Fatal("a file outside the root was read")
				}
				return
			}
			if len(diags) == 0 || !strings.Contains(diags[0].Message, tt.want) || diags[0].Pos.File != conf {
				t.Fatalf("diags = %v, want %q", diags, tt.want)
			}
		})
	}
}
