package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/kios/imgtrust/node"
)

// verb is one subcommand of a command that has verbs (keys, lookaside).
type verb struct {
	name string
	// minArgs and maxArgs bound the positional arguments.
	minArgs, maxArgs int
	// setup defines the verb's own flags on fs (the global ones are
	// there already) and returns what runs once they are parsed.
	setup func(fs *flag.FlagSet, g *globalFlags) func(a *app, paths node.Paths, pos []string) int
}

// runVerbs finds the verb among args, parses its flags and arguments and
// runs it; "help" prints usage.
func (a *app) runVerbs(cmd, usage string, verbs []verb, args []string) int {
	name, rest, ok := splitVerb(args)
	if !ok {
		for _, arg := range args {
			if isHelpFlag(arg) {
				fmt.Fprintln(a.stdout, usage)
				return exitOK
			}
		}
		fmt.Fprintln(a.stderr, usage)
		return exitUsage
	}
	if name == "help" {
		fmt.Fprintln(a.stdout, usage)
		return exitOK
	}
	for _, v := range verbs {
		if v.name != name {
			continue
		}
		var g globalFlags
		fs := flag.NewFlagSet("imgtrust "+cmd+" "+name, flag.ContinueOnError)
		g.register(fs)
		setUsage(fs, usage)
		run := v.setup(fs, &g)
		var try tryFlags
		change := changeVerbs[cmd+" "+name]
		if change {
			try.register(fs)
		}
		pos, paths, code, ok := a.parseCommand(cmd+" "+name, fs, &g, rest, v.maxArgs)
		if !ok {
			return code
		}
		if len(pos) < v.minArgs {
			fmt.Fprintln(a.stderr, usage)
			return exitUsage
		}
		if change {
			return a.withTrial(cmd+" "+name, pos, paths, try, func() int { return run(a, paths, pos) })
		}
		return run(a, paths, pos)
	}
	var names []string
	for _, v := range verbs {
		names = append(names, v.name)
	}
	fmt.Fprintf(a.stderr, "imgtrust %s: unknown subcommand %q%s\n\n%s\n", cmd, name, didYouMean(name, names), usage)
	return exitUsage
}

// splitVerb finds a command's verb among args that may start with global
// flags (main moves them in front).
func splitVerb(args []string) (string, []string, bool) {
	global := globalFlagSet()
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if strings.HasPrefix(arg, "-") {
			if takesValue(global, arg) {
				i++
			}
			continue
		}
		return arg, append(append([]string{}, args[:i]...), args[i+1:]...), true
	}
	return "", nil, false
}

// globalFlagSet holds the global flags only, to ask which take a value.
func globalFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("imgtrust", flag.ContinueOnError)
	(&globalFlags{}).register(fs)
	return fs
}

// takesValue reports whether arg ("--root", "-policy") is a flag of fs
// that reads the next argument as its value: defined, not a boolean, and
// not written as --name=value.
func takesValue(fs *flag.FlagSet, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	if strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, isBool := f.Value.(interface{ IsBoolFlag() bool })
	return !isBool || !b.IsBoolFlag()
}
