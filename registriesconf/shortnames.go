package registriesconf

//lint:file-ignore ST1005 error texts are containers/image's and CRI-O's own wording, which admins search for

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/distribution/reference"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
)

// CRI-O's short-name modes (crio.conf short_name_mode; pkg/config
// SetSystemContext: anything but "disabled" is enforcing, and
// registries.conf's short-name-mode is never consulted).
const (
	ModeEnforcing = "enforcing"
	ModeDisabled  = "disabled"
)

// CRIOMode is the mode CRI-O passes to the library for a crio.conf value.
func CRIOMode(shortNameMode string) string {
	if shortNameMode == ModeDisabled {
		return ModeDisabled
	}
	return ModeEnforcing
}

// Rationale says where the candidates came from.
const (
	FromQualified = "fully qualified"
	FromAlias     = "alias"
	FromSearch    = "unqualified-search registries"
)

// Resolution is what a short name becomes before any pull.
type Resolution struct {
	Input      string
	Short      bool
	Candidates []reference.Named
	Rationale  string
	// Origin is the file the alias or the search list came from.
	Origin string
	// Err is the resolution's own failure, in CRI-O's words; no
	// candidate is pulled then.
	Err error
}

// IsShortName is shortnames.IsShortName: no registry in the first
// component (a digest does not make a name qualified).
func IsShortName(input string) bool {
	short, _, _ := parseShort(input)
	return short
}

func parseShort(input string) (bool, reference.Named, error) {
	ref, err := reference.Parse(input)
	if err != nil {
		return false, nil, fmt.Errorf("cannot parse input: %q: %w", input, err)
	}
	named, ok := ref.(reference.Named)
	if !ok {
		return true, nil, fmt.Errorf("%q is not a named reference", input)
	}
	if hasRegistry(reference.Domain(named)) {
		n, err := reference.ParseNormalizedNamed(input)
		if err != nil {
			return false, nil, fmt.Errorf("cannot normalize input: %q: %w", input, err)
		}
		return false, n, nil
	}
	return true, named, nil
}

// Resolve turns name into pull candidates as CRI-O does
// (internal/storage/image.go: CandidatesForPotentiallyShortImageName,
// which calls pkg/shortnames/shortnames.go: Resolve without a TTY):
//  1. a qualified name is its own candidate (":latest" added);
//  2. a short name's alias (the alias cache first, then registries.conf
//     and drop-ins), with the input's tag or digest, is the only one;
//  3. else one candidate per unqualified-search registry, in order;
//  4. mode enforcing with more than one candidate fails: CRI-O cannot
//     prompt and reports "returns ambiguous list".
//
// CRI-O then drops the tag of a name with tag and digest
// (references.RegistryImageReferenceFromRaw); so does verify.ParseImage.
func (c *Config) Resolve(cache *AliasCache, name, mode string) Resolution {
	res := Resolution{Input: name}
	short, ref, err := parseShort(name)
	if err != nil {
		res.Err = err
		return res
	}
	res.Short = short
	if !short {
		res.Rationale = FromQualified
		res.Candidates = []reference.Named{reference.TagNameOnly(ref)}
		return res
	}
	repo := reference.TrimNamed(ref)
	if a, origin, ok := c.alias(cache, repo.String()); ok && a.Value != nil {
		cand := a.Value
		if t, ok := ref.(reference.Tagged); ok {
			if cand, err = reference.WithTag(cand, t.Tag()); err != nil {
				res.Err = err
				return res
			}
		}
		if d, ok := ref.(reference.Digested); ok {
			if cand, err = reference.WithDigest(cand, d.Digest()); err != nil {
				res.Err = err
				return res
			}
		}
		res.Rationale, res.Origin = FromAlias, origin
		res.Candidates = []reference.Named{reference.TagNameOnly(cand)}
		return res
	}
	res.Rationale, res.Origin = FromSearch, c.SearchOrigin
	if len(c.UnqualifiedSearch) == 0 {
		if c.SearchOrigin != "" {
			res.Err = fmt.Errorf("short-name %q did not resolve to an alias and no unqualified-search registries are defined in %q", name, c.nodePath(c.SearchOrigin))
		} else {
			res.Err = fmt.Errorf("short-name %q did not resolve to an alias and no containers-registries.conf(5) was found", name)
		}
		return res
	}
	for _, reg := range c.UnqualifiedSearch {
		n, err := reference.ParseNormalizedNamed(reg + "/" + name)
		if err != nil {
			res.Err = fmt.Errorf("creating reference with unqualified-search registry %q: %w", reg, err)
			return res
		}
		res.Candidates = append(res.Candidates, reference.TagNameOnly(n))
	}
	if mode != ModeDisabled && len(res.Candidates) > 1 {
		res.Err = fmt.Errorf("short name mode is enforcing, but image name %s returns ambiguous list", name)
	}
	return res
}

// nodePath names a host path as the node does, for error texts.
func (c *Config) nodePath(host string) string {
	if host == c.ConfPath {
		return c.NodeConf
	}
	if c.NodeOf != nil {
		return c.NodeOf(host)
	}
	return host
}

// alias is ResolveShortNameAlias: the cache wins over the configuration;
// a reset ("" value) counts as found with no value.
func (c *Config) alias(cache *AliasCache, name string) (Alias, string, bool) {
	if cache != nil {
		if a, ok := cache.Aliases[name]; ok {
			return a, cache.Path, true
		}
	}
	if c == nil {
		return Alias{}, "", false
	}
	a, ok := c.Aliases[name]
	return a, c.nodePath(a.Pos.File), ok
}

// AliasCache is the machine-written alias file (short-name-aliases.conf).
type AliasCache struct {
	Path    string
	Aliases map[string]Alias
}

// LoadAliasCache reads root's alias cache; a missing file is empty
// (loadShortNameAliasConf). Unlike the library, nothing is created.
func LoadAliasCache(fsys nodefs.FS, hostPath, nodePath string) (*AliasCache, model.Diagnostics) {
	ac := &AliasCache{Path: nodePath, Aliases: map[string]Alias{}}
	data, err := fsys.ReadFile(hostPath, nodefs.RegistriesConf)
	if errors.Is(err, fs.ErrNotExist) {
		return ac, nil
	}
	wrap := func(pos model.Pos, msg string) model.Diagnostics {
		return model.Diagnostics{diag(model.Error, "short-name-aliases", pos, fmt.Sprintf("loading short-name aliases config file %q: %s", nodePath, msg),
			"every pull of a short name fails while this file is invalid; it is machine-written: remove it")}
	}
	if err != nil {
		return ac, wrap(model.Pos{File: hostPath}, err.Error())
	}
	if line, col, deep := nestingTooDeep(data, MaxNesting); deep {
		return ac, wrap(model.Pos{File: hostPath, Line: line, Col: col}, fmt.Sprintf("nested more than %d levels deep", MaxNesting))
	}
	var conf struct {
		Aliases map[string]string `toml:"aliases"`
	}
	if _, err := toml.Decode(string(data), &conf); err != nil {
		pos := model.Pos{File: hostPath}
		var pe toml.ParseError
		if errors.As(err, &pe) {
			pos = locator{file: hostPath, data: data}.at(min(pe.Position.Start, len(data)))
		}
		return ac, wrap(pos, err.Error())
	}
	aliases, diags := parseAliases(conf.Aliases, locator{file: hostPath, data: data})
	if len(diags) > 0 {
		var msgs []string
		for _, d := range diags {
			msgs = append(msgs, strings.TrimPrefix(d.Message, "validating short-name aliases: "))
		}
		return ac, wrap(diags[0].Pos, strings.Join(msgs, "\n"))
	}
	ac.Aliases = aliases
	return ac, nil
}
