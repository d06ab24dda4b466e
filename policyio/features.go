package policyio

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/runtimever"
	"github.com/tailscale/hujson"
)

// CheckPolicyFeatures reports the policy.json keys, requirement types and
// scopes that the node's containers/image release does not know. The
// library's parser is strict (signature/policy_config.go,
// policy_config_sigstore.go: every object goes through
// ParanoidUnmarshalJSONObject, which refuses an unknown key), so one such
// key makes the runtime refuse the whole file: an error when the version
// was read from the node, a warning when it is assumed. A file that does
// not parse gives nothing here: ParsePolicy already reports it.
func CheckPolicyFeatures(file string, data []byte, lib runtimever.Library) model.Diagnostics {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		data = append([]byte("   "), data[3:]...)
	}
	// Most policies use none of the features: the check then costs one
	// scan of the bytes instead of a parse (issue 15: lint and every
	// staged edit ran it over the whole file).
	if !mentionsFeature(data) {
		return nil
	}
	if jsonTooDeep(data, MaxJSONDepth) >= 0 {
		return nil
	}
	if diags, ok := checkFeaturesLazy(file, data, lib); ok {
		return diags
	}
	return checkFeaturesFull(file, data, lib)
}

// featureWords are the bytes every reported feature has in the file when
// it is written without escapes: the requirement types and keys the table
// names (the sigstore keys are only looked at under "sigstoreSigned"),
// and the opening of a wildcard scope's name.
var featureWords = [][]byte{[]byte("sigstoreSigned"), []byte("keyPaths"), []byte("remapIdentity"), []byte(`"*.`)}

// mentionsFeature reports whether data may hold a feature of the table: a
// string with an escape may spell one in any way, so a backslash anywhere
// counts as a mention.
func mentionsFeature(data []byte) bool {
	if bytes.IndexByte(data, '\\') >= 0 {
		return true
	}
	for _, w := range featureWords {
		if bytes.Contains(data, w) {
			return true
		}
	}
	return false
}

// checkFeaturesFull checks the whole file's hujson tree.
func checkFeaturesFull(file string, data []byte, lib runtimever.Library) model.Diagnostics {
	root, err := hujson.Parse(data)
	if err != nil {
		return nil
	}
	c := featureChecker{d: &jsonDecoder{file: file, src: data}, lib: lib}
	top, ok := root.Value.(*hujson.Object)
	if !ok {
		return nil
	}
	for i := range top.Members {
		m := &top.Members[i]
		switch name := litString(m.Name.Value); name {
		case "default":
			c.requirements(&m.Value, featurePath{})
		case "transports":
			c.transports(&m.Value)
		}
	}
	return c.d.diags
}

// checkFeaturesLazy is checkFeaturesFull one scope at a time, as the lazy
// parse reads a policy (skim.go): only one scope's tree is alive at once.
// It returns false when the file needs the full path.
func checkFeaturesLazy(file string, data []byte, lib runtimever.Library) (diags model.Diagnostics, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, fell := r.(skimFallback); !fell {
				panic(r)
			}
			diags, ok = nil, false
		}
	}()
	c := featureChecker{d: &jsonDecoder{file: file, src: data}, lib: lib}
	s := &skimmer{src: data}
	seen := map[string]bool{}
	s.object(func(name string, _ int) {
		if seen[name] {
			panic(skimFallback{})
		}
		seen[name] = true
		switch name {
		case "default":
			c.requirements(c.spanValue(s), featurePath{})
		case "transports":
			c.lazyTransports(s)
		default:
			// Not looked into, but parsed: a syntax error anywhere makes
			// the whole file unreadable, and the full path then reports
			// nothing (FuzzFeatureCheckMatchesFull found one in a key the
			// runtime does not know).
			c.spanValue(s)
		}
	})
	if s.ws(); s.i != len(data) {
		panic(skimFallback{})
	}
	return c.d.diags, true
}

// lazyTransports checks the "transports" object the skimmer is at.
func (c *featureChecker) lazyTransports(s *skimmer) {
	if !s.peek('{') {
		panic(skimFallback{})
	}
	seen := map[string]bool{}
	s.object(func(tname string, _ int) {
		if seen[tname] || !s.peek('{') {
			panic(skimFallback{})
		}
		seen[tname] = true
		scopes := map[string]bool{}
		s.object(func(scope string, off int) {
			if scopes[scope] {
				panic(skimFallback{})
			}
			scopes[scope] = true
			c.scope(tname, scope, off, c.spanValue(s))
		})
	})
}

// spanValue parses the value the skimmer is at, with the file's offsets.
func (c *featureChecker) spanValue(s *skimmer) *hujson.Value {
	start, end := s.value()
	v, err := hujson.Parse(s.src[start:end])
	if err != nil {
		panic(skimFallback{})
	}
	shiftOffsets(&v, start)
	return &v
}

// featurePath is where a requirement list is, turned into the
// diagnostic's path only when one is reported: most scopes have none.
type featurePath struct {
	transport, scope string // empty transport: "default"
}

func (p featurePath) String() string {
	if p.transport == "" {
		return "default"
	}
	return joinPath(joinPath("transports", p.transport), p.scope)
}

// featureAt is where a feature is in a requirement list: the list itself
// (index < 0: a scope's name), a requirement, one of its members, or a
// member's member. Like featurePath it is only turned into text when the
// feature is reported: building the path of every member of every
// signedBy requirement was 5 MB of allocations at 10,000 scopes.
type featureAt struct {
	list        featurePath
	index       int
	member, sub string
}

func (a featureAt) String() string {
	if a.index < 0 {
		return a.list.String()
	}
	p := fmt.Sprintf("%s[%d]", a.list, a.index)
	if a.member != "" {
		p = joinPath(p, a.member)
	}
	if a.sub != "" {
		p = joinPath(p, a.sub)
	}
	return p
}

type featureChecker struct {
	d   *jsonDecoder
	lib runtimever.Library
}

func (c *featureChecker) transports(v *hujson.Value) {
	ts, ok := v.Value.(*hujson.Object)
	if !ok {
		return
	}
	for i := range ts.Members {
		t := &ts.Members[i]
		tname := litString(t.Name.Value)
		scopes, ok := t.Value.Value.(*hujson.Object)
		if !ok {
			continue
		}
		for j := range scopes.Members {
			s := &scopes.Members[j]
			c.scope(tname, litString(s.Name.Value), s.Name.StartOffset, &s.Value)
		}
	}
}

// scope checks one scope's name and requirement list.
func (c *featureChecker) scope(tname, scope string, nameOff int, v *hujson.Value) {
	at := featurePath{transport: tname, scope: scope}
	if tname == "docker" && strings.HasPrefix(scope, "*.") {
		c.need(runtimever.WildcardScope, nameOff, featureAt{list: at, index: -1}, scope)
	}
	c.requirements(v, at)
}

func (c *featureChecker) requirements(v *hujson.Value, at featurePath) {
	arr, ok := v.Value.(*hujson.Array)
	if !ok {
		return
	}
	for i := range arr.Elements {
		c.requirement(&arr.Elements[i], at, i)
	}
}

// requirement checks one requirement object by its type: the keys each
// type's parser accepts changed over time (newPolicyRequirementFromJSON
// and the per-type UnmarshalJSON in signature/policy_config*.go).
func (c *featureChecker) requirement(v *hujson.Value, at featurePath, index int) {
	obj, ok := v.Value.(*hujson.Object)
	if !ok {
		return
	}
	typ := ""
	for i := range obj.Members {
		if litString(obj.Members[i].Name.Value) == "type" {
			if lit, ok := obj.Members[i].Value.Value.(hujson.Literal); ok && lit.Kind() == '"' {
				typ = lit.String()
			}
		}
	}
	if typ != "sigstoreSigned" && typ != "signedBy" {
		return
	}
	if typ == "sigstoreSigned" {
		c.need(runtimever.SigstoreSigned, v.StartOffset, featureAt{list: at, index: index, member: "type"}, "sigstoreSigned")
	}
	for i := range obj.Members {
		m := &obj.Members[i]
		name := litString(m.Name.Value)
		mpath := featureAt{list: at, index: index, member: name}
		switch {
		case name == "signedIdentity":
			c.identity(&m.Value, mpath)
		case typ == "signedBy" && name == "keyPaths":
			c.need(runtimever.SignedByKeyPaths, m.Name.StartOffset, mpath, name)
		case typ == "sigstoreSigned":
			switch name {
			case "keyPaths", "keyDatas":
				c.need(runtimever.SigstoreKeyPaths, m.Name.StartOffset, mpath, name)
			case "fulcio":
				c.need(runtimever.SigstoreFulcio, m.Name.StartOffset, mpath, name)
				c.fulcio(&m.Value, mpath)
			case "rekorPublicKeyPath", "rekorPublicKeyData":
				c.need(runtimever.SigstoreRekorKey, m.Name.StartOffset, mpath, name)
			case "rekorPublicKeyPaths", "rekorPublicKeyDatas":
				c.need(runtimever.SigstoreRekorKeys, m.Name.StartOffset, mpath, name)
			case "pki":
				c.need(runtimever.SigstorePKI, m.Name.StartOffset, mpath, name)
			}
		}
	}
}

func (c *featureChecker) fulcio(v *hujson.Value, path featureAt) {
	obj, ok := v.Value.(*hujson.Object)
	if !ok {
		return
	}
	for i := range obj.Members {
		m := &obj.Members[i]
		if name := litString(m.Name.Value); name == "buildSignerURI" {
			path.sub = name
			c.need(runtimever.FulcioBuildSignerURI, m.Name.StartOffset, path, name)
		}
	}
}

func (c *featureChecker) identity(v *hujson.Value, path featureAt) {
	obj, ok := v.Value.(*hujson.Object)
	if !ok {
		return
	}
	for i := range obj.Members {
		m := &obj.Members[i]
		if litString(m.Name.Value) != "type" {
			continue
		}
		if lit, ok := m.Value.Value.(hujson.Literal); ok && lit.Kind() == '"' && lit.String() == "remapIdentity" {
			path.sub = "type"
			c.need(runtimever.RemapIdentity, m.Value.StartOffset, path, "remapIdentity")
		}
	}
}

// need reports what at off when the library lacks feature id.
func (c *featureChecker) need(id string, off int, at featureAt, what string) {
	f, ok := runtimever.Lookup(id)
	if !ok || c.lib.HasFeature(f) {
		return
	}
	sev := model.Error
	if f.Kind == runtimever.PolicyScope || c.lib.Assumed {
		sev = model.Warning
	}
	msg := fmt.Sprintf("%q needs containers/image %s; the node's runtime has %s, which %s",
		what, f.SinceText(), c.lib.Version, before(f, what))
	if f.Since == "" {
		msg = fmt.Sprintf("%q is in no containers/image release up to %s (main branch only); the node's runtime has %s, which %s",
			what, runtimever.Checked, c.lib.Version, before(f, what))
	}
	if c.lib.Assumed {
		msg += " (" + c.lib.Basis + ")"
	}
	c.d.report(problem{sev: sev, code: "runtime-version", off: off, path: at.String(), msg: msg,
		fix: featureFix(f, c.lib), runtime: runtimeText(f, what)})
}

// runtimeText is the old parser's own error for a policy.json feature
// (signature/policy_config.go of v5.21: newPolicyRequirementFromJSON,
// newPolicyReferenceMatchFromJSON; signature/json.go: Unknown key).
func runtimeText(f runtimever.Feature, what string) string {
	switch {
	case f.Kind != runtimever.PolicyKey:
		return ""
	case f.ID == runtimever.SigstoreSigned:
		return fmt.Sprintf("Unknown policy requirement type %q", what)
	case f.ID == runtimever.RemapIdentity:
		return fmt.Sprintf("Unknown policy reference match type %q", what)
	}
	return fmt.Sprintf("Unknown key %q", what)
}

func featureFix(f runtimever.Feature, lib runtimever.Library) string {
	var how string
	switch f.ID {
	case runtimever.SignedByKeyPaths:
		how = `use one "keyPath" per signedBy requirement (the list of requirements under a scope is AND; to trust either key, put both keys into one keyring file)`
	case runtimever.SigstoreKeyPaths:
		how = `use one "keyPath" or "keyData" per sigstoreSigned requirement`
	case runtimever.SigstoreRekorKeys:
		how = `use one "rekorPublicKeyPath" or "rekorPublicKeyData"`
	case runtimever.FulcioBuildSignerURI:
		how = `match the signer with "subjectEmail" instead`
	case runtimever.WildcardScope:
		how = "name each registry's scope in full"
	case runtimever.SigstoreSigned, runtimever.SigstoreFulcio, runtimever.SigstoreRekorKey, runtimever.SigstorePKI:
		how = "this node cannot verify such signatures: use signedBy with GPG keys"
	default:
		how = "remove it"
	}
	if lib.Assumed {
		return how + "; or tell imgtrust the runtime's version with --runtime-version"
	}
	return how + "; or upgrade the runtime to a release with containers/image " + orMain(f.Since)
}

func orMain(since string) string {
	if since == "" {
		return "newer than " + runtimever.Checked
	}
	return since + " or later"
}

// before is what an older release does, naming the key found.
func before(f runtimever.Feature, what string) string {
	if rt := runtimeText(f, what); rt != "" {
		return "refuses the file: " + rt
	}
	return f.Before
}
