package policyio

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// cachePolicy renders scopes one per group of lines, as the writer does.
func cachePolicy(scopes ...string) string {
	return "{\n  \"default\": [{\"type\": \"reject\"}],\n  \"transports\": {\n    \"docker\": {\n" +
		strings.Join(scopes, ",\n") + "\n    }\n  }\n}\n"
}

// oneLinePolicy is cachePolicy as jq -c writes it: one line, no spaces.
func oneLinePolicy(scopes ...string) string {
	return `{"default":[{"type":"reject"}],"transports":{"docker":{` + strings.Join(scopes, ",") + "}}}"
}

func oneLineScope(name, reqs string) string { return fmt.Sprintf("%q:[%s]", name, reqs) }

func cacheScope(name, reqs string) string {
	return fmt.Sprintf("      %q: [\n        %s\n      ]", name, reqs)
}

// sameAsParsePolicy checks one parse through the cache against
// ParsePolicy of the same text and returns the scopes taken from the cache.
func sameAsParsePolicy(t *testing.T, c *ParseCache, file, text string) int {
	t.Helper()
	before := c.hits
	gotPol, gotDiags := c.Parse(file, []byte(text))
	wantPol, wantDiags := ParsePolicy(file, []byte(text))
	if !reflect.DeepEqual(gotDiags, wantDiags) {
		t.Fatalf("diagnostics differ for\n%s\ncache:\n%s\nParsePolicy:\n%s", text, dump(gotDiags), dump(wantDiags))
	}
	if (gotPol == nil) != (wantPol == nil) {
		t.Fatalf("policy: cache %v, ParsePolicy %v", gotPol != nil, wantPol != nil)
	}
	if gotPol != nil {
		if g, w := describePolicy(gotPol), describePolicy(wantPol); !reflect.DeepEqual(g, w) {
			t.Fatalf("policies differ for\n%s\ncache: %v\nParsePolicy: %v", text, g, w)
		}
	}
	return c.hits - before
}

// TestParseCacheMatchesParsePolicy: through a run of edits (a scope
// changed, scopes added above others so that they move, removed, a
// comment, a syntax error, another file label), the cache gives what
// ParsePolicy gives, positions, diagnostics and the cap included, and
// takes the unchanged scopes from the previous parse.
func TestParseCacheMatchesParsePolicy(t *testing.T) {
	const sig = `{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/gpg/k.gpg", "signedIdentity": {"type": "matchRepository"}}`
	a := cacheScope("a.example.com", sig)
	b := cacheScope("b.example.com/x", `{"type": "signedBy", "keyType": "GPGKey", "keyPaths": ["/k"], "keyPath": "/j"}`) // errors
	c := cacheScope("c.example.com:5000/", `{"type": "reject", "type": "reject"}`)                                       // invalid scope, duplicate key
	d := cacheScope("d.example.com", `{"type": "insecureAcceptAnything"}`)
	multi := "      \"e.example.com\": [\n        {\"type\": \"reject\"},\n\n        {\"type\": \"nope\"}\n      ]"
	var many []string
	for i := range MaxDiagnostics + 5 {
		many = append(many, cacheScope(fmt.Sprintf("m%d.example.com", i), `{"type": "signedBy"}`))
	}
	steps := []struct {
		name, file, text string
		minHits          int
	}{
		{"first parse", "p", cachePolicy(a, b, c, d), 0},
		{"same text", "p", cachePolicy(a, b, c, d), 4},
		// c's duplicate key has quick fixes, byte edits of the text: it
		// moved by bytes, so it is decoded again.
		{"one scope changed", "p", cachePolicy(a, cacheScope("b.example.com/x", sig), c, d), 2},
		{"scopes added above", "p", cachePolicy(multi, cacheScope("new.example.com", sig), a, b, c, d), 2},
		{"a scope removed", "p", cachePolicy(multi, a, c, d), 3},
		{"the last scope (no comma after it) moved up", "p", cachePolicy(multi, a, d, c), 2},
		{"a comment in a scope", "p", cachePolicy(multi, a, cacheScope("d.example.com", `/* c */ {"type": "reject"}`), c), 2},
		{"a comment between scopes: the full path", "p", cachePolicy(multi, a+" // c", c), 0},
		{"a syntax error", "p", cachePolicy(multi, cacheScope("a.example.com", `{"type": "reject"]`), c), 0},
		{"valid again", "p", cachePolicy(multi, a, c, d), 0},
		{"again", "p", cachePolicy(multi, a, c, d), 4},
		{"another file label", "q", cachePolicy(multi, a, c, d), 0},
		{"more problems than the cap", "q", cachePolicy(append([]string{a}, many...)...), 1},
		// Scopes decoded once the cap is reached are not remembered (their
		// problems were not all kept): only those before it come back; when
		// they move, only those without quick fixes (a).
		{"the cap, again", "q", cachePolicy(append([]string{a}, many...)...), 50},
		{"the cap, shifted", "q", cachePolicy(append([]string{multi, a}, many...)...), 1},
	}
	// One line, as jq -c writes a policy, and layouts mixed in one file:
	// a scope is taken from the cache by its own bytes, wherever they
	// moved on the line.
	oa, ob, oc, od := oneLineScope("a.example.com", sig), oneLineScope("b.example.com/x", `{"type":"signedBy","keyType":"GPGKey"}`),
		oneLineScope("c.example.com:5000/", `{"type":"reject","type":"reject"}`), oneLineScope("d.example.com", `{"type":"insecureAcceptAnything"}`)
	mixed := func(scopes ...string) string {
		return "{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": {" + strings.Join(scopes, ",\n\t") + "}}}"
	}
	steps = append(steps, []struct {
		name, file, text string
		minHits          int
	}{
		{"one line", "r", oneLinePolicy(oa, ob, oc, od), 0},
		{"one line, same text", "r", oneLinePolicy(oa, ob, oc, od), 4},
		// b is longer now: c (quick fixes) is decoded again, d moved
		// columns and comes from the cache.
		{"one line, one scope changed", "r", oneLinePolicy(oa, oneLineScope("b.example.com/x", `{"type":"reject"}`), oc, od), 2},
		{"one line, a scope added first", "r", oneLinePolicy(oneLineScope("new.example.com", sig), oa, oc, od), 2},
		{"one line, a scope removed", "r", oneLinePolicy(oa, oc, od), 2},
		{"one line, moved", "r", oneLinePolicy(od, oa, oc), 2},
		{"mixed layout", "s", mixed(oa, cacheScope("e.example.com", sig), ob, od), 0},
		{"mixed layout, a scope added in the middle", "s", mixed(oa, oneLineScope("f.example.com", sig), cacheScope("e.example.com", sig), ob, od), 3},
		{"mixed layout, the multi-line scope moved to the first line", "s", mixed(cacheScope("e.example.com", sig)+", "+oa, ob, od), 3},
	}...)
	cache := &ParseCache{}
	for _, s := range steps {
		hits := sameAsParsePolicy(t, cache, s.file, s.text)
		if hits < s.minHits {
			t.Fatalf("%s: %d scopes from the cache, want at least %d", s.name, hits, s.minHits)
		}
		if s.minHits == 0 && strings.Contains(s.name, "label") && hits != 0 {
			t.Fatalf("%s: %d scopes from the cache of another file", s.name, hits)
		}
	}
}

// FuzzParseCacheMatchesParsePolicy: whatever the previous text, a parse
// through the cache gives what ParsePolicy gives.
func FuzzParseCacheMatchesParsePolicy(f *testing.F) {
	seeds := lazySeeds()
	for i, s := range seeds {
		f.Add(s, seeds[(i+1)%len(seeds)])
		f.Add(s, s)
	}
	const sig = `{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"matchRepository"}}`
	bad := `{"type":"signedBy","keyType":"GPGKey","keyPaths":["/k"],"keyPath":"/j"}`
	one := oneLinePolicy(oneLineScope("a.example.com", sig), oneLineScope("b.example.com", bad), oneLineScope("c.example.com:5000/", `{"type":"reject","type":"reject"}`))
	moved := oneLinePolicy(oneLineScope("new.example.com", bad), oneLineScope("b.example.com", bad), oneLineScope("a.example.com", sig))
	mixed := "{\"default\":[{\"type\":\"reject\"}],\r\n \"transports\": {\"docker\": {" + cacheScope("a.example.com", sig) + ",\t" + oneLineScope("b.example.com", bad) + "}}}"
	for _, pair := range [][2]string{{one, moved}, {moved, one}, {one, mixed}, {mixed, one}, {mixed, strings.ReplaceAll(mixed, "\t", "\n\n")}} {
		f.Add([]byte(pair[0]), []byte(pair[1]))
	}
	f.Fuzz(func(t *testing.T, prev, next []byte) {
		c := &ParseCache{}
		c.Parse("p", prev)
		sameAsParsePolicy(t, c, "p", string(next))
		sameAsParsePolicy(t, c, "p", string(next))
	})
}
