package registriesconf

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

// Find returns the entry with the longest prefix matching ref (a
// registry, a repository or a full reference, starting with the host),
// or nil (system_registries_v2.go: findRegistryWithParsedConfig).
func (c *Config) Find(ref string) *Registry {
	if c == nil {
		return nil
	}
	var best *Registry
	for i := range c.Registries {
		r := &c.Registries[i]
		if matchingPrefix(ref, r.Prefix) != -1 && (best == nil || len(r.Prefix) > len(best.Prefix)) {
			best = r
		}
	}
	return best
}

// matchingPrefix is refMatchingPrefix: the length of the match, or -1.
// "example.com:5000" matches the prefix "example.com" as in the library
// (documented there as unintended, but that is what the node does).
func matchingPrefix(ref, prefix string) int {
	switch {
	case strings.HasPrefix(prefix, "*."):
		return matchingSubdomain(ref, prefix)
	case len(ref) < len(prefix):
		return -1
	case len(ref) == len(prefix):
		if ref == prefix {
			return len(prefix)
		}
		return -1
	}
	if !strings.HasPrefix(ref, prefix) {
		return -1
	}
	switch ref[len(prefix)] {
	case ':', '/', '@':
		return len(prefix)
	}
	return -1
}

// matchingSubdomain is refMatchingSubdomainPrefix for "*.example.com".
func matchingSubdomain(ref, prefix string) int {
	i := strings.Index(ref, prefix[1:])
	if i == -1 || strings.Contains(ref[:i], "/") {
		return -1
	}
	i += len(prefix) - 1
	if i == len(ref) {
		return i
	}
	switch ref[i] {
	case ':', '/', '@':
		return i
	}
	return -1
}

// Source is one place a pull tries: a mirror or the primary, with the
// reference rewritten to it (sysregistriesv2.PullSource).
type Source struct {
	Endpoint  Endpoint
	Reference reference.Named
	Mirror    bool
}

// Skipped is a mirror not tried for this reference, and why.
type Skipped struct {
	Location string
	Why      string
}

// PullSources lists where a pull of ref goes, in order: the mirrors the
// reference may use, then the primary (Registry.PullSourcesFromReference).
// A nil registry is the primary alone, as docker_image_src.go's
// newImageSource builds it when no entry matches.
func (r *Registry) PullSources(ref reference.Named) ([]Source, []Skipped, error) {
	if r == nil {
		return []Source{{Endpoint: Endpoint{Location: ref.Name()}, Reference: ref}}, nil, nil
	}
	_, digested := ref.(reference.Canonical)
	var eps []Endpoint
	var skipped []Skipped
	for _, m := range r.Mirrors {
		switch {
		case r.MirrorByDigestOnly && !digested:
			skipped = append(skipped, Skipped{m.Location, "mirror-by-digest-only is set and the reference has no digest"})
		case !r.MirrorByDigestOnly && m.PullFromMirror == MirrorByDigestOnly && !digested:
			skipped = append(skipped, Skipped{m.Location, "pull-from-mirror = \"digest-only\" and the reference has no digest"})
		case !r.MirrorByDigestOnly && m.PullFromMirror == MirrorByTagOnly && digested:
			skipped = append(skipped, Skipped{m.Location, "pull-from-mirror = \"tag-only\" and the reference has a digest"})
		default:
			eps = append(eps, m)
		}
	}
	n := len(eps)
	eps = append(eps, r.Endpoint)
	out := make([]Source, 0, len(eps))
	for i, ep := range eps {
		rw, err := ep.rewrite(ref, r.Prefix)
		if err != nil {
			return nil, skipped, err
		}
		out = append(out, Source{Endpoint: ep, Reference: rw, Mirror: i < n})
	}
	return out, skipped, nil
}

// rewrite is Endpoint.rewriteReference: the matched prefix of ref
// replaced by the endpoint's location.
func (e Endpoint) rewrite(ref reference.Named, prefix string) (reference.Named, error) {
	s := ref.String()
	n := matchingPrefix(s, prefix)
	if n == -1 {
		return nil, fmt.Errorf("invalid prefix '%v' for reference '%v'", prefix, s)
	}
	if e.Location == "" {
		if !strings.HasPrefix(prefix, "*.") {
			return nil, fmt.Errorf("invalid prefix '%v' for empty location, should be in the format: *.example.com", prefix)
		}
		return ref, nil
	}
	out, err := reference.ParseNamed(e.Location + s[n:])
	if err != nil {
		return nil, fmt.Errorf("rewriting reference: %w", err)
	}
	return out, nil
}

// BlockedError is a pull source the configuration blocks.
type BlockedError struct {
	Prefix, Conf, Dir string
}

func (e *BlockedError) Error() string {
	// docker_client.go: newDockerClient, word for word.
	return fmt.Sprintf("registry %s is blocked in %s or %s", e.Prefix, e.Conf, e.Dir)
}

// Blocked reports whether the runtime refuses to contact the source:
// newDockerClient looks up the entry of the source's own repository (so
// a mirror is blocked only by an entry of its own, never by its
// primary's) and fails when it is blocked.
func (c *Config) Blocked(physical reference.Named) *BlockedError {
	r := c.Find(physical.Name())
	if r == nil || !r.Blocked {
		return nil
	}
	return &BlockedError{Prefix: r.Prefix, Conf: c.NodeConf, Dir: c.NodeDir}
}

// Insecure is whether the runtime skips TLS verification (and allows
// plain http) for the source: the endpoint's own setting
// (newImageSourceAttempt sets InsecureSkipVerify from it).
func (s Source) Insecure() bool { return s.Endpoint.Insecure }

// AnyInsecure reports whether some endpoint is marked insecure.
func (c *Config) AnyInsecure() bool {
	if c == nil {
		return false
	}
	for _, r := range c.Registries {
		if r.Insecure {
			return true
		}
		for _, m := range r.Mirrors {
			if m.Insecure {
				return true
			}
		}
	}
	return false
}
