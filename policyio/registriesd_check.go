package policyio

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
)

// LookasideURLProblem says why the runtime cannot read signatures from u,
// or "" when it can: containers/image parses the URL (net/url) and reads
// only the http, https and file schemes (docker/registries_d.go,
// lookaside.go: "Unsupported scheme when reading signature"). Forms use
// it so that they accept exactly what lint accepts.
func LookasideURLProblem(u string) string {
	if u == "" {
		return "give an https://, http:// or file:// URL"
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return fmt.Sprintf("not a valid URL: %v", err)
	}
	switch parsed.Scheme {
	case "http", "https", "file":
		return ""
	}
	return "the runtime only reads http(s):// and file:// look-asides"
}

// CheckLookasides reports look-aside settings the runtime accepts but an
// admin should know about: plain http, file:// paths missing on the node,
// staging URLs on a node, sections for registries the policy never asks
// signatures for, and signedBy scopes without a look-aside. pol may be nil.
func CheckLookasides(rd *RegistriesD, pol *model.Policy, paths node.Paths) model.Diagnostics {
	var c LookasideChecker
	return c.Check(rd, pol, paths)
}

// LookasideChecker is CheckLookasides keeping the words of each scope's
// "signed-without-lookaside" warning for its next check: the TUI checks
// every scope again on each staged edit, and the names stay (building the
// words was most of the check at 10,000 scopes, issue 15). The zero value
// is ready; it is not safe for concurrent use.
type LookasideChecker struct {
	words map[string]lookasideWords
}

type lookasideWords struct{ message, fix string }

// missingWords is the warning's message and fix for scope.
func (c *LookasideChecker) missingWords(scope string) lookasideWords {
	if w, ok := c.words[scope]; ok {
		return w
	}
	w := lookasideWords{
		message: "docker scope " + quote(scope) + " requires signatures, but registries.d names no look-aside for it: the runtime only looks in " + model.BuiltinLookaside + " (and the registry, if it serves signatures itself)",
		fix:     "add one: imgtrust lookaside set " + scope + " https://lookaside.example.com",
	}
	if c.words == nil {
		c.words = map[string]lookasideWords{}
	}
	c.words[scope] = w
	return w
}

// Check is CheckLookasides.
func (c *LookasideChecker) Check(rd *RegistriesD, pol *model.Policy, paths node.Paths) model.Diagnostics {
	var out model.Diagnostics
	all := append([]*model.LookasideEntry{}, rd.Entries...)
	if rd.Default != nil {
		all = append(all, rd.Default)
	}
	for _, e := range all {
		for _, u := range []struct{ key, val string }{{"lookaside", e.Lookaside}, {"sigstore", e.Sigstore}} {
			if u.val == "" {
				continue
			}
			parsed, err := url.Parse(u.val)
			if err != nil {
				continue // reported by the loader
			}
			switch parsed.Scheme {
			case "http":
				out = append(out, model.Diagnostic{Severity: model.Warning, Code: "lookaside-http", Pos: e.Pos,
					Message: fmt.Sprintf("%s: %s %s is plain http: signatures are signed, but anyone on the path can withhold them or watch which images the node pulls", e.Scope, u.key, u.val),
					Fix:     "serve the look-aside over https"})
			case "file":
				if _, err := paths.FS().Stat(paths.Host(parsed.Path)); err != nil {
					out = append(out, model.Diagnostic{Severity: model.Warning, Code: "lookaside-file-missing", Pos: e.Pos,
						Message: fmt.Sprintf("%s: %s %s does not exist on the node: every signature lookup finds nothing", e.Scope, u.key, u.val),
						Fix:     "create the directory or fix the path"})
				}
			case "https":
			default:
				// The runtime reads the signatures on every pull, even
				// under insecureAcceptAnything, and fails on this URL:
				// a configuration error for every image it covers.
				sev, effect := model.Warning, "it is not read (lookaside wins), but would fail every pull"
				if u.val == e.ReadURL() {
					sev, effect = model.Error, "every pull through it fails, even under insecureAcceptAnything"
				}
				out = append(out, model.Diagnostic{Severity: sev, Code: "lookaside-scheme", Pos: e.Pos,
					Message: fmt.Sprintf("%s: %s %q has no http, https or file scheme: %s (Unsupported scheme when reading signature)", e.Scope, u.key, u.val, effect),
					Fix:     "write a full URL such as https://lookaside.example.com"})
			}
		}
		if e.LookasideStaging != "" || e.SigstoreStaging != "" {
			out = append(out, model.Diagnostic{Severity: model.Info, Code: "lookaside-staging", Pos: e.Pos,
				Message: fmt.Sprintf("%s: lookaside-staging is only used when signing; a node never writes signatures", e.Scope),
				Fix:     "remove it from the node's registries.d"})
		}
	}
	if pol == nil {
		return out
	}
	docker := pol.Transport(model.TransportDocker)
	signed := func(s *model.Scope) bool { return Strength(s.Requirements) == StrengthSigned }
	defaultSigned := Strength(pol.Default) == StrengthSigned
	var signedScopes map[string]bool // only when an entry needs it
	for _, e := range rd.Entries {
		if defaultSigned || e.ReadURL() == "" || strings.HasPrefix(e.Scope, "*.") || !ReadableScheme(e.ReadURL()) {
			continue
		}
		if signedScopes == nil {
			signedScopes = map[string]bool{}
			if docker != nil {
				for _, s := range docker.Scopes {
					if signed(s) {
						signedScopes[s.Name] = true
					}
				}
			}
		}
		if !coveredBySigned(e.Scope, signedScopes, docker) {
			out = append(out, model.Diagnostic{Severity: model.Info, Code: "lookaside-unused", Pos: e.Pos,
				Message: fmt.Sprintf("%s: the policy requires no signatures for these images, so this look-aside is never consulted for a decision", e.Scope)})
		}
	}
	urls := entryURLs(rd)
	// In file order, each scope name once, at its first scope: a staged
	// edit of a large policy runs this over every scope, so no map of
	// names and no fmt (issue 15).
	var repeated map[string]bool
	namesRepeat := docker.NamesRepeat()
	var missing []*model.Scope // each with the first scope of its name
	for _, s := range scopesOf(docker) {
		if s.Name == "" || strings.HasPrefix(s.Name, "*.") || !signed(s) {
			continue
		}
		first := s
		if namesRepeat {
			first = docker.Scope(s.Name)
		}
		if first != s {
			// A later scope of a repeated name: said once, at the first.
			if signed(first) || repeated[s.Name] {
				continue
			}
			if repeated == nil {
				repeated = map[string]bool{}
			}
			repeated[s.Name] = true
		}
		if lookasideForScope(rd, urls, s.Name) == "" {
			missing = append(missing, first)
		}
	}
	out = slices.Grow(out, len(missing))
	for _, s := range missing {
		w := c.missingWords(s.Name)
		out = append(out, model.Diagnostic{Severity: model.Warning, Code: "signed-without-lookaside", Pos: s.Pos, Message: w.message, Fix: w.fix})
	}
	if len(c.words) > 2*len(missing)+64 {
		c.words = nil // names of scopes long gone: start again
	}
	if docker != nil {
		for _, s := range docker.Scopes {
			if s.Name == "" || strings.HasPrefix(s.Name, "*.") || !hasSigstoreSigned(s.Requirements) || attachmentsForScope(rd, s.Name) {
				continue
			}
			out = append(out, model.Diagnostic{Severity: model.Warning, Code: "sigstore-without-attachments", Pos: s.Pos,
				Message: fmt.Sprintf("docker scope %q requires sigstore signatures, but registries.d does not set use-sigstore-attachments for it: the runtime never reads cosign signatures from the registry, so every pull here fails unless the look-aside serves sigstore signatures", s.Name),
				Fix:     fmt.Sprintf("add use-sigstore-attachments: true to the docker: %s section (or default-docker:) in registries.d", s.Name)})
		}
	}
	return out
}

// ReadableScheme reports whether the runtime can read signatures from a
// look-aside URL: http, https or file. Any other scheme, or none, fails
// every pull through it.
func ReadableScheme(u string) bool {
	parsed, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch parsed.Scheme {
	case "http", "https", "file":
		return true
	}
	return false
}

func hasSigstoreSigned(reqs model.Requirements) bool {
	for _, r := range reqs {
		if r.Type == model.SigstoreSigned {
			return true
		}
	}
	return false
}

// attachmentsForScope resolves use-sigstore-attachments for images under
// scope as LookasideFor does.
func attachmentsForScope(rd *RegistriesD, scope string) bool {
	return rd.matchSections(append([]string{scope}, DockerScopeParents(scope)...)).UseSigstoreAttachments
}

// coveredBySigned reports whether images under a registries.d scope are
// decided by a signed policy scope: the same scope, one below it, or the
// nearest one above it.
// quote is strconv.Quote without its work for a name that needs no escape.
func quote(s string) string {
	if plainQuotable(s) {
		return `"` + s + `"`
	}
	return strconv.Quote(s)
}

func scopesOf(t *model.Transport) []*model.Scope {
	if t == nil {
		return nil
	}
	return t.Scopes
}

func coveredBySigned(scope string, signed map[string]bool, docker *model.Transport) bool {
	if signed[scope] {
		return true
	}
	for s := range signed {
		if strings.HasPrefix(s, scope+"/") {
			return true
		}
	}
	for _, parent := range DockerScopeParents(scope) {
		if docker.Scope(parent) != nil {
			return signed[parent]
		}
	}
	return false
}

// entryURLs maps each registries.d scope to its read URL ("" when it has
// none), so that a policy of many scopes looks each parent up once.
func entryURLs(rd *RegistriesD) map[string]string {
	out := make(map[string]string, len(rd.Entries))
	for _, e := range rd.Entries {
		if _, seen := out[e.Scope]; !seen { // the first entry wins, as in Entry
			out[e.Scope] = e.ReadURL()
		}
	}
	return out
}

// lookasideForScope is the read URL the runtime would use for images
// directly in a policy scope, "" for the built-in default; urls is
// entryURLs(rd).
func lookasideForScope(rd *RegistriesD, urls map[string]string, scope string) string {
	if len(urls) > 0 {
		if u := urls[scope]; u != "" {
			return u
		}
		found := ""
		eachDockerScopeParent(scope, true, func(s string) bool {
			found = urls[s]
			return found == ""
		})
		if found != "" {
			return found
		}
	}
	if rd.Default != nil {
		return rd.Default.ReadURL()
	}
	return ""
}
