// Command imgtrust is a terminal trust manager for container image
// signatures: it reads, checks and edits a node's containers/image policy,
// its OpenPGP keys and its look-aside configuration, and tells whether an
// image would be accepted. With no subcommand it opens the TUI.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/termsafe"
	"github.com/kios/imgtrust/workspace"
	"golang.org/x/mod/semver"
)

// Exit codes are part of the CLI contract scripts depend on.
const (
	exitOK         = 0 // success; verify: accepted
	exitFindings   = 1 // lint found errors; verify: rejected
	exitUsage      = 2 // bad flags or arguments, unreadable root, invalid policy for verify
	exitIncomplete = 3 // the check could not finish (network, timeout)
)

// app carries the process environment so that commands are testable
// without touching the real terminal or environment.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// collectFlags, when set, receives each command's flag set instead of
	// the command running (parseFlags returns at once): shell completion
	// is generated from the flag sets the commands really parse.
	collectFlags func(fs *flag.FlagSet)
	// stdoutTTY: stdout is a terminal (a person reads it); otherwise
	// listings print what a script needs whole (full fingerprints).
	stdoutTTY bool
}

// command is one subcommand of imgtrust.
type command struct {
	name    string
	summary string
	run     func(a *app, args []string) int
}

func commands() []command {
	return []command{
		{"lint", "check policy.json, registries.d and the key files they use", runLint},
		{"show", "print the effective policy in plain words", runShow},
		{"keys", "list, show, import and remove OpenPGP public keys", runKeys},
		{"lookaside", "list, explain and edit look-aside signature servers", runLookaside},
		{"policy", "edit the default and the scopes of policy.json, with diff, widening and impact", runPolicy},
		{"verify", "tell whether the node would accept an image, and why", runVerify},
		{"shadow", "soak a candidate policy on the node's real pulls without enforcing it", runShadow},
		{"confirm", "keep the change of a trial (a change made with --try)", runConfirm},
		{"demo", "open the TUI on a scratch node with a local registry", runDemo},
		{"tui", "open the interactive trust manager (the default)", runTUI},
		{"completion", "print a shell completion script: completion bash|zsh|fish", runCompletion},
	}
}

func main() {
	a := &app{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, stdoutTTY: isTerminal(os.Stdout)}
	os.Exit(a.main(os.Args[1:]))
}

func (a *app) main(args []string) int {
	// The last guard: nothing a command prints may drive the terminal,
	// and on a console without the marks nothing is drawn as a box.
	if wantsASCII(args, a.getenv) {
		ao, ae := &asciiWriter{w: a.stdout}, &asciiWriter{w: a.stderr}
		defer ao.Flush()
		defer ae.Flush()
		a.stdout, a.stderr = ao, ae
	}
	stdout, stderr := termsafe.NewWriter(a.stdout), termsafe.NewWriter(a.stderr)
	defer stdout.Flush()
	defer stderr.Flush()
	a.stdout, a.stderr = stdout, stderr
	// Global flags may come before the subcommand; they are handed on to it.
	var global []string
	globalFS := globalFlagSet()
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if isHelpFlag(args[0]) {
			a.usage(a.stdout)
			return exitOK
		}
		if args[0] == "--version" {
			fmt.Fprintln(a.stdout, "imgtrust", version())
			return exitOK
		}
		global = append(global, args[0])
		if len(args) > 1 && takesValue(globalFS, args[0]) {
			global = append(global, args[1])
			args = args[1:]
		}
		args = args[1:]
	}
	name := "tui"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		a.usage(a.stdout)
		return exitOK
	}
	if name == trialWatchCommand {
		return runTrialWatch(a, args)
	}
	var names []string
	for _, c := range commands() {
		if c.name == name {
			return c.run(a, append(global, args...))
		}
		names = append(names, c.name)
	}
	fmt.Fprintf(a.stderr, "imgtrust: unknown command %q%s\n\n", name, didYouMean(name, append(names, "help")))
	a.usage(a.stderr)
	return exitUsage
}

// didYouMean is the hint after an unknown name: "; did you mean lint?", or
// "" when no candidate is a plausible typo.
func didYouMean(name string, candidates []string) string {
	if s := policyio.Suggest(name, candidates); s != "" && s != name {
		return fmt.Sprintf("; did you mean %s?", s)
	}
	return ""
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: imgtrust [global flags] [command] [flags] [args]")
	fmt.Fprintln(w, "\nWith no command, imgtrust opens the interactive trust manager.")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nglobal flags (accepted by every command):")
	fs := flag.NewFlagSet("imgtrust", flag.ContinueOnError)
	(&globalFlags{}).register(fs)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintln(w, "\nexit codes: 0 ok/accepted, 1 problems found/rejected, 2 usage or invalid configuration, 3 could not finish")
}

// globalFlags are accepted by every subcommand.
type globalFlags struct {
	root        string
	policy      string
	registriesD string
	// registriesConf is skopeo's --registries-conf: an explicit
	// registries.conf instead of the node's.
	registriesConf string
	keysDir        string
	json           bool
	ascii          bool
	mechanism      string
	// runtimeVersion overrides the containers/image version read from the
	// runtime binary: which policy.json keys it knows, how registries.d is
	// read, whether subkey signatures count (runtimever).
	runtimeVersion string
	// ownImage is the admin's answer to "which image does imgtrust run
	// in", remembered on the node.
	ownImage string
}

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.root, "root", "/", "directory where the node's root filesystem is mounted (e.g. /host)")
	fs.StringVar(&g.policy, "policy", "", "policy.json to use (default /etc/containers/policy.json under --root)")
	fs.StringVar(&g.registriesD, "registries.d", "", "registries.d directory (default /etc/containers/registries.d under --root)")
	fs.StringVar(&g.registriesConf, "registries-conf", "", "registries.conf to use for mirrors, blocked registries and short names (default /etc/containers/registries.conf under --root, with registries.conf.d)")
	fs.StringVar(&g.keysDir, "keys-dir", "", "directory of OpenPGP public keys (default /etc/gpg under --root)")
	fs.BoolVar(&g.json, "json", false, "print machine-readable JSON")
	fs.BoolVar(&g.ascii, "ascii", false, "use ASCII instead of Unicode symbols")
	fs.StringVar(&g.runtimeVersion, "runtime-version", "", "the runtime's containers/image version (e.g. v5.38.0), instead of reading it from the node's crio/podman binary")
	fs.StringVar(&g.ownImage, "own-image", "", "the image of the pod imgtrust runs in (`REF`, or none), when it cannot be found from its cgroup and the node's container store; remembered in "+node.OwnImageFile+"; a change that rejects it is refused like one that rejects the pause image")
	fs.StringVar(&g.mechanism, "mechanism", "auto", "the runtime's OpenPGP mechanism: auto (read the node's crio/podman binary), openpgp-xcrypto, openpgp-gocrypto or gpgme")
}

// detectMechanism resolves --mechanism; auto reads the runtime binary's
// build information under the root.
func (g *globalFlags) detectMechanism(paths node.Paths) (gpg.Detection, error) {
	det, err := g.detectMechanismOnly(paths)
	if err != nil || g.runtimeVersion == "" {
		return det, err
	}
	if !semver.IsValid(g.runtimeVersion) {
		return det, fmt.Errorf("--runtime-version %q: want a version such as v5.38.0", g.runtimeVersion)
	}
	det.ImageVersion, det.Binary = g.runtimeVersion, "--runtime-version"
	return det, nil
}

func (g *globalFlags) detectMechanismOnly(paths node.Paths) (gpg.Detection, error) {
	if g.mechanism == "" || g.mechanism == "auto" {
		return gpg.DetectMechanism(paths.Root), nil
	}
	m, err := gpg.ParseMechanism(g.mechanism)
	if err != nil {
		return gpg.Detection{}, fmt.Errorf("--mechanism: %w", err)
	}
	// The binary's containers/image version, if readable, still says how
	// the runtime reads registries.d.
	auto := gpg.DetectMechanism(paths.Root)
	return gpg.Detection{Mechanism: m, Reason: "set with --mechanism", Binary: auto.Binary, ImageVersion: auto.ImageVersion}, nil
}

// paths resolves the file locations from the flags, checking that the
// root exists so that a typo in --root is a usage error, not an empty node.
func (g *globalFlags) paths() (node.Paths, error) {
	st, err := os.Stat(g.root)
	if err != nil {
		return node.Paths{}, fmt.Errorf("--root: %w", err)
	}
	if !st.IsDir() {
		return node.Paths{}, fmt.Errorf("--root %s: not a directory", g.root)
	}
	p := node.NewPaths(g.root, g.policy, g.registriesD, g.keysDir)
	p.RegistriesConf = g.registriesConf
	return p, nil
}

// setUsage makes fs's usage the command's text followed by every flag
// with its description, written to wherever fs writes (stdout for --help,
// stderr for a usage error).
func setUsage(fs *flag.FlagSet, text string) {
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), strings.TrimRight(text, "\n"))
		fmt.Fprintln(fs.Output(), "\nflags (the global ones included):")
		fs.PrintDefaults()
	}
}

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help"
}

// errHelp says that parseFlags printed the help: the command exits 0.
var errHelp = flag.ErrHelp

// checkFlags finds, before parsing, a help flag (help is printed to stdout
// and errHelp returned) or an undefined flag (a did-you-mean error, since
// the flag package's own message gives no hint). Values of flags that take
// one are skipped; "--" ends the scan.
func (a *app) checkFlags(fs *flag.FlagSet, args []string) error {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return nil
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			continue
		}
		if isHelpFlag(arg) {
			fs.SetOutput(a.stdout)
			fs.Usage()
			fs.SetOutput(a.stderr)
			return errHelp
		}
		name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if fs.Lookup(name) == nil {
			var names []string
			fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
			hint := ""
			if s := policyio.Suggest(name, names); s != "" {
				hint = fmt.Sprintf("; did you mean --%s?", s)
			}
			return fmt.Errorf("unknown flag %s%s (see --help)", arg, hint)
		}
		if takesValue(fs, arg) {
			i++
		}
	}
	return nil
}

// parseFlags parses args with fs, allowing flags after positional
// arguments ("imgtrust verify IMAGE --json"); "--" ends flag parsing.
// On --help it prints the usage to stdout and returns errHelp; on a usage
// error it has printed the message.
func (a *app) parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	if a.collectFlags != nil {
		a.collectFlags(fs)
		return nil, errHelp
	}
	fs.SetOutput(a.stderr)
	if err := a.checkFlags(fs, args); err != nil {
		if err != errHelp {
			fmt.Fprintf(a.stderr, "%s: %s\n", fs.Name(), err)
		}
		return nil, err
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		// fs.Parse stopped at a positional argument (or "--"): keep it and
		// parse what follows it.
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// parseCommand parses a command's flags (global ones included), allows at
// most maxArgs positional arguments, and resolves the node paths. When ok
// is false the command exits with code; the message is already printed.
func (a *app) parseCommand(name string, fs *flag.FlagSet, g *globalFlags, args []string, maxArgs int) (rest []string, paths node.Paths, code int, ok bool) {
	rest, err := a.parseFlags(fs, args)
	if err == errHelp {
		return nil, paths, exitOK, false
	}
	if err != nil {
		return nil, paths, exitUsage, false
	}
	if len(rest) > maxArgs {
		fmt.Fprintf(a.stderr, "imgtrust %s: unexpected argument %q\n", name, rest[maxArgs])
		return nil, paths, exitUsage, false
	}
	paths, err = g.paths()
	if err != nil {
		fmt.Fprintf(a.stderr, "imgtrust %s: %s\n", name, errText(err))
		return nil, paths, exitUsage, false
	}
	if _, err := g.detectMechanism(paths); err != nil {
		// The error names its flag (--mechanism or --runtime-version).
		fmt.Fprintf(a.stderr, "imgtrust %s: %s\n", name, errText(err))
		return nil, paths, exitUsage, false
	}
	a.trialStartup(paths)
	if g.ownImage != "" {
		if err := workspace.RememberOwnImage(paths, g.ownImage, paths.AuditLog()); err != nil {
			fmt.Fprintf(a.stderr, "imgtrust %s: %s\n", name, errText(err))
			return nil, paths, exitUsage, false
		}
	}
	return rest, paths, exitOK, true
}

func version() string { return "0.1.0" }
