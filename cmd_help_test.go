package main

import (
	"flag"
	"strings"
	"testing"
)

// Every command and verb answers --help on stdout with exit 0, listing each
// of its own flags with its description.
func TestHelpOfEverySubcommand(t *testing.T) {
	type sub struct {
		args  []string
		flags []string // flags (beyond the global ones) the help must describe
	}
	subs := []sub{
		{[]string{"lint"}, nil},
		{[]string{"show"}, nil},
		{[]string{"verify"}, []string{"tls-verify", "authfile", "creds", "platform", "from", "jobs", "timeout"}},
		{[]string{"demo"}, []string{"keep", "serve"}},
		{[]string{"tui"}, []string{"tls-verify"}},
	}
	for _, v := range keysVerbs() {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		v.setup(fs, &globalFlags{})
		var own []string
		fs.VisitAll(func(f *flag.Flag) { own = append(own, f.Name) })
		subs = append(subs, sub{[]string{"keys", v.name}, own})
	}
	for _, v := range lookasideVerbs() {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		v.setup(fs, &globalFlags{})
		var own []string
		fs.VisitAll(func(f *flag.Flag) { own = append(own, f.Name) })
		subs = append(subs, sub{[]string{"lookaside", v.name}, own})
	}
	for _, s := range subs {
		for _, h := range []string{"--help", "-h"} {
			args := append(append([]string{}, s.args...), h)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, out, errs := run(t, args...)
				if code != exitOK {
					t.Fatalf("exit %d, want 0\n%s%s", code, out, errs)
				}
				if errs != "" {
					t.Errorf("help wrote to stderr: %s", errs)
				}
				if !strings.Contains(out, "usage: imgtrust") {
					t.Errorf("no usage line:\n%s", out)
				}
				for _, f := range append([]string{"root", "json", "ascii", "mechanism"}, s.flags...) {
					if !strings.Contains(out, "  -"+f) {
						t.Errorf("help does not describe --%s:\n%s", f, out)
					}
				}
			})
		}
	}
}

func TestKeysImportHelpDescribesItsFlags(t *testing.T) {
	code, out, _ := run(t, "keys", "import", "--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"-name string\n    \tfile name in the keys directory",
		"-force\n",
		"-reference SCOPE\n",
		"-identity string\n",
		"-allow-weaken\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("keys import --help lacks %q:\n%s", want, out)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"lnt"}, "imgtrust: unknown command \"lnt\"; did you mean lint?\n"},
		{[]string{"verfy", "x"}, "imgtrust: unknown command \"verfy\"; did you mean verify?\n"},
		{[]string{"keys", "lst"}, "imgtrust keys: unknown subcommand \"lst\"; did you mean list?\n"},
		{[]string{"lookaside", "explian", "x"}, "imgtrust lookaside: unknown subcommand \"explian\"; did you mean explain?\n"},
		{[]string{"lint", "--jsn"}, "imgtrust lint: unknown flag --jsn; did you mean --json? (see --help)\n"},
		{[]string{"keys", "import", "--forse", "k.asc"}, "imgtrust keys import: unknown flag --forse; did you mean --force? (see --help)\n"},
		{[]string{"lint", "--zzzzzzzz"}, "imgtrust lint: unknown flag --zzzzzzzz (see --help)\n"},
		{[]string{"qqqqqqq"}, "imgtrust: unknown command \"qqqqqqq\"\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errs := run(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.HasPrefix(errs, tt.want) {
				t.Errorf("stderr starts\n%q\nwant\n%q", firstLine(errs), tt.want)
			}
		})
	}
}

// A flag's value that looks like a flag is not checked as one.
func TestFlagValueIsNotAFlag(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, nil)
	code, _, errs := run(t, "--root", root, "lookaside", "explain", "example.com/a", "--digest", "-nothex")
	if strings.Contains(errs, "unknown flag") {
		t.Errorf("value taken for a flag (exit %d): %s", code, errs)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line + "\n"
}

// TestPolicyHelp: `policy --help` and each policy verb's --help print to
// stdout and exit 0; a mistyped verb gets a suggestion.
func TestPolicyHelp(t *testing.T) {
	for _, args := range [][]string{{"policy", "--help"}, {"policy", "-h"}, {"policy", "default", "--help"}, {"policy", "set", "--help"}, {"policy", "remove", "-h"}} {
		code, out, errs := run(t, args...)
		if code != exitOK || errs != "" || !strings.Contains(out, "imgtrust policy set SCOPE") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errs)
		}
	}
	if code, _, errs := run(t, "policy", "st", "x"); code != exitUsage || !strings.Contains(errs, "did you mean set?") {
		t.Errorf("policy st: exit %d\n%s", code, errs)
	}
}
