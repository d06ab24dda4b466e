package main

import (
	"flag"
	"strings"
	"testing"
)

func TestTakesValueFollowsTheFlagSet(t *testing.T) {
	fs := globalFlagSet()
	tests := []struct {
		arg  string
		want bool
	}{
		{"--root", true}, {"-root", true}, {"--policy", true}, {"--registries.d", true}, {"--keys-dir", true}, {"--mechanism", true}, {"--runtime-version", true}, {"--registries-conf", true},
		{"--root=/host", false},               // the value is in the argument
		{"--json", false}, {"--ascii", false}, // booleans
		{"--tls-verify", false}, {"--frob", false}, // not global
	}
	for _, tt := range tests {
		if got := takesValue(fs, tt.arg); got != tt.want {
			t.Errorf("takesValue(%q) = %v, want %v", tt.arg, got, tt.want)
		}
	}
	// Every global flag that is not a boolean takes a value: nothing to
	// keep in step by hand when one is added.
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		if takesValue(fs, "--"+f.Name) {
			n++
		}
	})
	if n != 8 {
		t.Errorf("%d global flags take a value, want 8", n)
	}
}

func TestSplitVerb(t *testing.T) {
	tests := []struct {
		args []string
		verb string
		rest []string
		ok   bool
	}{
		{[]string{"list"}, "list", []string{}, true},
		{[]string{"--root", "/host", "show", "k.gpg"}, "show", []string{"--root", "/host", "k.gpg"}, true},
		{[]string{"--json", "list"}, "list", []string{"--json"}, true},
		{[]string{"--root=/host", "list", "--json"}, "list", []string{"--root=/host", "--json"}, true},
		{[]string{"--root", "list"}, "", nil, false}, // "list" is --root's value
		{nil, "", nil, false},
	}
	for _, tt := range tests {
		verb, rest, ok := splitVerb(tt.args)
		if verb != tt.verb || ok != tt.ok || strings.Join(rest, " ") != strings.Join(tt.rest, " ") {
			t.Errorf("splitVerb(%q) = %q %q %v, want %q %q %v", tt.args, verb, rest, ok, tt.verb, tt.rest, tt.ok)
		}
	}
}

func TestVerbDispatch(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, nil)
	tests := []struct {
		args []string
		code int
		out  string // in stdout+stderr
	}{
		{[]string{"keys"}, exitUsage, "usage: imgtrust keys list"},
		{[]string{"keys", "help"}, exitOK, "usage: imgtrust keys list"},
		{[]string{"keys", "frob"}, exitUsage, `imgtrust keys: unknown subcommand "frob"`},
		{[]string{"keys", "show"}, exitUsage, "usage: imgtrust keys"},
		{[]string{"keys", "show", "a", "b"}, exitUsage, `unexpected argument "b"`},
		{[]string{"keys", "list", "--name", "x"}, exitUsage, "unknown flag --name (see --help)"},
		{[]string{"lookaside", "help"}, exitOK, "usage: imgtrust lookaside list"},
		{[]string{"lookaside", "frob"}, exitUsage, `imgtrust lookaside: unknown subcommand "frob"`},
		{[]string{"lookaside", "set", "example.com"}, exitUsage, "usage: imgtrust lookaside"},
		{[]string{"lookaside", "explain", "--count", "1"}, exitUsage, "usage: imgtrust lookaside"},
		{[]string{"lookaside", "remove", "--staging", "never.example"}, exitFindings, "never.example"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errs := run(t, append([]string{"--root", root}, tt.args...)...)
			if code != tt.code || !strings.Contains(out+errs, tt.out) {
				t.Errorf("exit %d (want %d), output lacks %q:\n%s%s", code, tt.code, tt.out, out, errs)
			}
		})
	}
}
