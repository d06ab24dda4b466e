package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/registriesconf"
	libreference "go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/shortnames"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/types"
)

// TestRegistriesConfMatchesLibrary loads each registries.conf (and
// drop-ins) with containers/image's own pkg/sysregistriesv2 and with
// imgtrust's registriesconf, and requires the same answers: whether the
// configuration loads, the entry and pull sources for each reference, and
// the unqualified-search registries. registriesconf reimplements the
// library (it must read through nodefs under --root); this is the proof
// that it follows it.
func TestRegistriesConfMatchesLibrary(t *testing.T) {
	const dg = "@sha256:0123456789012345678901234567890123456789012345678901234567890123"
	refs := []string{
		"example.com/app:v1", "example.com/app" + dg, "example.com/team/app:v1", "example.com/team/app" + dg,
		"example.com/teamster/x:1", "example.com:5000/x:1", "a.wild.example/x:1", "wild.example/x:1",
		"blocked.example/x:1", "bmirror.example/x:1", "other.example/x:1", "docker.io/library/busybox:latest",
	}
	tests := []struct {
		name   string
		conf   string
		dropin map[string]string
	}{
		{"mirrors", `
unqualified-search-registries = ["quay.example", "docker.io"]
[[registry]]
prefix = "example.com"
location = "example.com"
[[registry.mirror]]
location = "all.mirror"
[[registry.mirror]]
location = "digest.mirror"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "tag.mirror/cache"
pull-from-mirror = "tag-only"
[[registry]]
prefix = "example.com/team"
location = "internal.example/prod/team"
mirror-by-digest-only = true
[[registry.mirror]]
location = "dmirror.example"
insecure = true
[[registry]]
prefix = "*.wild.example"
[[registry.mirror]]
location = "wmirror.example"
[[registry]]
location = "blocked.example"
blocked = true
[[registry.mirror]]
location = "bmirror.example"
`, nil},
		{"trailing slashes and duplicate prefixes", `
[[registry]]
location = "example.com/"
[[registry.mirror]]
location = "first.mirror/"
[[registry]]
location = "example.com"
[[registry.mirror]]
location = "second.mirror"
`, nil},
		{"drop-ins replace by prefix", `
unqualified-search-registries = ["a.example"]
[[registry]]
location = "example.com"
[[registry.mirror]]
location = "old.mirror"
`, map[string]string{"10.conf": "[[registry]]\nlocation = \"example.com\"\n[[registry.mirror]]\nlocation = \"new.mirror\"\n", "20.conf": "unqualified-search-registries = []\n"}},
		{"v1", "[registries.search]\nregistries = [\"a.example\"]\n[registries.block]\nregistries = [\"blocked.example\"]\n[registries.insecure]\nregistries = [\"example.com\"]\n", nil},
		{"v1 in a drop-in", "", map[string]string{"10.conf": "[registries.search]\nregistries = [\"a.example\"]\n"}},
		{"v1 and v2 mixed", "[registries.search]\nregistries = [\"a.example\"]\n[[registry]]\nlocation = \"b.example\"\n", nil},
		{"scheme", "[[registry]]\nlocation = \"https://example.com\"\n", nil},
		{"no location no prefix", "[[registry]]\nblocked = true\n", nil},
		{"prefix without location", "[[registry]]\nprefix = \"example.com/x\"\n", nil},
		{"pull-from-mirror on primary", "[[registry]]\nlocation = \"example.com\"\npull-from-mirror = \"all\"\n", nil},
		{"mirror without location", "[[registry]]\nlocation = \"example.com\"\n[[registry.mirror]]\ninsecure = true\n", nil},
		{"digest-only both ways", "[[registry]]\nlocation = \"example.com\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"m.example\"\npull-from-mirror = \"tag-only\"\n", nil},
		{"bad pull-from-mirror", "[[registry]]\nlocation = \"example.com\"\n[[registry.mirror]]\nlocation = \"m.example\"\npull-from-mirror = \"never\"\n", nil},
		{"conflicting insecure", "[[registry]]\nprefix = \"example.com/a\"\nlocation = \"example.com\"\n[[registry]]\nprefix = \"example.com/b\"\nlocation = \"example.com\"\ninsecure = true\n", nil},
		{"bad search entry", "unqualified-search-registries = [\"example.com/ns\"]\n", nil},
		{"search with port and trailing slash", "unqualified-search-registries = [\"example.com:5000/\", \"localhost\"]\n", nil},
		{"bad wildcard", "[[registry]]\nprefix = \"*.example.com:5000\"\nlocation = \"m.example\"\n", nil},
		{"bad mode", "short-name-mode = \"sometimes\"\n", nil},
		{"bad alias", "[aliases]\n\"app\" = \"example.com/app:v1\"\n", nil},
		{"alias key with registry", "[aliases]\n\"example.com/app\" = \"example.com/app\"\n", nil},
		{"syntax", "[[registry]\n", nil},
		{"wrong type", "[[registry]]\nlocation = \"example.com\"\nblocked = \"yes\"\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			conf := filepath.Join(root, "etc/containers/registries.conf")
			dir := filepath.Join(root, "etc/containers/registries.conf.d")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(conf, []byte(tt.conf), 0o644); err != nil {
				t.Fatal(err)
			}
			for name, body := range tt.dropin {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			sys := &types.SystemContext{SystemRegistriesConfPath: conf, SystemRegistriesConfDirPath: dir}
			sysregistriesv2.InvalidateCache()
			_, libErr := sysregistriesv2.GetRegistries(sys)

			host := func(p string) string { return filepath.Join(root, p) }
			node := func(p string) string { return "/" + strings.TrimPrefix(strings.TrimPrefix(p, root), "/") }
			// Root's per-user directory does not exist under root, so the
			// directories read are the library's here.
			// The library here is v5.42.1 (bench/go.mod).
			refuse, basis := registriesconf.V1Rule("v5.42.1", false)
			ours, diags := registriesconf.Load(nodefs.New(root), host, node, registriesconf.Locations{Conf: conf, RefuseV1: refuse, V1Basis: basis})
			if (libErr != nil) != diags.HasErrors() {
				t.Fatalf("library error %v; imgtrust diagnostics %v", libErr, diags)
			}
			if libErr != nil {
				return
			}
			usr, err := sysregistriesv2.UnqualifiedSearchRegistries(sys)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(usr, ",") != strings.Join(ours.UnqualifiedSearch, ",") {
				t.Errorf("search: library %v, imgtrust %v", usr, ours.UnqualifiedSearch)
			}
			for _, s := range refs {
				ref, err := reference.ParseNormalizedNamed(s)
				if err != nil {
					t.Fatal(err)
				}
				lib, err := sysregistriesv2.FindRegistry(sys, ref.Name())
				if err != nil {
					t.Fatal(err)
				}
				mine := ours.Find(ref.Name())
				if (lib == nil) != (mine == nil) {
					t.Errorf("%s: library entry %v, imgtrust %v", s, lib, mine)
					continue
				}
				if lib == nil {
					continue
				}
				if lib.Prefix != mine.Prefix || lib.Blocked != mine.Blocked || lib.Insecure != mine.Insecure {
					t.Errorf("%s: library %s blocked=%v insecure=%v, imgtrust %s blocked=%v insecure=%v", s, lib.Prefix, lib.Blocked, lib.Insecure, mine.Prefix, mine.Blocked, mine.Insecure)
				}
				libSrcs, libErr := lib.PullSourcesFromReference(libRef(t, s))
				mySrcs, _, myErr := mine.PullSources(ref)
				if (libErr != nil) != (myErr != nil) {
					t.Errorf("%s: library sources error %v, imgtrust %v", s, libErr, myErr)
					continue
				}
				var a, b []string
				for _, x := range libSrcs {
					a = append(a, x.Reference.String()+insecure(x.Endpoint.Insecure))
				}
				for _, x := range mySrcs {
					b = append(b, x.Reference.String()+insecure(x.Insecure()))
				}
				if strings.Join(a, " ") != strings.Join(b, " ") {
					t.Errorf("%s: library sources %v, imgtrust %v", s, a, b)
				}
			}
		})
	}
}

func insecure(b bool) string {
	if b {
		return "(insecure)"
	}
	return ""
}

// libRef is s as the library's own reference type.
func libRef(t *testing.T, s string) libreference.Named {
	t.Helper()
	r, err := libreference.ParseNormalizedNamed(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestShortNamesMatchLibrary resolves short names with the library's
// shortnames.Resolve in CRI-O's two modes (no TTY, as under CRI-O) and
// with registriesconf.Resolve: the same candidates in the same order, and
// a failure exactly where the library fails (CRI-O words the enforcing
// one "returns ambiguous list", internal/storage/image.go).
func TestShortNamesMatchLibrary(t *testing.T) {
	root := t.TempDir()
	conf := filepath.Join(root, "etc/containers/registries.conf")
	dir := filepath.Join(root, "etc/containers/registries.conf.d")
	cache := filepath.Join(root, "var/cache/containers/short-name-aliases.conf")
	for p, body := range map[string]string{
		conf:                         "unqualified-search-registries = [\"quay.example\", \"docker.io\"]\n[aliases]\n\"team/app\" = \"registry.example/team/app\"\n\"reset\" = \"quay.example/x/reset\"\n\"one\" = \"one.example/one\"\n",
		filepath.Join(dir, "9.conf"): "[aliases]\n\"reset\" = \"\"\n",
		cache:                        "[aliases]\n\"cached\" = \"cache.example/cached\"\n\"one\" = \"cache.example/one\"\n",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	host := func(p string) string { return filepath.Join(root, p) }
	node := func(p string) string { return "/" + strings.TrimPrefix(strings.TrimPrefix(p, root), "/") }
	ours, diags := registriesconf.Load(nodefs.New(root), host, node, registriesconf.Locations{Conf: conf})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ourCache, cd := registriesconf.LoadAliasCache(nodefs.New(root), cache, cache)
	if cd.HasErrors() {
		t.Fatal(cd)
	}
	const dg = "@sha256:0123456789012345678901234567890123456789012345678901234567890123"
	for _, mode := range []types.ShortNameMode{types.ShortNameModeEnforcing, types.ShortNameModeDisabled} {
		for _, name := range []string{"nginx", "nginx:1.25", "nginx" + dg, "library/nginx", "team/app", "team/app:v2", "team/app:v2" + dg, "cached", "one", "reset", "quay.example/x", "localhost/app", "a:b:c"} {
			sysregistriesv2.InvalidateCache()
			sys := &types.SystemContext{SystemRegistriesConfPath: conf, SystemRegistriesConfDirPath: dir, UserShortNameAliasConfPath: cache, ShortNameMode: &mode}
			lib, libErr := shortnames.Resolve(sys, name)
			crioMode := registriesconf.ModeEnforcing
			if mode == types.ShortNameModeDisabled {
				crioMode = registriesconf.ModeDisabled
			}
			mine := ours.Resolve(ourCache, name, crioMode)
			if (libErr != nil) != (mine.Err != nil) {
				t.Errorf("%s (%s): library error %v, imgtrust %v", name, crioMode, libErr, mine.Err)
				continue
			}
			if libErr != nil {
				continue
			}
			var a, b []string
			for _, c := range lib.PullCandidates {
				a = append(a, c.Value.String())
			}
			for _, c := range mine.Candidates {
				b = append(b, c.String())
			}
			if strings.Join(a, " ") != strings.Join(b, " ") {
				t.Errorf("%s (%s): library %v, imgtrust %v", name, crioMode, a, b)
			}
		}
	}
}
