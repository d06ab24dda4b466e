package policyio

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"
)

// TestGrammarMatchesRegexps holds the hand-written matchers to the
// reference grammar's expressions on tricky cases and on many random
// strings over the alphabet that matters.
func TestGrammarMatchesRegexps(t *testing.T) {
	domainRx := regexp.MustCompile(`^` + domainRE + `$`)
	componentRx := regexp.MustCompile(`^` + pathComponent + `$`)
	cases := []string{
		"", "a", "A", "-", "a-", "-a", "a-b", "a--b", "a.b", "a..b", ".a", "a.", "a.b-c.d",
		"localhost", "localhost:5000", "localhost:", ":5000", "a:5x", "a:05", "a:1:2",
		"[::1]", "[::1]:5000", "[]", "[::1", "[::1]:", "[::1]]", "[fe80::1%eth0]", "[G::1]",
		"a_b", "a__b", "a___b", "a._b", "a.-b", "a-.b", "a---b", "a_", "_a", "ab.", "AB", "a\xffb",
		"registry.example.com", "registry.example.com:443", "ÿ.com", "a/b",
	}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "aZ09-._:[]/f\xff"
	for range 200000 {
		b := make([]byte, r.IntN(10))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := validDomain(s), domainRx.MatchString(s); got != want {
			t.Errorf("validDomain(%q) = %v, the grammar says %v", s, got, want)
		}
		if got, want := validPathComponent(s), componentRx.MatchString(s); got != want {
			t.Errorf("validPathComponent(%q) = %v, the grammar says %v", s, got, want)
		}
	}
}

// joinPath quotes plain scope names by hand; it must agree with strconv.
func TestPlainQuotableAgreesWithStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		b := make([]byte, r.IntN(8))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		s := string(b)
		if plainQuotable(s) && strconv.Quote(s) != `"`+s+`"` {
			t.Fatalf("plainQuotable(%q) but strconv quotes it as %s", s, strconv.Quote(s))
		}
	}
	if got := joinPath("transports.docker", `a"b`); got != `transports.docker["a\"b"]` {
		t.Errorf("joinPath with a quote: %s", got)
	}
}
