package registriesconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
)

// scratch writes files under a temporary root and loads them as the
// node would.
func scratch(t *testing.T, files map[string]string, loc Locations) (*Config, model.Diagnostics, string) {
	t.Helper()
	root := t.TempDir()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	host := func(p string) string { return filepath.Join(root, p) }
	node := func(p string) string { return "/" + strings.TrimPrefix(strings.TrimPrefix(p, root), "/") }
	if loc.Conf != "" {
		loc.Conf = host(loc.Conf)
	}
	c, d := Load(nodefs.New(root), host, node, loc)
	return c, d, root
}

// TestParseRules: each rule of loadConfigFile / postProcessRegistries
// (pkg/sysregistriesv2/system_registries_v2.go), with the library's
// message and the place it points at.
func TestParseRules(t *testing.T) {
	tests := []struct {
		name, conf string
		dropin     bool
		want       string // substring of the error; "" for none
		line, col  int
	}{
		{"valid", "[[registry]]\nlocation = \"example.com\"\n", false, "", 0, 0},
		{"syntax error has a position", "[[registry]]\nlocation = example.com\n", false, "invalid TOML", 2, 12},
		{"wrong type has a position", "[[registry]]\nlocation = \"a.com\"\ninsecure = \"yes\"\n", false, "incompatible types", 3, 1},
		{"scheme refused (parseLocation)", "[[registry]]\nlocation = \"https://example.com\"\n", false, "invalid location 'https://example.com': URI schemes are not supported", 2, 12},
		{"prefix and location unset", "[[registry]]\nblocked = true\n", false, "both location and prefix are unset", 1, 1},
		{"location unset, prefix not wildcard", "[[registry]]\nprefix = \"example.com/a\"\n", false, "location is unset and prefix is not in the format: *.example.com", 1, 1},
		{"pull-from-mirror on the primary", "[[registry]]\nlocation = \"a.com\"\npull-from-mirror = \"all\"\n", false, "pull-from-mirror must not be set for a non-mirror registry \"a.com\"", 3, 20},
		{"mirror without location", "[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\ninsecure = true\n", false, "mirror location is unset", 1, 1},
		{"digest-only and pull-from-mirror together", "[[registry]]\nlocation = \"a.com\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"m.com\"\npull-from-mirror = \"all\"\n", false, "cannot set mirror usage mirror-by-digest-only", 4, 1},
		{"unknown pull-from-mirror", "[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"m.com\"\npull-from-mirror = \"digests\"\n", false, "unsupported pull-from-mirror value \"digests\" for mirror \"m.com\"", 5, 20},
		{"conflicting insecure", "[[registry]]\nprefix = \"a.com/x\"\nlocation = \"a.com\"\n[[registry]]\nprefix = \"a.com/y\"\nlocation = \"a.com\"\ninsecure = true\n", false, "registry 'a.com' is defined multiple times with conflicting 'insecure' setting", 4, 1},
		{"conflicting blocked", "[[registry]]\nprefix = \"a.com/x\"\nlocation = \"a.com\"\nblocked = true\n[[registry]]\nprefix = \"a.com/y\"\nlocation = \"a.com\"\n", false, "conflicting 'blocked' setting", 5, 1},
		{"bad search registry", "unqualified-search-registries = [\"docker.io/library\"]\n", false, "Invalid unqualified-search-registries entry \"docker.io/library\"", 1, 34},
		{"bad wildcard", "[[registry]]\nprefix = \"*.example.com/ns\"\nlocation = \"m.com\"\n", false, "Wildcarded prefix should be in the format: *.example.com", 1, 1},
		{"bad short-name-mode", "short-name-mode = \"strict\"\n", false, "invalid short-name mode: \"strict\"", 1, 19},
		{"alias with a tag", "[aliases]\n\"app\" = \"quay.io/team/app:v1\"\n", false, "invalid alias \"quay.io/team/app:v1\": must not contain tag", 2, 9},
		{"alias key with a registry", "[aliases]\n\"quay.io/app\" = \"quay.io/team/app\"\n", false, "must not contain registry", 2, 1},
		{"alias without registry", "[aliases]\n\"app\" = \"team/app\"\n", false, "must contain registry and repository", 2, 9},
		{"v1 in a drop-in", "[registries.search]\nregistries = [\"a.com\"]\n", true, "registry must be in v2 format but is in v1", 1, 2},
		{"v1 and v2 mixed", "[registries.search]\nregistries = [\"a.com\"]\n[[registry]]\nlocation = \"b.com\"\n", false, "mixing sysregistry v1/v2 is not supported", 1, 2},
		{"hostile nesting", "a = " + strings.Repeat("[", 200) + "\n", false, "nested more than 100 levels deep", 1, 105},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			file := "etc/containers/registries.conf"
			if tt.dropin {
				file = "etc/containers/registries.conf.d/50-x.conf"
			}
			files[file] = tt.conf
			_, diags, root := scratch(t, files, Locations{})
			var errs model.Diagnostics
			for _, d := range diags {
				if d.Severity == model.Error {
					errs = append(errs, d)
				}
			}
			if tt.want == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				return
			}
			if len(errs) == 0 {
				t.Fatalf("no error, want %q", tt.want)
			}
			d := errs[0]
			if !strings.Contains(d.Message, tt.want) {
				t.Errorf("message %q, want %q", d.Message, tt.want)
			}
			if d.Pos.File != filepath.Join(root, file) || d.Pos.Line != tt.line || d.Pos.Col != tt.col {
				t.Errorf("position %s, want %s:%d:%d", d.Pos, file, tt.line, tt.col)
			}
		})
	}
}

// TestUnknownKeyWarns: the library only debug-logs undecoded keys, so a
// misspelt mirror-by-digest-only silently does nothing; lint says so.
func TestUnknownKeyWarns(t *testing.T) {
	_, diags, _ := scratch(t, map[string]string{"etc/containers/registries.conf": "[[registry]]\nlocation = \"a.com\"\nmirror-by-digests-only = true\n"}, Locations{})
	if len(diags) != 1 || diags[0].Severity != model.Warning || diags[0].Code != "registries-conf-unknown-key" || diags[0].Pos.Line != 3 {
		t.Fatalf("diags = %v", diags)
	}
}

// TestMergeAndSources: drop-ins in name order replace registries by
// prefix, the search list only when set (even to []), aliases by name
// (updateWithConfigurationFrom); root's per-user file replaces the
// system file and its drop-ins (newConfigWrapperWithHomeDir); an
// explicit --registries-conf must exist (tryUpdatingCache).
func TestMergeAndSources(t *testing.T) {
	base := "unqualified-search-registries = [\"a.com\", \"b.com\"]\n[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"m1.com\"\n[aliases]\n\"app\" = \"a.com/team/app\"\n"
	t.Run("drop-ins", func(t *testing.T) {
		c, diags, _ := scratch(t, map[string]string{
			"etc/containers/registries.conf":               base,
			"etc/containers/registries.conf.d/10-a.conf":   "[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"m2.com\"\n",
			"etc/containers/registries.conf.d/20-b.conf":   "unqualified-search-registries = []\n",
			"etc/containers/registries.conf.d/30-c.conf":   "[aliases]\n\"app\" = \"\"\n",
			"etc/containers/registries.conf.d/ignored.txt": "garbage",
		}, Locations{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		if r := c.Find("a.com/x"); r == nil || len(r.Mirrors) != 1 || r.Mirrors[0].Location != "m2.com" {
			t.Errorf("a.com entry = %+v, want the drop-in's (mirror m2.com)", r)
		}
		if len(c.UnqualifiedSearch) != 0 || !strings.HasSuffix(c.SearchOrigin, "20-b.conf") {
			t.Errorf("search = %v from %s, want [] from 20-b.conf", c.UnqualifiedSearch, c.SearchOrigin)
		}
		if a := c.Aliases["app"]; a.Value != nil {
			t.Errorf("alias app = %v, want reset", a.Value)
		}
		if len(c.Files) != 4 {
			t.Errorf("files = %v", c.Files)
		}
	})
	t.Run("root's per-user file wins", func(t *testing.T) {
		c, _, _ := scratch(t, map[string]string{
			"etc/containers/registries.conf":             base,
			"etc/containers/registries.conf.d/10-a.conf": "[[registry]]\nlocation = \"z.com\"\nblocked = true\n",
			"root/.config/containers/registries.conf":    "unqualified-search-registries = [\"u.com\"]\n",
		}, Locations{})
		if len(c.UnqualifiedSearch) != 1 || c.UnqualifiedSearch[0] != "u.com" || c.Find("z.com") != nil {
			t.Errorf("search %v, z.com %v: want the per-user file only", c.UnqualifiedSearch, c.Find("z.com"))
		}
	})
	t.Run("explicit file missing", func(t *testing.T) {
		_, diags, _ := scratch(t, nil, Locations{Conf: "etc/other.conf"})
		if !diags.HasErrors() || !strings.Contains(diags[0].Message, "loading registries configuration") {
			t.Errorf("diags = %v", diags)
		}
	})
	t.Run("default missing is empty", func(t *testing.T) {
		c, diags, _ := scratch(t, nil, Locations{})
		if len(diags) != 0 || len(c.Registries) != 0 || c.SearchOrigin != "" {
			t.Errorf("config %+v, diags %v", c, diags)
		}
	})
	t.Run("v1 main file refused from v5.40 (container-libs#1029)", func(t *testing.T) {
		refuse, basis := V1Rule("v5.40.0", false)
		_, diags, _ := scratch(t, map[string]string{"etc/containers/registries.conf": "[registries.search]\nregistries = [\"a.com\"]\n"}, Locations{RefuseV1: refuse, V1Basis: basis})
		if !diags.HasErrors() || !strings.Contains(diags[0].Message, "registries.conf must be in v2 format but is in v1") || diags[0].Pos.Line != 1 {
			t.Errorf("diags = %v", diags)
		}
		if r, _ := V1Rule("v5.39.4", false); r {
			t.Error("v5.39 refuses v1")
		}
		if r, _ := V1Rule("", true); !r {
			t.Error("a go-crypto runtime without a version is not assumed v5.41+")
		}
	})
	t.Run("v1 main file", func(t *testing.T) {
		c, diags, _ := scratch(t, map[string]string{"etc/containers/registries.conf": "[registries.search]\nregistries = [\"a.com\"]\n[registries.block]\nregistries = [\"bad.com\"]\n"}, Locations{})
		if diags.HasErrors() || c.Find("bad.com/x") == nil || !c.Find("bad.com/x").Blocked || len(c.UnqualifiedSearch) != 1 {
			t.Errorf("config %+v, diags %v", c, diags)
		}
		if len(diags) != 1 || diags[0].Code != "registries-conf-v1" {
			t.Errorf("no warning that v5.40 refuses v1: %v", diags)
		}
	})
}

// TestFindAndPullSources: longest prefix wins, wildcard subdomains, the
// ":" quirk, and the mirror order with pull-from-mirror and
// mirror-by-digest-only (Registry.PullSourcesFromReference,
// refMatchingPrefix, rewriteReference).
func TestFindAndPullSources(t *testing.T) {
	conf := `
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

[[registry]]
prefix = "*.wild.example"
[[registry.mirror]]
location = "wmirror.example"

[[registry]]
location = "blocked.example"
blocked = true
[[registry.mirror]]
location = "bmirror.example"
`
	c, diags, _ := scratch(t, map[string]string{"etc/containers/registries.conf": conf}, Locations{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	const dg = "@sha256:0123456789012345678901234567890123456789012345678901234567890123"
	tests := []struct {
		ref  string
		want []string
	}{
		{"example.com/app:v1", []string{"all.mirror/app:v1", "tag.mirror/cache/app:v1", "example.com/app:v1"}},
		{"example.com/app" + dg, []string{"all.mirror/app" + dg, "digest.mirror/app" + dg, "example.com/app" + dg}},
		{"example.com/team/app:v1", []string{"internal.example/prod/team/app:v1"}},
		{"example.com/team/app" + dg, []string{"dmirror.example/app" + dg, "internal.example/prod/team/app" + dg}},
		{"example.com/teamster/app:v1", []string{"all.mirror/teamster/app:v1", "tag.mirror/cache/teamster/app:v1", "example.com/teamster/app:v1"}},
		{"a.wild.example/x:1", []string{"wmirror.example/x:1", "a.wild.example/x:1"}},
		// "example.com:5000" matches the prefix "example.com"; the rewrite
		// for a mirror with a path does not parse, and the library fails
		// the pull with that error.
		{"example.com:5000/x:1", []string{"error: rewriting reference: invalid reference format"}},
		{"other.example/x:1", []string{"other.example/x:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			ref, err := reference.ParseNormalizedNamed(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			srcs, _, err := c.Find(ref.Name()).PullSources(ref)
			if err != nil {
				if want := "error: " + err.Error(); tt.want[0] != want {
					t.Errorf("%s, want %v", want, tt.want)
				}
				return
			}
			var got []string
			for _, s := range srcs {
				got = append(got, s.Reference.String())
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("sources %v, want %v", got, tt.want)
			}
			if srcs[len(srcs)-1].Mirror {
				t.Errorf("the primary is marked a mirror")
			}
		})
	}
	blocked, _ := reference.ParseNormalizedNamed("blocked.example/x:1")
	if c.Blocked(blocked) == nil {
		t.Error("blocked.example is not blocked")
	}
	mirror, _ := reference.ParseNormalizedNamed("bmirror.example/x:1")
	if c.Blocked(mirror) != nil {
		t.Error("the mirror of a blocked registry is blocked: newDockerClient looks up the mirror's own entry")
	}
	if got := c.Blocked(blocked).Error(); got != "registry blocked.example is blocked in /etc/containers/registries.conf or /root/.config/containers/registries.conf.d" {
		t.Errorf("blocked message %q", got)
	}
}

// TestResolveShortNames follows shortnames.Resolve as CRI-O calls it.
func TestResolveShortNames(t *testing.T) {
	conf := "unqualified-search-registries = [\"quay.io\", \"docker.io\"]\n[aliases]\n\"team/app\" = \"registry.example/team/app\"\n\"reset\" = \"quay.io/x/reset\"\n"
	c, diags, root := scratch(t, map[string]string{
		"etc/containers/registries.conf":                  conf,
		"etc/containers/registries.conf.d/9-reset.conf":   "[aliases]\n\"reset\" = \"\"\n",
		"var/cache/containers/short-name-aliases.conf":    "[aliases]\n\"cached\" = \"cache.example/cached\"\n",
		"etc/containers/registries.conf.d/only-one.other": "",
	}, Locations{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cache, cd := LoadAliasCache(nodefs.New(root), filepath.Join(root, AliasCachePath), AliasCachePath)
	if cd.HasErrors() {
		t.Fatal(cd)
	}
	tests := []struct {
		name, mode, want, err, rationale string
	}{
		{"nginx", ModeDisabled, "quay.io/nginx:latest docker.io/library/nginx:latest", "", FromSearch},
		{"nginx", ModeEnforcing, "quay.io/nginx:latest docker.io/library/nginx:latest", "short name mode is enforcing, but image name nginx returns ambiguous list", FromSearch},
		{"team/app:v2", ModeEnforcing, "registry.example/team/app:v2", "", FromAlias},
		{"cached", ModeEnforcing, "cache.example/cached:latest", "", FromAlias},
		{"reset", ModeDisabled, "quay.io/reset:latest docker.io/library/reset:latest", "", FromSearch},
		{"quay.io/team/app", ModeEnforcing, "quay.io/team/app:latest", "", FromQualified},
		{"localhost/app", ModeEnforcing, "localhost/app:latest", "", FromQualified},
		{"Bad Name", ModeEnforcing, "", "cannot parse input", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.mode, func(t *testing.T) {
			r := c.Resolve(cache, tt.name, tt.mode)
			var got []string
			for _, n := range r.Candidates {
				got = append(got, n.String())
			}
			if tt.want != "" && strings.Join(got, " ") != tt.want {
				t.Errorf("candidates %v, want %s", got, tt.want)
			}
			if (r.Err == nil) != (tt.err == "") || (r.Err != nil && !strings.Contains(r.Err.Error(), tt.err)) {
				t.Errorf("err %v, want %q", r.Err, tt.err)
			}
			if r.Rationale != tt.rationale {
				t.Errorf("rationale %q, want %q", r.Rationale, tt.rationale)
			}
		})
	}
	empty, _, _ := scratch(t, map[string]string{"etc/containers/registries.conf": "\n"}, Locations{})
	if r := empty.Resolve(nil, "nginx", ModeEnforcing); r.Err == nil || r.Err.Error() != `short-name "nginx" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"` {
		t.Errorf("no search registries: %v", r.Err)
	}
	if CRIOMode("") != ModeEnforcing || CRIOMode("permissive") != ModeEnforcing || CRIOMode("disabled") != ModeDisabled {
		t.Error("CRI-O's mode: everything but disabled is enforcing (SetSystemContext)")
	}
}
