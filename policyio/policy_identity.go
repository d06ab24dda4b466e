package policyio

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/model"
	"github.com/tailscale/hujson"
)

func identityTypeNames() []string {
	out := make([]string, len(model.IdentityTypes))
	for i, t := range model.IdentityTypes {
		out[i] = string(t)
	}
	return out
}

func (d *jsonDecoder) identity(v *hujson.Value, path string, tgt *model.Target) *model.Identity {
	switch v.Value.Kind() {
	case 'n':
		d.unknownIdentityType(v.StartOffset, path, "", tgt)
		return nil
	case '{':
	default:
		d.report(problem{
			sev: model.Error, code: "wrong-type", off: v.StartOffset, path: path, target: tgt,
			msg:     fmt.Sprintf("%s must be an object such as {\"type\": \"matchRepository\"}, not %s", path, kindName(v)),
			runtime: fmt.Sprintf("json: cannot unmarshal %s into Go value of type signature.prmCommon", kindName(v)),
		})
		return nil
	}
	var mbuf [4]member
	members, _ := d.objectInto(mbuf[:0], v, path, tgt, nil)
	id := &model.Identity{Pos: d.pos(v.StartOffset)}
	fields := fieldList(members)
	tv, ok := fields.get("type")
	if !ok || tv.Value.Kind() != '"' {
		off := v.StartOffset
		if ok {
			off = tv.StartOffset
		}
		d.unknownIdentityType(off, path, "", tgt)
		return nil
	}
	id.Type = intern(model.IdentityType(litString(tv.Value)), model.IdentityTypes)
	keys, known := identityKeys[id.Type]
	if !known {
		d.unknownIdentityType(tv.StartOffset, path+".type", string(id.Type), tgt)
		return nil
	}
	for _, m := range members {
		if !contains(keys, m.name) {
			d.unknownKey(m, path, keys, tgt, "")
		}
	}
	for _, k := range keys {
		mv, ok := fields.get(k)
		if !ok {
			d.report(problem{
				sev: model.Error, code: "missing-key", off: v.StartOffset, path: path, target: tgt,
				msg:     fmt.Sprintf("%s needs %q", id.Type, k),
				fix:     identityExample(id.Type),
				runtime: fmt.Sprintf("Key %q missing in a JSON object", k),
			})
			continue
		}
		if k == "type" {
			continue
		}
		s, good := d.str(mv, path+"."+k, tgt)
		if !good {
			continue
		}
		if f, ok := lookupField(identityFields, k); ok {
			*f.str(id) = s
		}
		if msg, runtime, fix := checkIdentityValue(id.Type, k, s); msg != "" {
			d.report(problem{
				sev: model.Error, code: "bad-identity-value", off: mv.StartOffset, path: path + "." + k, target: tgt,
				msg: msg, fix: fix, runtime: runtime,
			})
		}
	}
	return id
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func identityExample(t model.IdentityType) string {
	switch t {
	case model.ExactReference:
		return `e.g. {"type": "exactReference", "dockerReference": "registry.example.com/app:1.0"}`
	case model.ExactRepository:
		return `e.g. {"type": "exactRepository", "dockerRepository": "registry.example.com/app"}`
	case model.RemapIdentity:
		return `e.g. {"type": "remapIdentity", "prefix": "mirror.example.com", "signedPrefix": "registry.example.com"}`
	}
	return ""
}

func (d *jsonDecoder) unknownIdentityType(off int, path, got string, tgt *model.Target) {
	fix := "identity types: " + strings.Join(identityTypeNames(), ", ") + `; or leave "signedIdentity" out for matchRepoDigestOrExact`
	repl := ""
	if s := suggest(got, identityTypeNames()); s != "" && got != "" {
		fix = fmt.Sprintf("did you mean %q? (%s)", s, model.IdentityType(s).Explain())
		repl = s
	}
	msg := fmt.Sprintf("unknown identity type %q", got)
	if got == "" {
		msg = "the identity has no \"type\""
	}
	d.report(problem{
		sev: model.Error, code: "unknown-identity-type", off: off, path: path, target: tgt,
		msg: msg, fix: fix, repl: repl,
		runtime: fmt.Sprintf("Unknown policy reference match type %q", got),
	})
}

// CheckIdentity validates the values of an identity as the runtime does;
// it returns "" when they are valid. The TUI uses it for live validation.
func CheckIdentity(id model.Identity) (problem string) {
	for _, f := range identityFields {
		if !contains(identityKeys[id.Type], f.name) {
			continue
		}
		if msg, _, _ := checkIdentityValue(id.Type, f.name, *f.str(&id)); msg != "" {
			return msg
		}
	}
	return ""
}

// checkIdentityValue mirrors newPRMExactReference, newPRMExactRepository
// and validateIdentityRemappingPrefix.
func checkIdentityValue(t model.IdentityType, key, s string) (msg, runtime, fix string) {
	switch key {
	case "dockerReference":
		ref, err := reference.ParseNormalizedNamed(s)
		if err != nil {
			return fmt.Sprintf("dockerReference %q is not a valid image reference: %v", s, err),
				fmt.Sprintf("Invalid format of dockerReference %q: %v", s, err), "write a full reference such as registry.example.com/app:1.0"
		}
		_, tagged := ref.(reference.Tagged)
		_, digested := ref.(reference.Digested)
		if !tagged && !digested {
			return fmt.Sprintf("dockerReference %q has neither a tag nor a digest", s),
				fmt.Sprintf("dockerReference %q contains neither a tag nor digest", s),
				"add :TAG or @sha256:DIGEST, or use exactRepository to accept any tag"
		}
	case "dockerRepository":
		if _, err := reference.ParseNormalizedNamed(s); err != nil {
			return fmt.Sprintf("dockerRepository %q is not a valid repository: %v", s, err),
				fmt.Sprintf("Invalid format of dockerRepository %q: %v", s, err), "write a repository such as registry.example.com/app"
		}
	case "prefix", "signedPrefix":
		if !ValidRemapPrefix(s) {
			return fmt.Sprintf("%s %q is not valid: it must be a host[:port] or host[:port]/path with no tag, digest or trailing slash", key, s),
				fmt.Sprintf("prefix %q is not valid", s), "e.g. mirror.example.com or mirror.example.com:5000/team"
		}
	}
	return "", "", ""
}

// The reference grammar pieces validateIdentityRemappingPrefix uses;
// constants, so that no init builds them.
const (
	domainComponent = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	ipv6Host        = `\[(?:[a-fA-F0-9:]+)\]`
	domainRE        = `(?:` + domainComponent + `(?:\.` + domainComponent + `)*|` + ipv6Host + `)(?::[0-9]+)?`
	pathComponent   = `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
	nameRE          = `(?:` + domainRE + `/)?` + pathComponent + `(?:/` + pathComponent + `)*`
)

// The regular expressions are compiled on first use: most commands never
// validate a remapIdentity prefix.
var (
	anchoredName         = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^` + nameRE + `$`) })
	anchoredDomainPrefix = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^` + domainRE + `/`) })
)

// ValidRemapPrefix reports whether s is a valid remapIdentity prefix.
func ValidRemapPrefix(s string) bool {
	if validDomain(s) {
		return true
	}
	return anchoredName().MatchString(s) && anchoredDomainPrefix().MatchString(s)
}
