package registriesconf

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/distribution/reference"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
	"golang.org/x/mod/semver"
)

// Node paths (pkg/sysregistriesv2/paths_common.go, shortnames.go).
const (
	DefaultConf  = "/etc/containers/registries.conf"
	DefaultConfD = "/etc/containers/registries.conf.d"
	// The runtime runs as root with HOME=/root: a per-user file replaces
	// the system one (newConfigWrapperWithHomeDir).
	RootUserConf  = "/root/.config/containers/registries.conf"
	RootUserConfD = "/root/.config/containers/registries.conf.d"
	// AliasCache is where root's short-name alias cache lives
	// (sysregistriesv2/shortnames.go: shortNameAliasesConfPath, EUID 0).
	AliasCachePath = "/var/cache/containers/short-name-aliases.conf"
)

// Values of pull-from-mirror (system_registries_v2.go: MirrorAll, …).
const (
	MirrorAll          = "all"
	MirrorByDigestOnly = "digest-only"
	MirrorByTagOnly    = "tag-only"
)

// Endpoint is a primary location or a mirror (sysregistriesv2.Endpoint).
type Endpoint struct {
	Location       string    `toml:"location,omitempty" json:"location"`
	Insecure       bool      `toml:"insecure,omitempty" json:"insecure,omitempty"`
	PullFromMirror string    `toml:"pull-from-mirror,omitempty" json:"pull_from_mirror,omitempty"`
	Pos            model.Pos `toml:"-" json:"pos"`
}

// Registry is one [[registry]] entry (sysregistriesv2.Registry).
type Registry struct {
	Prefix string `toml:"prefix" json:"prefix"`
	Endpoint
	Mirrors            []Endpoint `toml:"mirror,omitempty" json:"mirrors,omitempty"`
	Blocked            bool       `toml:"blocked,omitempty" json:"blocked,omitempty"`
	MirrorByDigestOnly bool       `toml:"mirror-by-digest-only,omitempty" json:"mirror_by_digest_only,omitempty"`
}

// Alias is a short-name alias; Value nil means reset by a later file.
type Alias struct {
	Value reference.Named
	Pos   model.Pos
}

// Config is the merged configuration the runtime uses.
type Config struct {
	// Registries are unique by prefix and sorted by it, as the library
	// leaves them after postProcessRegistries and the drop-in merge.
	Registries []Registry
	// UnqualifiedSearch and the file that set it (a later drop-in's
	// list, even an empty one, replaces an earlier one).
	UnqualifiedSearch []string
	SearchOrigin      string
	// ShortNameMode as registries.conf sets it ("" when unset). CRI-O
	// ignores it (crio.conf's short_name_mode wins).
	ShortNameMode string
	Aliases       map[string]Alias
	// ConfPath and DirPaths are the sources, for error texts and traces
	// ("registry … is blocked in CONF or DIR").
	ConfPath string
	DirPaths []string
	// Files lists the files actually read, in order.
	Files []string
	// NodeConf and NodeDir name the sources as the runtime's errors do
	// (ConfigPath, ConfigDirPath: root's per-user directory, which the
	// library names whenever it may read one).
	NodeConf, NodeDir string
	// NodeOf maps a host path back to the node's path (nil: unchanged).
	NodeOf func(string) string `json:"-"`
}

// Locations says where to read; empty fields take the node defaults
// under the root.
type Locations struct {
	// Conf is an explicit registries.conf (skopeo's --registries-conf,
	// SystemContext.SystemRegistriesConfPath): it must exist.
	Conf string
	// RefuseV1: the runtime's containers/image is v5.40 or later, which
	// refuses the v1 format in every file (container-libs#1029); older
	// ones convert a v1 main file. V1Basis says what that rests on.
	RefuseV1 bool
	V1Basis  string
}

// V1Rule says whether the runtime refuses a v1 registries.conf, from its
// containers/image version ("" unknown) or, without one, from what the
// mechanism implies (go-crypto builds are v5.41 or later), and why.
func V1Rule(version string, goCrypto bool) (refuse bool, basis string) {
	switch {
	case semver.IsValid(version):
		return semver.Compare(semver.MajorMinor(version), "v5.40") >= 0, "the runtime's containers/image is " + version
	case goCrypto:
		return true, "containers/image version unknown: assumed v5.41 or later, as openpgp-gocrypto is"
	}
	return false, "containers/image version unknown: assumed older than v5.40"
}

// MaxNesting bounds bracket nesting before the TOML decoder recurses
// (real files nest two levels).
const MaxNesting = 100

// fileConf is what one file may hold: v2 and v1 keys together
// (loadConfigFile's tomlConfig).
type fileConf struct {
	Registries                     []Registry        `toml:"registry"`
	UnqualifiedSearchRegistries    []string          `toml:"unqualified-search-registries"`
	CredentialHelpers              []string          `toml:"credential-helpers"`
	ShortNameMode                  string            `toml:"short-name-mode"`
	AdditionalLayerStoreAuthHelper string            `toml:"additional-layer-store-auth-helper"`
	Aliases                        map[string]string `toml:"aliases"`
	V1                             *struct {
		Search   v1List `toml:"search"`
		Insecure v1List `toml:"insecure"`
		Block    v1List `toml:"block"`
	} `toml:"registries"`
}

type v1List struct {
	Registries []string `toml:"registries"`
}

// parsed is one file after its own checks.
type parsed struct {
	registries []Registry
	search     []string
	searchSet  bool
	mode       string
	aliases    map[string]Alias
}

// Load reads the configuration the runtime would: an explicit file, or
// root's per-user file if it exists (then without the system drop-ins),
// else the system file; then the drop-ins (*.conf, in name order). A
// missing default file is an empty configuration. Every file is read
// through nodefs; hostile input gives diagnostics with file:line:column.
// (system_registries_v2.go: newConfigWrapperWithHomeDir, tryUpdatingCache.)
func Load(fsys nodefs.FS, host, node func(string) string, loc Locations) (*Config, model.Diagnostics) {
	c := &Config{Aliases: map[string]Alias{}, NodeOf: node}
	var dirs []string
	explicit := loc.Conf != ""
	c.NodeDir = RootUserConfD
	switch {
	case explicit:
		c.ConfPath, c.NodeConf = loc.Conf, loc.Conf
		dirs = []string{host(DefaultConfD), host(RootUserConfD)}
	case exists(fsys, host(RootUserConf)):
		c.ConfPath, c.NodeConf = host(RootUserConf), RootUserConf
		dirs = []string{host(RootUserConfD)}
	default:
		c.ConfPath, c.NodeConf = host(DefaultConf), DefaultConf
		dirs = []string{host(DefaultConfD), host(RootUserConfD)}
	}
	c.DirPaths = dirs
	var diags model.Diagnostics
	main, d, err := readFile(fsys, c.ConfPath, rules{refuseV1: loc.RefuseV1, v1Basis: loc.V1Basis})
	diags = append(diags, d...)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		// The library continues with an empty configuration.
	case err != nil && d.HasErrors():
		return c, diags // a parse error, already with its position
	case err != nil:
		diags = append(diags, diag(model.Error, "registries-conf-unreadable", model.Pos{File: c.ConfPath},
			fmt.Sprintf("loading registries configuration %q: %v", c.ConfPath, err), "the runtime fails every pull until the file can be read"))
		return c, diags
	case main != nil:
		c.Files = append(c.Files, c.ConfPath)
		c.apply(main, c.ConfPath)
		// The main file is the origin of the search list even when it sets
		// none (loadConfigFile).
		c.SearchOrigin = c.ConfPath
	}
	for _, dir := range dirs {
		ents, err := fsys.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			diags = append(diags, diag(model.Error, "registries-conf-unreadable", model.Pos{File: dir}, "reading registries.conf.d: "+err.Error(), ""))
			continue
		}
		for _, e := range ents {
			// dropInConfigs: *.conf, no recursion into directories.
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".conf") {
				continue
			}
			p := filepath.Join(dir, e.Name())
			f, d, err := readFile(fsys, p, rules{forceV2: true, refuseV1: loc.RefuseV1, v1Basis: loc.V1Basis})
			diags = append(diags, d...)
			if errors.Is(err, fs.ErrNotExist) || (err != nil && d.HasErrors()) {
				continue
			}
			if err != nil {
				diags = append(diags, diag(model.Error, "registries-conf-unreadable", model.Pos{File: p},
					fmt.Sprintf("loading drop-in registries configuration %q: %v", p, err), ""))
				continue
			}
			c.Files = append(c.Files, p)
			c.apply(f, p)
		}
	}
	return c, diags
}

func exists(fsys nodefs.FS, p string) bool {
	_, err := fsys.Stat(p)
	return err == nil
}

// apply merges one file (parsedConfig.updateWithConfigurationFrom):
// registries by prefix, the search list when the file sets one, the mode
// when set, aliases by name.
func (c *Config) apply(f *parsed, origin string) {
	if f == nil {
		return
	}
	byPrefix := map[string]Registry{}
	for _, r := range c.Registries {
		byPrefix[r.Prefix] = r
	}
	for _, r := range f.registries {
		byPrefix[r.Prefix] = r
	}
	c.Registries = c.Registries[:0]
	for _, r := range byPrefix {
		c.Registries = append(c.Registries, r)
	}
	sort.Slice(c.Registries, func(i, j int) bool { return c.Registries[i].Prefix < c.Registries[j].Prefix })
	if f.searchSet {
		c.UnqualifiedSearch, c.SearchOrigin = f.search, origin
	}
	if f.mode != "" {
		c.ShortNameMode = f.mode
	}
	for k, v := range f.aliases {
		c.Aliases[k] = v
	}
}

// readFile reads and checks one file (loadConfigFile). The error is for
// a file that cannot be read or parsed at all; rule violations are
// diagnostics and make the file count as not loaded (nil).
func readFile(fsys nodefs.FS, path string, r rules) (*parsed, model.Diagnostics, error) {
	data, err := fsys.ReadFile(path, nodefs.RegistriesConf)
	if err != nil {
		return nil, nil, err
	}
	return parse(path, data, r)
}

// rules are what differs between files and runtime versions.
type rules struct {
	forceV2, refuseV1 bool
	v1Basis           string
}

// parse checks one file's bytes as loadConfigFile and
// postProcessRegistries do. The returned error is the decode error, with
// the position in the diagnostics.
func parse(path string, data []byte, r rules) (*parsed, model.Diagnostics, error) {
	lc := locator{file: path, data: data}
	if line, col, deep := nestingTooDeep(data, MaxNesting); deep {
		d := diag(model.Error, "registries-conf-syntax", model.Pos{File: path, Line: line, Col: col},
			fmt.Sprintf("nested more than %d levels deep", MaxNesting), "")
		return nil, model.Diagnostics{d}, errors.New(d.Message)
	}
	var fc fileConf
	md, err := toml.Decode(string(data), &fc)
	if err != nil {
		pos := model.Pos{File: path}
		msg := err.Error()
		var pe toml.ParseError
		if errors.As(err, &pe) {
			// Start is exact; Line is one too far for an error at a newline.
			pos = lc.at(min(pe.Position.Start, len(data)))
			msg = pe.Message
		} else if m := typeErrRe().FindStringSubmatch(msg); m != nil {
			// A type mismatch is a plain error naming the line and key.
			pos = lc.onLine(atoi(m[1]), m[2])
			msg = m[3]
		}
		d := diag(model.Error, "registries-conf-syntax", pos, "invalid TOML: "+msg, "the runtime fails every pull while this file does not parse")
		return nil, model.Diagnostics{d}, err
	}
	var diags model.Diagnostics
	for _, k := range md.Undecoded() {
		// The library only logs these at debug level: a misspelt key
		// (mirror-by-digests-only) silently does nothing.
		diags = append(diags, model.Diagnostic{Severity: model.Warning, Code: "registries-conf-unknown-key", Pos: lc.key(k[len(k)-1]),
			Message: fmt.Sprintf("unknown key %q: containers/image ignores it", k.String()), Fix: "check the spelling against containers-registries.conf(5)"})
	}
	fail := func(pos model.Pos, msg string) (*parsed, model.Diagnostics, error) {
		diags = append(diags, diag(model.Error, "registries-conf-invalid", pos, msg, "the runtime fails every pull while this file is invalid"))
		return nil, diags, nil
	}
	out := &parsed{}
	v1set := fc.V1 != nil && (len(fc.V1.Search.Registries)+len(fc.V1.Insecure.Registries)+len(fc.V1.Block.Registries) > 0)
	v2set := len(fc.Registries) > 0 || len(fc.UnqualifiedSearchRegistries) > 0 || len(fc.CredentialHelpers) > 0 ||
		fc.ShortNameMode != "" || fc.AdditionalLayerStoreAuthHelper != "" || len(fc.Aliases) > 0
	if v1set {
		// loadConfigFile: from v5.40 no file may be v1; before, drop-ins
		// must be v2 and v1 and v2 do not mix.
		if r.refuseV1 {
			return fail(lc.key("registries"), "registries.conf must be in v2 format but is in v1 ("+r.v1Basis+")")
		}
		if r.forceV2 {
			return fail(lc.key("registries"), "registry must be in v2 format but is in v1")
		}
		diags = append(diags, diag(model.Warning, "registries-conf-v1", lc.key("registries"),
			"the v1 format ([registries.search], [registries.block], [registries.insecure]): containers/image v5.40 and later refuse it and fail every pull ("+r.v1Basis+")",
			"rewrite it in the v2 format: unqualified-search-registries = [...] and [[registry]] entries with blocked / insecure"))
		if v2set {
			return fail(lc.key("registries"), "mixing sysregistry v1/v2 is not supported")
		}
		regs, err := convertV1(fc.V1.Block.Registries, fc.V1.Insecure.Registries)
		if err != nil {
			return fail(lc.value(err.value), err.msg)
		}
		fc.Registries = regs
		fc.UnqualifiedSearchRegistries = fc.V1.Search.Registries
	}
	// A drop-in replaces the search list only when it sets one, even to
	// [] (updateWithConfigurationFrom: nil versus empty).
	if md.IsDefined("unqualified-search-registries") || (v1set && fc.UnqualifiedSearchRegistries != nil) {
		out.searchSet = true
		out.search = []string{}
	}
	if msg, pos := postProcess(&fc, lc); msg != "" {
		return fail(pos, msg)
	}
	out.registries = fc.Registries
	if out.searchSet {
		out.search = append(out.search, fc.UnqualifiedSearchRegistries...)
	}
	if m := fc.ShortNameMode; m != "" {
		// parseShortNameMode.
		if m != "disabled" && m != "enforcing" && m != "permissive" {
			return fail(lc.value(m), fmt.Sprintf("invalid short-name mode: %q", m))
		}
		out.mode = m
	}
	for _, r := range out.registries {
		// loadConfigFile: a wildcard prefix is *.example.com only.
		if strings.HasPrefix(r.Prefix, "*.") && strings.ContainsAny(r.Prefix, "/@:") {
			return fail(r.Pos, fmt.Sprintf("Wildcarded prefix should be in the format: *.example.com. Current prefix %q is incorrectly formatted", r.Prefix))
		}
	}
	aliases, errs := parseAliases(fc.Aliases, lc)
	if len(errs) > 0 {
		// newShortNameAliasCache reports every bad alias at once.
		return nil, append(diags, errs...), nil
	}
	out.aliases = aliases
	return out, diags, nil
}

type v1Error struct{ value, msg string }

// convertV1 is V1RegistriesConf.ConvertToV2 for block and insecure.
func convertV1(block, insecure []string) ([]Registry, *v1Error) {
	byLoc := map[string]*Registry{}
	var order []string
	get := func(l string) (*Registry, *v1Error) {
		loc, msg := parseLocation(l)
		if msg != "" {
			return nil, &v1Error{l, msg}
		}
		r, ok := byLoc[loc]
		if !ok {
			r = &Registry{Prefix: loc, Endpoint: Endpoint{Location: loc}}
			byLoc[loc] = r
			order = append(order, loc)
		}
		return r, nil
	}
	for _, b := range block {
		r, err := get(b)
		if err != nil {
			return nil, err
		}
		r.Blocked = true
	}
	for _, i := range insecure {
		r, err := get(i)
		if err != nil {
			return nil, err
		}
		r.Insecure = true
	}
	var out []Registry
	for _, l := range order {
		out = append(out, *byLoc[l])
	}
	return out, nil
}

// parseLocation: trailing slashes dropped, URL schemes refused.
func parseLocation(in string) (string, string) {
	t := strings.TrimRight(in, "/")
	if strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://") {
		return "", fmt.Sprintf("invalid location '%s': URI schemes are not supported", in)
	}
	return t, ""
}

// postProcess is postProcessRegistries: locations and prefixes checked
// and normalised, conflicting duplicates refused, the search list
// checked, then one entry per prefix (the first), sorted by prefix.
func postProcess(fc *fileConf, lc locator) (string, model.Pos) {
	groups := map[string][]int{}
	mirrorN := 0
	for i := range fc.Registries {
		r := &fc.Registries[i]
		r.Pos = lc.nth("[[registry]]", i)
		if r.Pos.IsZero() {
			r.Pos = lc.value(r.Prefix + r.Location)
		}
		var msg string
		raw := r.Location
		if r.Location, msg = parseLocation(r.Location); msg != "" {
			return msg, lc.value(raw)
		}
		if r.Prefix == "" {
			if r.Location == "" {
				return "invalid condition: both location and prefix are unset", r.Pos
			}
			r.Prefix = r.Location
		} else {
			raw := r.Prefix
			if r.Prefix, msg = parseLocation(r.Prefix); msg != "" {
				return msg, lc.value(raw)
			}
			if !strings.HasPrefix(r.Prefix, "*.") && r.Location == "" {
				return "invalid condition: location is unset and prefix is not in the format: *.example.com", r.Pos
			}
		}
		if r.PullFromMirror != "" {
			return fmt.Sprintf("pull-from-mirror must not be set for a non-mirror registry %q", r.Prefix), lc.value(r.PullFromMirror)
		}
		for j := range r.Mirrors {
			m := &r.Mirrors[j]
			m.Pos = lc.nth("[[registry.mirror]]", mirrorN)
			mirrorN++
			if m.Pos.IsZero() {
				m.Pos = r.Pos
			}
			if m.Location, msg = parseLocation(m.Location); msg != "" {
				return msg, m.Pos
			}
			if m.Location == "" {
				return "invalid condition: mirror location is unset", r.Pos
			}
			if r.MirrorByDigestOnly && m.PullFromMirror != "" {
				return fmt.Sprintf("cannot set mirror usage mirror-by-digest-only for the registry (%q) and pull-from-mirror for per-mirror (%q) at the same time", r.Prefix, m.Location), m.Pos
			}
			switch m.PullFromMirror {
			case "", MirrorAll, MirrorByDigestOnly, MirrorByTagOnly:
			default:
				return fmt.Sprintf("unsupported pull-from-mirror value %q for mirror %q", m.PullFromMirror, m.Location), lc.value(m.PullFromMirror)
			}
		}
		k := r.Location
		if k == "" {
			k = r.Prefix
		}
		groups[k] = append(groups[k], i)
	}
	for i := range fc.Registries {
		r := fc.Registries[i]
		k := r.Location
		if k == "" {
			k = r.Prefix
		}
		for _, j := range groups[k] {
			o := fc.Registries[j]
			if r.Insecure != o.Insecure {
				return fmt.Sprintf("registry '%s' is defined multiple times with conflicting 'insecure' setting", r.Location), o.Pos
			}
			if r.Blocked != o.Blocked {
				return fmt.Sprintf("registry '%s' is defined multiple times with conflicting 'blocked' setting", r.Location), o.Pos
			}
		}
	}
	for i, s := range fc.UnqualifiedSearchRegistries {
		reg, msg := parseLocation(s)
		if msg != "" {
			return msg, lc.value(s)
		}
		if !anchoredDomain(reg) {
			return fmt.Sprintf("Invalid unqualified-search-registries entry %q", reg), lc.value(s)
		}
		fc.UnqualifiedSearchRegistries[i] = reg
	}
	// The first entry of a prefix wins; later ones never match.
	seen := map[string]bool{}
	var uniq []Registry
	for _, r := range fc.Registries {
		if !seen[r.Prefix] {
			seen[r.Prefix] = true
			uniq = append(uniq, r)
		}
	}
	sort.SliceStable(uniq, func(i, j int) bool { return uniq[i].Prefix < uniq[j].Prefix })
	fc.Registries = uniq
	return "", model.Pos{}
}

// anchoredDomain matches reference.DomainRegexp anchored, which the
// library checks search registries with: a name that parses as the
// domain of "DOMAIN/x" with nothing before it.
func anchoredDomain(s string) bool {
	return anchoredDomainRe().MatchString(s)
}

var anchoredDomainRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^" + reference.DomainRegexp.String() + "$") })

// parseAliases is newShortNameAliasCache: every key a short name, every
// value a fully qualified name without tag or digest, "" a reset.
func parseAliases(in map[string]string, lc locator) (map[string]Alias, model.Diagnostics) {
	out := map[string]Alias{}
	var diags model.Diagnostics
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		value := in[name]
		pos := lc.key(name)
		if err := ValidateShortName(name); err != nil {
			diags = append(diags, diag(model.Error, "registries-conf-alias", pos, "validating short-name aliases: "+err.Error(), "an alias is a short name such as \"team/app\""))
		}
		if value == "" {
			out[name] = Alias{Pos: pos}
			continue
		}
		named, err := parseAliasValue(value)
		if err != nil {
			diags = append(diags, diag(model.Error, "registries-conf-alias", lc.value(value), "validating short-name aliases: "+err.Error(), "write the full name, such as \"quay.io/team/app\", without a tag"))
			continue
		}
		out[name] = Alias{Value: named, Pos: pos}
	}
	return out, diags
}

// ValidateShortName is validateShortName (sysregistriesv2/shortnames.go).
func ValidateShortName(name string) error {
	ref, err := reference.Parse(name)
	if err != nil {
		return fmt.Errorf("cannot parse short name: %q: %w", name, err)
	}
	if _, ok := ref.(reference.Digested); ok {
		return fmt.Errorf("invalid short name %q: must not contain digest", name)
	}
	if _, ok := ref.(reference.Tagged); ok {
		return fmt.Errorf("invalid short name %q: must not contain tag", name)
	}
	named, ok := ref.(reference.Named)
	if !ok {
		return fmt.Errorf("invalid short name %q: no name", name)
	}
	if hasRegistry(reference.Domain(named)) {
		return fmt.Errorf("invalid short name %q: must not contain registry", name)
	}
	return nil
}

// parseAliasValue is parseShortNameValue.
func parseAliasValue(alias string) (reference.Named, error) {
	ref, err := reference.Parse(alias)
	if err != nil {
		return nil, fmt.Errorf("parsing alias %q: %w", alias, err)
	}
	if _, ok := ref.(reference.Digested); ok {
		return nil, fmt.Errorf("invalid alias %q: must not contain digest", alias)
	}
	if _, ok := ref.(reference.Tagged); ok {
		return nil, fmt.Errorf("invalid alias %q: must not contain tag", alias)
	}
	named, ok := ref.(reference.Named)
	if !ok || !hasRegistry(reference.Domain(named)) {
		return nil, fmt.Errorf("invalid alias %q: must contain registry and repository", alias)
	}
	return reference.ParseNormalizedNamed(alias)
}

// hasRegistry: the first component names a registry (shortnames.go).
func hasRegistry(domain string) bool {
	return strings.ContainsAny(domain, ".:") || domain == "localhost"
}

func diag(sev model.Severity, code string, pos model.Pos, msg, fix string) model.Diagnostic {
	return model.Diagnostic{Severity: sev, Code: code, Pos: pos, Message: msg, Fix: fix}
}

// nestingTooDeep reports where brackets or braces first nest deeper than
// max (counting inside strings and comments too: it may overcount).
func nestingTooDeep(data []byte, max int) (line, col int, deep bool) {
	depth, line, col := 0, 1, 0
	for _, c := range data {
		col++
		switch c {
		case '\n':
			line, col = line+1, 0
		case '[', '{':
			depth++
			if depth > max {
				return line, col, true
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return 0, 0, false
}

var typeErrRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^toml: line (\d+) \(last key "(?:[^"]*\.)?([^".]*)"\): (.*)$`)
})

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// onLine is where key is written on line n (column 1 if it is not).
func (l locator) onLine(n int, key string) model.Pos {
	lines := bytes.SplitAfter(l.data, []byte("\n"))
	if n < 1 || n > len(lines) {
		return model.Pos{File: l.file}
	}
	col := bytes.Index(lines[n-1], []byte(key)) + 1
	return model.Pos{File: l.file, Line: n, Col: max(col, 1)}
}

// locator finds where a value or key is written, for positions: the
// decoder keeps them to itself.
type locator struct {
	file string
	data []byte
}

func (l locator) at(off int) model.Pos {
	if off < 0 {
		return model.Pos{File: l.file}
	}
	line := 1 + bytes.Count(l.data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(l.data[:off], '\n')
	return model.Pos{File: l.file, Line: line, Col: col}
}

// value is the first place the string is written quoted.
func (l locator) value(s string) model.Pos {
	for _, q := range []string{`"`, `'`} {
		if i := bytes.Index(l.data, []byte(q+s+q)); i >= 0 {
			return l.at(i)
		}
	}
	return model.Pos{File: l.file}
}

// key is the first line that starts with the key (bare or quoted).
func (l locator) key(k string) model.Pos {
	off := 0
	for _, ln := range bytes.SplitAfter(l.data, []byte("\n")) {
		t := bytes.TrimLeft(ln, " \t[")
		ind := len(ln) - len(t)
		for _, form := range []string{k, `"` + k + `"`, `'` + k + `'`} {
			if rest, ok := bytes.CutPrefix(t, []byte(form)); ok {
				if r := bytes.TrimLeft(rest, " \t"); len(r) > 0 && (r[0] == '=' || r[0] == ']' || r[0] == '.') {
					return l.at(off + ind)
				}
			}
		}
		off += len(ln)
	}
	return model.Pos{File: l.file}
}

// nth is the n-th (0-based) line whose text is header.
func (l locator) nth(header string, n int) model.Pos {
	off := 0
	for _, ln := range bytes.SplitAfter(l.data, []byte("\n")) {
		t := bytes.TrimSpace(ln)
		if string(bytes.ReplaceAll(t, []byte(" "), nil)) == header {
			if n == 0 {
				return l.at(off + bytes.Index(ln, []byte("[")))
			}
			n--
		}
		off += len(ln)
	}
	return model.Pos{File: l.file}
}
