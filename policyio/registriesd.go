package policyio

//lint:file-ignore ST1005 error texts are containers/image's own wording, which admins search for; they are kept word for word

import (
	_ "crypto/sha512" // registers sha512 digests, as containers/image does
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/runtimever"
	"github.com/kios/imgtrust/safefile"
	"github.com/opencontainers/go-digest"
	"gopkg.in/yaml.v3"
)

// RegistriesD is the merged look-aside configuration of a registries.d
// directory, as containers/image reads it (docker/registries_d.go), with
// the YAML trees kept for comment-preserving edits.
type RegistriesD struct {
	Dir     string
	FS      nodefs.FS // the node Dir belongs to; edits are written through it
	Files   []*RegistriesFile
	Entries []*model.LookasideEntry // docker scopes, in file then document order
	Default *model.LookasideEntry   // default-docker, nil if absent
}

// RegistriesFile is one *.yaml file of the directory.
type RegistriesFile struct {
	Path   string
	Raw    []byte
	SHA256 string
	Root   *yaml.Node // the document; nil when it could not be parsed
}

var sectionKeys = []string{"lookaside", "lookaside-staging", "sigstore", "sigstore-staging", "use-sigstore-attachments"}

// LoadRegistriesD reads every file of dir that containers/image would read
// (names ending in .yaml) and merges them with the runtime's rules. A
// missing directory is an empty configuration. Errors are what makes the
// runtime fail every pull; warnings are what it silently ignores.
func LoadRegistriesD(dir string) (*RegistriesD, model.Diagnostics) {
	return LoadRegistriesDFor(nodefs.FS{}, dir, RegistriesRuntime{})
}

// LoadRegistriesDFrom is LoadRegistriesD for the node mounted at node
// (node.Paths.FS): the directory and each file resolve inside the node's root,
// and each file is read as a bounded regular file.
func LoadRegistriesDFrom(node nodefs.FS, dir string) (*RegistriesD, model.Diagnostics) {
	return LoadRegistriesDFor(node, dir, RegistriesRuntime{})
}

// RegistriesRuntime is what of the node's runtime changes how registries.d
// is read.
type RegistriesRuntime struct {
	// SkipYAMLDirectories: containers/image v5.41 and later skip a
	// directory whose name ends in .yaml; older versions fail on it (every
	// pull fails).
	SkipYAMLDirectories bool
	// Basis says what the setting rests on (the runtime binary's version,
	// or an assumption), for the messages.
	Basis string
	// RefuseRegistriesConfV1 and its basis: containers/image v5.40 and
	// later refuse a v1 registries.conf (read by registriesconf).
	RefuseRegistriesConfV1 bool
	RegistriesConfV1Basis  string
	// Library is the runtime's containers/image release, against which
	// policy.json's keys are checked (CheckPolicyFeatures); the zero value
	// checks nothing.
	Library runtimever.Library
}

// LoadRegistriesDFor is LoadRegistriesDFrom for a runtime whose reading
// rules are known.
func LoadRegistriesDFor(node nodefs.FS, dir string, rt RegistriesRuntime) (*RegistriesD, model.Diagnostics) {
	return LoadRegistriesDOverlay(node, dir, rt, nil)
}

// LoadRegistriesDOverlay is LoadRegistriesDFor with staged content:
// overlay maps a file's path (as under dir) to the text a change set or an
// editor's staged buffer would write there, nil for a file it would
// remove; a path not in the directory is a new file. The result is what
// the runtime would read once the change is written, so that staged text
// is checked with the merge rules of the whole directory before it is
// written, and several staged edits build on each other.
func LoadRegistriesDOverlay(node nodefs.FS, dir string, rt RegistriesRuntime, overlay map[string][]byte) (*RegistriesD, model.Diagnostics) {
	if rt.Basis == "" {
		rt.Basis = "the runtime's containers/image version is not known: assuming one before v5.41"
	}
	rd := &RegistriesD{Dir: dir, FS: node}
	var diags model.Diagnostics
	entries, err := node.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) && len(overlay) == 0 {
		return rd, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rd, model.Diagnostics{{Severity: model.Error, Code: "registriesd-unreadable", Pos: model.Pos{File: dir}, Message: err.Error()}}
	}
	var names []string
	seen := map[string]bool{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		seen[e.Name()] = true
		if data, staged := overlay[filepath.Join(dir, e.Name())]; staged {
			if data != nil {
				names = append(names, e.Name())
			}
			continue
		}
		path := filepath.Join(dir, e.Name())
		// The entry's own type, as containers/image v5.41+ checks it: a
		// symbolic link to a directory is read, and fails, everywhere.
		if e.IsDir() {
			if rt.SkipYAMLDirectories {
				diags = append(diags, model.Diagnostic{Severity: model.Warning, Code: "registriesd-yaml-directory", Pos: model.Pos{File: path},
					Message: fmt.Sprintf("%s is a directory: this runtime skips it (%s), but containers/image before v5.41 fails every pull on it", path, rt.Basis),
					Fix:     "rename or remove it"})
			} else {
				diags = append(diags, model.Diagnostic{Severity: model.Error, Code: "registriesd-yaml-directory", Pos: model.Pos{File: path},
					Message: fmt.Sprintf("%s is a directory: containers/image before v5.41 fails to read registries.d, so every pull fails (%s; v5.41 and later skip it)", path, rt.Basis),
					Fix:     "rename or remove it",
					Runtime: "read " + path + ": is a directory"})
			}
			continue
		}
		names = append(names, e.Name())
	}
	for path, data := range overlay {
		if name := filepath.Base(path); data != nil && filepath.Dir(path) == filepath.Clean(dir) && !seen[name] {
			names = append(names, name)
		}
	}
	// The runtime reads in directory order; sorting makes our messages
	// stable without changing any verdict.
	sort.Strings(names)
	defined := map[string]*model.LookasideEntry{}
	for _, name := range names {
		path := filepath.Join(dir, name)
		var f *RegistriesFile
		var fd model.Diagnostics
		if text, staged := overlay[path]; staged {
			f, fd = parseRegistriesText(path, text)
		} else {
			f, fd = parseRegistriesFile(node, path)
		}
		diags = append(diags, fd...)
		if f == nil {
			continue
		}
		rd.Files = append(rd.Files, f)
		def, scoped, ed := sections(f)
		diags = append(diags, ed...)
		if def != nil {
			if rd.Default != nil {
				diags = append(diags, mergeConflict(def, rd.Default, `"default-docker" defined both in %q and %q`))
			} else {
				rd.Default = def
			}
		}
		for _, e := range scoped {
			if prev, dup := defined[e.Scope]; dup {
				diags = append(diags, mergeConflict(e, prev, `"docker" namespace "`+e.Scope+`" defined both in %q and %q`))
				continue
			}
			defined[e.Scope] = e
			rd.Entries = append(rd.Entries, e)
		}
	}
	return rd, diags
}

func mergeConflict(e, prev *model.LookasideEntry, format string) model.Diagnostic {
	msg := fmt.Sprintf(format, prev.File, e.File)
	rel := prev.Pos
	return model.Diagnostic{
		Severity: model.Error, Code: "registriesd-conflict", Pos: e.Pos, Related: &rel,
		Message: msg + ": a section may be defined in one file only",
		Fix:     "keep the section in one of the two files",
		Runtime: "Error parsing signature storage configuration: " + msg,
	}
}

var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`line (\d+)`) })

func parseRegistriesFile(node nodefs.FS, path string) (*RegistriesFile, model.Diagnostics) {
	raw, err := node.ReadFile(path, nodefs.RegistriesDFile)
	if err != nil {
		return nil, model.Diagnostics{{Severity: model.Error, Code: "registriesd-unreadable", Pos: model.Pos{File: path}, Message: err.Error(),
			Runtime: "parsing " + path + ": " + err.Error()}}
	}
	return parseRegistriesText(path, raw)
}

// parseRegistriesText parses one file's text, as read or as staged.
func parseRegistriesText(path string, raw []byte) (*RegistriesFile, model.Diagnostics) {
	f := &RegistriesFile{Path: path, Raw: raw, SHA256: safefile.SHA256(raw)}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		pos := model.Pos{File: path}
		if m := yamlLineRE().FindStringSubmatch(err.Error()); m != nil {
			pos.Line, _ = strconv.Atoi(m[1])
			pos.Col = 1
		}
		fix := "fix the YAML syntax (indent with spaces, not tabs)"
		return f, model.Diagnostics{{Severity: model.Error, Code: "registriesd-yaml", Pos: pos, Message: "YAML syntax error: " + err.Error(), Fix: fix,
			Runtime: "parsing " + path + ": " + err.Error()}}
	}
	f.Root = &doc
	return f, nil
}

func nodePos(file string, n *yaml.Node) model.Pos {
	return model.Pos{File: file, Line: n.Line, Col: n.Column}
}

// sections decodes one file's default-docker and docker scopes.
func sections(f *RegistriesFile) (def *model.LookasideEntry, scoped []*model.LookasideEntry, diags model.Diagnostics) {
	if f.Root == nil || len(f.Root.Content) == 0 {
		return nil, nil, nil // empty file
	}
	top := f.Root.Content[0]
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return nil, nil, nil
	}
	if usesAliases(f.Root) {
		def, scoped, diags = aliasedSections(f, top)
		if diags.HasErrors() {
			return def, scoped, diags
		}
		// The keys written out that the runtime ignores are still worth
		// a warning; a merge key is not one of them.
		_, _, walked := sectionsAsWritten(f, top)
		for _, d := range walked {
			if d.Code == "registriesd-unknown-key" && d.Message != unknownKeyMessage("<<") {
				diags = append(diags, d)
			}
		}
		return def, scoped, diags
	}
	return sectionsAsWritten(f, top)
}

// sectionsAsWritten walks the tree of a file without aliases, so that
// each value has its own node and position.
func sectionsAsWritten(f *RegistriesFile, top *yaml.Node) (def *model.LookasideEntry, scoped []*model.LookasideEntry, diags model.Diagnostics) {
	if top.Kind != yaml.MappingNode {
		return nil, nil, model.Diagnostics{{Severity: model.Error, Code: "registriesd-not-mapping", Pos: nodePos(f.Path, top),
			Message: "the file must be a YAML mapping with docker: and/or default-docker:",
			Runtime: fmt.Sprintf("parsing %s: yaml: unmarshal errors: cannot unmarshal %s into docker.registryConfiguration", f.Path, top.Tag)}}
	}
	diags = append(diags, duplicateKeys(f.Path, top)...)
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch k.Value {
		case model.DefaultDockerScope:
			if v.Tag == "!!null" {
				continue // an empty default-docker counts as absent
			}
			e, d := section(f.Path, model.DefaultDockerScope, k, v)
			diags = append(diags, d...)
			def = e
		case "docker":
			if v.Tag == "!!null" {
				continue
			}
			if v.Kind != yaml.MappingNode {
				diags = append(diags, model.Diagnostic{Severity: model.Error, Code: "registriesd-not-mapping", Pos: nodePos(f.Path, v),
					Message: "docker: must map scopes to sections", Runtime: "cannot unmarshal " + v.Tag + " into map"})
				continue
			}
			diags = append(diags, duplicateKeys(f.Path, v)...)
			for j := 0; j+1 < len(v.Content); j += 2 {
				e, d := section(f.Path, v.Content[j].Value, v.Content[j], v.Content[j+1])
				diags = append(diags, d...)
				if e != nil {
					scoped = append(scoped, e)
				}
			}
		default:
			diags = append(diags, unknownYAMLKey(f.Path, k, []string{"docker", model.DefaultDockerScope}))
		}
	}
	return def, scoped, diags
}

// usesAliases reports whether the document holds an alias (*name) or a
// merge key (<<). The walk below reads the tree as written, where an
// alias is a node of its own: the runtime's decoder (yaml.v3 into its
// structs) follows aliases and merges, so a file that uses them is read
// through that decoder instead. The walk visits the tree as parsed (no
// alias is followed), whose depth the parser bounds.
func usesAliases(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!merge" {
		return true
	}
	for _, c := range n.Content {
		if usesAliases(c) {
			return true
		}
	}
	return false
}

// runtimeRegistries is containers/image's registryConfiguration
// (docker/registries_d.go), decoded as the runtime decodes it.
type runtimeRegistries struct {
	DefaultDocker *runtimeNamespace           `yaml:"default-docker"`
	Docker        map[string]runtimeNamespace `yaml:"docker"`
}

type runtimeNamespace struct {
	Lookaside              string `yaml:"lookaside"`
	LookasideStaging       string `yaml:"lookaside-staging"`
	SigStore               string `yaml:"sigstore"`
	SigStoreStaging        string `yaml:"sigstore-staging"`
	UseSigstoreAttachments *bool  `yaml:"use-sigstore-attachments,omitempty"`
}

// aliasedSections reads a file that uses aliases or merge keys with the
// runtime's own decoder, so that what imgtrust shows is what the runtime
// reads: yaml.v3 refuses an anchor that contains itself and excessive
// aliasing (every pull fails), and follows the rest. Positions are those
// of the section's key where it is written out, else of the file's top.
func aliasedSections(f *RegistriesFile, top *yaml.Node) (def *model.LookasideEntry, scoped []*model.LookasideEntry, diags model.Diagnostics) {
	var rc runtimeRegistries
	if err := yaml.Unmarshal(f.Raw, &rc); err != nil {
		return nil, nil, model.Diagnostics{{Severity: model.Error, Code: "registriesd-yaml", Pos: nodePos(f.Path, top),
			Message: "the runtime cannot decode this file (it uses YAML aliases or merge keys): " + err.Error(),
			Fix:     "write the values out instead of using anchors, aliases and merge keys",
			Runtime: "parsing " + f.Path + ": " + err.Error()}}
	}
	keyPos := map[string]model.Pos{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == model.DefaultDockerScope {
			keyPos["\x00default"] = nodePos(f.Path, k)
		}
		if k.Kind == yaml.ScalarNode && k.Value == "docker" && v.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(v.Content); j += 2 {
				if sk := v.Content[j]; sk.Kind == yaml.ScalarNode {
					keyPos[sk.Value] = nodePos(f.Path, sk)
				}
			}
		}
	}
	entry := func(scope, posKey string, ns runtimeNamespace) *model.LookasideEntry {
		pos, ok := keyPos[posKey]
		if !ok {
			pos = nodePos(f.Path, top)
		}
		e := &model.LookasideEntry{Scope: scope, File: f.Path, Pos: pos, Lookaside: ns.Lookaside, LookasideStaging: ns.LookasideStaging,
			Sigstore: ns.SigStore, SigstoreStaging: ns.SigStoreStaging, UseSigstoreAttachments: ns.UseSigstoreAttachments}
		for _, u := range []struct{ key, val string }{{"lookaside", ns.Lookaside}, {"lookaside-staging", ns.LookasideStaging},
			{"sigstore", ns.SigStore}, {"sigstore-staging", ns.SigStoreStaging}} {
			if u.val == "" {
				continue
			}
			if _, err := url.Parse(u.val); err != nil {
				diags = append(diags, model.Diagnostic{Severity: model.Error, Code: "registriesd-bad-url", Pos: pos,
					Message: fmt.Sprintf("%s of %q is not a valid URL: %v", u.key, scope, err), Runtime: fmt.Sprintf("Invalid signature storage URL %s: %v", u.val, err)})
			}
		}
		return e
	}
	if rc.DefaultDocker != nil {
		def = entry(model.DefaultDockerScope, "\x00default", *rc.DefaultDocker)
	}
	for scope, ns := range rc.Docker {
		scoped = append(scoped, entry(scope, scope, ns))
	}
	// The decoder's map has no order: document order where the key is
	// written out, then by name.
	sort.Slice(scoped, func(i, j int) bool {
		a, b := scoped[i].Pos, scoped[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return scoped[i].Scope < scoped[j].Scope
	})
	return def, scoped, diags
}

func unknownYAMLKey(file string, k *yaml.Node, allowed []string) model.Diagnostic {
	fix := "allowed keys here: " + strings.Join(allowed, ", ")
	repl := ""
	if s := suggest(k.Value, allowed); s != "" {
		fix, repl = fmt.Sprintf("did you mean %q?", s), s
	}
	return model.Diagnostic{Severity: model.Warning, Code: "registriesd-unknown-key", Pos: nodePos(file, k),
		Message: unknownKeyMessage(k.Value), Fix: fix, Replacement: repl}
}

func unknownKeyMessage(key string) string {
	return fmt.Sprintf("unknown key %q: containers/image silently ignores it", key)
}

func duplicateKeys(file string, m *yaml.Node) model.Diagnostics {
	var out model.Diagnostics
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if prev, dup := seen[k.Value]; dup {
			rel := nodePos(file, prev)
			out = append(out, model.Diagnostic{Severity: model.Error, Code: "registriesd-duplicate-key", Pos: nodePos(file, k), Related: &rel,
				Message: fmt.Sprintf("mapping key %q already defined at line %d", k.Value, prev.Line),
				Fix:     "keep one", Runtime: fmt.Sprintf("parsing %s: yaml: unmarshal errors:\n  line %d: mapping key %q already defined at line %d", file, k.Line, k.Value, prev.Line)})
			continue
		}
		seen[k.Value] = k
	}
	return out
}

func section(file, scope string, k, v *yaml.Node) (*model.LookasideEntry, model.Diagnostics) {
	e := &model.LookasideEntry{Scope: scope, File: file, Pos: nodePos(file, k)}
	if v.Tag == "!!null" {
		return e, nil // a null section registers the scope, empty
	}
	if v.Kind != yaml.MappingNode {
		return nil, model.Diagnostics{{Severity: model.Error, Code: "registriesd-not-mapping", Pos: nodePos(file, v),
			Message: fmt.Sprintf("section %q must be a mapping of lookaside:, lookaside-staging:, use-sigstore-attachments:", scope),
			Runtime: "cannot unmarshal " + v.Tag + " into docker.registryNamespace"}}
	}
	diags := duplicateKeys(file, v)
	for i := 0; i+1 < len(v.Content); i += 2 {
		key, val := v.Content[i], v.Content[i+1]
		switch key.Value {
		case "lookaside", "lookaside-staging", "sigstore", "sigstore-staging":
			if val.Kind != yaml.ScalarNode {
				diags = append(diags, model.Diagnostic{Severity: model.Error, Code: "registriesd-type", Pos: nodePos(file, val),
					Message: key.Value + " must be a URL string", Runtime: "cannot unmarshal " + val.Tag + " into string"})
				continue
			}
			s := val.Value
			if val.Tag == "!!null" {
				s = ""
			}
			switch key.Value {
			case "lookaside":
				e.Lookaside = s
			case "lookaside-staging":
				e.LookasideStaging = s
			case "sigstore":
				e.Sigstore = s
			case "sigstore-staging":
				e.SigstoreStaging = s
			}
			if s != "" {
				if _, err := url.Parse(s); err != nil {
					diags = append(diags, model.Diagnostic{Severity: model.Error, Code: "registriesd-bad-url", Pos: nodePos(file, val),
						Message: fmt.Sprintf("%s is not a valid URL: %v", key.Value, err), Runtime: fmt.Sprintf("Invalid signature storage URL %s: %v", s, err)})
				}
			}
		case "use-sigstore-attachments":
			var b bool
			if err := val.Decode(&b); err != nil {
				diags = append(diags, model.Diagnostic{Severity: model.Error, Code: "registriesd-type", Pos: nodePos(file, val),
					Message: "use-sigstore-attachments must be true or false", Runtime: err.Error()})
				continue
			}
			e.UseSigstoreAttachments = &b
		default:
			diags = append(diags, unknownYAMLKey(file, key, sectionKeys))
		}
	}
	return e, diags
}

// Entry returns the section for scope (DefaultDockerScope for the
// default), or nil.
func (rd *RegistriesD) Entry(scope string) *model.LookasideEntry {
	if scope == model.DefaultDockerScope {
		return rd.Default
	}
	for _, e := range rd.Entries {
		if e.Scope == scope {
			return e
		}
	}
	return nil
}

// LookasideMatch says where the runtime reads an image's signatures.
type LookasideMatch struct {
	// Scope of the section whose URL applies; "" for the built-in default.
	Scope string    `json:"scope"`
	Pos   model.Pos `json:"pos"`
	// BaseURL is the look-aside base (never empty: the built-in default).
	BaseURL                string   `json:"base_url"`
	UseSigstoreAttachments bool     `json:"use_sigstore_attachments"`
	Tried                  []string `json:"tried"`
	Why                    string   `json:"why"`
}

// DockerIdentity is the policy identity of a docker reference:
// name:tag or name@digest, as docker/policyconfiguration/naming.go makes it.
func DockerIdentity(ref reference.Named) string {
	if d, ok := ref.(reference.Digested); ok {
		return ref.Name() + "@" + d.Digest().String()
	}
	if t, ok := ref.(reference.Tagged); ok {
		return ref.Name() + ":" + t.Tag()
	}
	return ref.Name() + ":latest"
}

// LookasideFor chooses the look-aside for ref as signatureTopLevel does:
// the identity, each namespace (incl. *. wildcards), default-docker; a
// section without a read URL is skipped; then the built-in default. The
// use-sigstore-attachments flag is resolved separately, the first section
// that sets it deciding.
func (rd *RegistriesD) LookasideFor(ref reference.Named) LookasideMatch {
	id := DockerIdentity(ref)
	m := rd.matchSections(append([]string{id}, DockerScopeParents(id)...))
	switch {
	case m.Scope == model.DefaultDockerScope:
		m.Why = fmt.Sprintf("no section for %s or its namespaces has a look-aside; default-docker applies (%s)", id, m.Pos)
	case m.Scope != "":
		m.Why = fmt.Sprintf("the most specific section with a look-aside is %q (%s)", m.Scope, m.Pos)
	default:
		m.BaseURL = model.BuiltinLookaside
		m.Why = "registries.d names no look-aside for this image: the runtime reads the built-in default " + model.BuiltinLookaside
	}
	return m
}

// matchSections walks the sections named in order, then default-docker:
// the first with a read URL gives the look-aside, the first that sets
// use-sigstore-attachments decides that flag.
func (rd *RegistriesD) matchSections(order []string) LookasideMatch {
	m := LookasideMatch{}
	attachDecided := false
	consider := func(e *model.LookasideEntry) {
		if e == nil {
			return
		}
		if !attachDecided && e.UseSigstoreAttachments != nil {
			m.UseSigstoreAttachments, attachDecided = *e.UseSigstoreAttachments, true
		}
		if m.BaseURL == "" && e.ReadURL() != "" {
			m.BaseURL, m.Scope, m.Pos = e.ReadURL(), e.Scope, e.Pos
		}
	}
	for _, s := range order {
		m.Tried = append(m.Tried, s)
		consider(rd.Entry(s))
	}
	m.Tried = append(m.Tried, model.DefaultDockerScope)
	consider(rd.Default)
	return m
}

// SignatureURL is the URL of signature n (1-based) of the manifest dgst
// under baseURL, byte for byte as lookasideStorageURL builds it: the
// repository path without host is appended to the base path, then
// "@algo=hex/signature-n"; the base's query and fragment stay at the end.
func SignatureURL(baseURL string, ref reference.Named, dgst digest.Digest, n int) (string, error) {
	if err := dgst.Validate(); err != nil {
		return "", fmt.Errorf("invalid manifest digest %q: %w", dgst, err)
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("Invalid signature storage URL %s: %w", baseURL, err)
	}
	u.Path = u.Path + "/" + reference.Path(ref) + "@" + dgst.Algorithm().String() + "=" + dgst.Encoded() + "/signature-" + strconv.Itoa(n)
	u.RawPath = ""
	return u.String(), nil
}
