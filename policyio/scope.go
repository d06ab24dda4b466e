package policyio

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/model"
	"github.com/opencontainers/go-digest"
)

// checkScope reports a scope its transport refuses (an Error: containers/
// image then says `Unknown key "<scope>"`) and, for docker, a scope that is
// accepted but can never match an image (a Warning).
func (d *jsonDecoder) checkScope(transport string, m member, path string) {
	tgt := &model.Target{List: model.ScopeRef{Transport: transport, Scope: m.name}, Requirement: -1}
	if m.name == "" {
		return // the transport default: never validated
	}
	if msg, fix := ScopeProblem(transport, m.name); msg != "" {
		d.report(problem{
			sev: model.Error, code: "invalid-scope", off: m.nameOff, path: path, target: tgt,
			msg: msg, fix: fix,
			runtime: fmt.Sprintf("Unknown key %q", m.name),
		})
		return
	}
	if transport == model.TransportDocker {
		if msg, fix, repl := DockerScopeWarning(m.name); msg != "" {
			d.report(problem{
				sev: model.Warning, code: "scope-never-matches", off: m.nameOff, path: path, target: tgt,
				msg: msg, fix: fix, repl: repl,
			})
		}
	}
}

var atomicScopeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[^/]*(/[^:/]*(/[^:/]*(:[^:/]*)?)?)?$`) })

// ScopeProblem returns why transport refuses scope, or "" when it is
// accepted. It mirrors each transport's ValidatePolicyConfigurationScope.
func ScopeProblem(transport, scope string) (msg, fix string) {
	if scope == "" {
		return "", ""
	}
	switch transport {
	case "dir", "oci", "oci-archive", "sif":
		switch {
		case !strings.HasPrefix(scope, "/"):
			return fmt.Sprintf("%s scope %q is not an absolute path", transport, scope), "write an absolute path such as /var/lib/images"
		case scope == "/":
			return fmt.Sprintf("%s scope \"/\" is not allowed", transport), `use "" for the whole transport`
		case filepath.Clean(scope) != scope:
			return fmt.Sprintf("%s scope %q is not a clean path", transport, scope), fmt.Sprintf("write %q", filepath.Clean(scope))
		}
	case "docker-archive", "tarball":
		return fmt.Sprintf("%s has no scopes other than \"\"", transport), `use the scope ""`
	case "docker-daemon":
		if _, err := digest.Parse(scope); err == nil {
			return fmt.Sprintf("docker-daemon scope %q is an image ID, which cannot be a scope", scope), "use a repository name"
		}
	case "atomic":
		if !atomicScopeRE().MatchString(scope) {
			return fmt.Sprintf("atomic scope %q is not host[/namespace[/stream[:tag]]]", scope), ""
		}
	case "containers-storage":
		return containersStorageScopeProblem(scope)
	}
	return "", ""
}

func containersStorageScopeProblem(scope string) (string, string) {
	const fix = "write [driver@/var/lib/containers/storage]name:tag or [/var/lib/containers/storage]"
	if !strings.HasPrefix(scope, "[") {
		return fmt.Sprintf("containers-storage scope %q does not start with [store]", scope), fix
	}
	end := strings.Index(scope, "]")
	if end < 1 {
		return fmt.Sprintf("containers-storage scope %q has no closing ]", scope), fix
	}
	store := scope[1:end]
	if at := strings.Index(store, "@"); at >= 0 {
		store = store[at+1:]
	}
	if !filepath.IsAbs(store) {
		return fmt.Sprintf("containers-storage scope %q: the store root must be an absolute path", scope), fix
	}
	return "", ""
}

// DockerScopeWarning explains a docker scope that the runtime accepts but
// that can never equal one of the names it generates for an image, with a
// corrected scope when one is obvious.
func DockerScopeWarning(scope string) (msg, fix, repl string) {
	if scope == "" {
		return "", "", "" // the transport's default: it matches every image the transport has no scope for
	}
	never := func(why string) string {
		return fmt.Sprintf("docker scope %q never matches any image: %s", scope, why)
	}
	if i := strings.Index(scope, "://"); i >= 0 {
		s := strings.TrimSuffix(scope[i+3:], "/")
		return never("scopes have no URL scheme"), fmt.Sprintf("write %q", s), s
	}
	if strings.HasSuffix(scope, "/") {
		s := strings.TrimSuffix(scope, "/")
		return never("it ends with /"), fmt.Sprintf("write %q", s), s
	}
	if strings.HasPrefix(scope, "*.") {
		rest := scope[2:]
		switch {
		case strings.ContainsAny(rest, "/:"):
			return never("a wildcard scope is a bare domain, without port or path"), "write *.example.com; put paths and ports in separate scopes", ""
		case strings.Contains(rest, "*") || !validDomain(rest):
			return never("after *. must come a domain such as example.com"), "", ""
		}
		return "", "", ""
	}
	if strings.Contains(scope, "*") {
		return never("the only wildcard form is a leading *. (e.g. *.example.com)"), "", ""
	}
	host, rest, hasPath := strings.Cut(scope, "/")
	isHost := strings.ContainsAny(host, ".:") || host == "localhost"
	if !hasPath {
		if isHost && validDomain(host) {
			return "", "", ""
		}
		norm := normalizedName(scope)
		if norm != "" {
			return never("without a registry host it is not a name the runtime generates (Docker Hub images are docker.io/library/NAME)"), fmt.Sprintf("write %q", norm), norm
		}
		return never("it is not a registry host"), "", ""
	}
	if !isHost {
		if norm := normalizedName(scope); norm != "" {
			return never("the first part is not a registry host"), fmt.Sprintf("write %q", norm), norm
		}
		return never("the first part is not a registry host"), "", ""
	}
	if host == "index.docker.io" {
		s := "docker.io/" + rest
		return never("the runtime names Docker Hub docker.io"), fmt.Sprintf("write %q", s), s
	}
	if !validDomain(host) {
		return never(fmt.Sprintf("%q is not a valid registry host", host)), "", ""
	}
	return dockerPathWarning(scope, host, rest)
}

var tagRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w][\w.-]{0,127}$`) })

// dockerPathWarning checks the path of a namespace, repository or full
// reference scope component by component; only the last one may carry a
// tag or digest.
func dockerPathWarning(scope, host, rest string) (msg, fix, repl string) {
	never := func(why string) string {
		return fmt.Sprintf("docker scope %q never matches any image: %s", scope, why)
	}
	parts := strings.Split(rest, "/")
	last := parts[len(parts)-1]
	var tag, dgst string
	if i := strings.Index(last, "@"); i >= 0 {
		last, dgst = last[:i], last[i+1:]
	}
	if i := strings.Index(last, ":"); i >= 0 {
		last, tag = last[:i], last[i+1:]
	}
	parts[len(parts)-1] = last
	for _, p := range parts {
		if !validPathComponent(p) {
			lower := strings.ToLower(p)
			if validPathComponent(lower) {
				s := strings.Replace(scope, p, lower, 1)
				return never("repository paths are lower case"), fmt.Sprintf("write %q", s), s
			}
			return never(fmt.Sprintf("%q is not a valid repository path component", p)), "", ""
		}
	}
	if dgst != "" {
		if _, err := digest.Parse(dgst); err != nil {
			return never("invalid digest: " + err.Error()), "", ""
		}
		if tag != "" {
			s := strings.Replace(scope, ":"+tag+"@", "@", 1)
			return never("the docker transport refuses references with both a tag and a digest"), fmt.Sprintf("write %q", s), s
		}
	}
	if tag != "" && !tagRE().MatchString(tag) {
		return never(fmt.Sprintf("%q is not a valid tag", tag)), "", ""
	}
	if host == "docker.io" && len(parts) == 1 && last != "library" {
		s := "docker.io/library/" + rest
		if tag != "" || dgst != "" {
			return never("Docker Hub official images are named docker.io/library/NAME"), fmt.Sprintf("write %q", s), s
		}
		return fmt.Sprintf("docker scope %q matches only images of the Docker Hub user %q, not the official image %q", scope, last, "docker.io/library/"+last),
			fmt.Sprintf("for the official image write %q", s), ""
	}
	return "", "", ""
}

// normalizedName returns the fully expanded form of s when s parses as a
// familiar reference, or "".
func normalizedName(s string) string {
	ref, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return ""
	}
	return ref.String()
}
