package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func runEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	code := a.main(args)
	return code, out.String(), errb.String()
}

func firstNonASCII(s string) string {
	for _, l := range strings.Split(s, "\n") {
		for _, r := range l {
			if r >= utf8.RuneSelf {
				return l
			}
		}
	}
	return ""
}

// Under TERM=linux or --ascii, nothing imgtrust prints holds a rune the
// console font may lack: marks are spelt out, data is escaped.
func TestASCIIOutputEverywhere(t *testing.T) {
	guide, err := os.ReadFile("testdata/kios-guide-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.Replace(string(guide), `"reject"]]`, `"reject"}]`, 1)
	// A user's name with an accent in a scope: data, escaped.
	withData := strings.Replace(fixed, `"quay.io"`, `"quay.io/josé"`, 1)
	roots := map[string]string{
		"guide": scratchRoot(t, string(guide), nil),
		"fixed": scratchRoot(t, withData, nil),
		"signed": scratchRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:1":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}}}`,
			map[string]string{"etc/gpg/k.gpg": testPublicKey(t)}),
	}
	cmds := [][]string{
		{"lint", "--offline"}, {"show"}, {"keys", "list"}, {"lookaside", "list"},
		{"lookaside", "explain", "127.0.0.1:1/x:1"}, {"verify", "--timeout", "2s", "127.0.0.1:1/x:1"},
		{"policy", "set", "quay.io", "--reject", "--dry-run"},
		{"--help"}, {"lnt"},
	}
	for _, how := range []string{"TERM=linux", "--ascii"} {
		for name, root := range roots {
			for _, c := range cmds {
				args := append(append([]string{}, c...), "--root", root)
				env := map[string]string{"TERM": "xterm"}
				if how == "--ascii" {
					args = append([]string{"--ascii"}, args...)
				} else {
					env["TERM"] = "linux"
				}
				_, out, errs := runEnv(t, env, args...)
				if l := firstNonASCII(out + errs); l != "" {
					t.Errorf("%s %s %v: %q", how, name, c, l)
				}
			}
		}
	}
	// The data is kept, escaped; without TERM=linux it is printed as is.
	if _, out, _ := runEnv(t, map[string]string{"TERM": "linux"}, "show", "--root", roots["fixed"]); !strings.Contains(out, `quay.io/jos\u00e9`) {
		t.Errorf("the accent is lost:\n%s", out)
	}
	if _, out, _ := runEnv(t, map[string]string{"TERM": "xterm"}, "show", "--root", roots["fixed"]); !strings.Contains(out, "quay.io/josé") {
		t.Errorf("escaped on a terminal that has the glyph:\n%s", out)
	}
}

// The writer keeps a rune cut between two writes whole.
func TestASCIIWriterSplitRune(t *testing.T) {
	var b bytes.Buffer
	w := &asciiWriter{w: &b}
	s := []byte("a ✓ b é")
	for i := range s {
		w.Write(s[i : i+1])
	}
	w.Flush()
	if got := b.String(); got != `a ok b \u00e9` {
		t.Fatalf("got %q", got)
	}
}

// repeatedPrefix finds a line whose ": "-separated parts repeat one
// after the other ("could not finish: could not finish: ...").
func repeatedPrefix(s string) string {
	for _, l := range strings.Split(s, "\n") {
		parts := strings.Split(l, ": ")
		for i := 1; i < len(parts); i++ {
			if p := strings.TrimSpace(parts[i]); p != "" && p == strings.TrimSpace(parts[i-1]) {
				return l
			}
		}
		if strings.Count(l, "could not finish") > 1 {
			return l
		}
	}
	return ""
}

// Errors are prefixed once: a wrapped error does not say again what its
// wrapper said.
func TestErrorPrefixesNotRepeated(t *testing.T) {
	guide, err := os.ReadFile("testdata/kios-guide-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	broken := scratchRoot(t, string(guide), map[string]string{"etc/containers/registries.d/b.yaml": "docker: ["})
	signed := scratchRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:1":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}}}`,
		map[string]string{"etc/gpg/k.gpg": testPublicKey(t)})
	cases := [][]string{
		{"verify", "--timeout", "2s", "--root", signed, "127.0.0.1:1/x:1"},
		{"verify", "--root", signed, "127.0.0.1:1/x:1", "127.0.0.1:1/y:1"},
		{"verify", "--root", broken, "docker.io/library/busybox:1"},
		{"keys", "import", "--root", signed, "/nonexistent/key.asc"},
		{"keys", "remove", "--root", signed, "nothing.gpg"},
		{"lookaside", "set", "--root", broken, "x.example", "https://x.example"},
		{"policy", "set", "--root", broken, "example.com", "--reject"},
		{"show", "--root", broken},
		{"lint", "--root", "/nonexistent/root"},
	}
	for _, c := range cases {
		_, out, errs := run(t, c...)
		if l := repeatedPrefix(out + errs); l != "" {
			t.Errorf("%v: %q", c, l)
		}
	}
}
