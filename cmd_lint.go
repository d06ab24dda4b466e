package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/impact"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/registriesconf"
	"github.com/kios/imgtrust/runtimever"
	"github.com/kios/imgtrust/termsafe"
	"github.com/kios/imgtrust/workspace"
)

// lintReport is the --json shape of `imgtrust lint`.
type lintReport struct {
	Policy      string            `json:"policy"`
	Errors      int               `json:"errors"`
	Warnings    int               `json:"warnings"`
	Diagnostics model.Diagnostics `json:"diagnostics"`
	// Images are the node's images under the saved policy.
	Images []imageVerdict `json:"images,omitempty"`
	// Runtime is the containers/image release the files were checked
	// against (runtimever), and whether it was assumed.
	Runtime runtimever.Library `json:"runtime"`
}

func runLint(a *app, args []string) int {
	var g globalFlags
	fs := flag.NewFlagSet("imgtrust lint", flag.ContinueOnError)
	g.register(fs)
	offline := fs.Bool("offline", false, "make no network request: node images whose rule needs signatures are reported as not checked")
	explain := fs.String("explain", "", "print what a diagnostic `CODE` means (all codes: --explain all) and exit")
	setUsage(fs, "usage: imgtrust lint [--offline] [--json] [--explain CODE|all] [global flags]\n\nChecks policy.json and the key files it references as containers/image would,\nand the images the node depends on (the pause image, containers-storage):\nwhat the policy decides alone is decided without the network; only images\nwhose rule needs signatures are checked online (none with --offline).\nExit 0: no errors; 1: errors found (a rejected pause image is one); 2: cannot run.")
	_, paths, code, ok := a.parseCommand("lint", fs, &g, args, 0)
	if !ok {
		return code
	}
	if *explain != "" {
		return explainCodes(a, *explain, g.json)
	}
	det, _ := g.detectMechanism(paths)
	pf, diags, images, err := lintWithImages(paths, det, *offline)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust lint:", errText(err))
		return exitUsage
	}
	rep := lintReport{Policy: pf.Path, Images: images, Errors: diags.Count(model.Error), Warnings: diags.Count(model.Warning), Diagnostics: diags,
		Runtime: det.Library()}
	if rep.Diagnostics == nil {
		rep.Diagnostics = model.Diagnostics{}
	}
	if g.json {
		if err := writeJSON(a.stdout, rep); err != nil {
			return exitUsage
		}
	} else {
		printDiagnostics(a.stdout, diags)
		fmt.Fprintf(a.stdout, "%d error(s), %d warning(s) (policy %s, registries.d %s)\n", rep.Errors, rep.Warnings, termsafe.String(pf.Path), termsafe.String(paths.RegistriesD))
		for _, line := range consequences(diags, pf.Path) {
			fmt.Fprintln(a.stdout, line)
		}
		if rep.Runtime.Assumed {
			fmt.Fprintf(a.stdout, "%s; --runtime-version checks against the node's\n", termsafe.String(rep.Runtime.Basis))
		}
	}
	if rep.Errors > 0 {
		return exitFindings
	}
	return exitOK
}

// lintNode gathers the diagnostics of every file that decides what the
// node may pull: the same list the TUI's Problems view shows.
func lintNode(paths node.Paths, det gpg.Detection) (*policyio.PolicyFile, model.Diagnostics, error) {
	ws, err := workspace.Open(paths)
	if err != nil {
		return nil, nil, err
	}
	ws.Inspect = keyInspector(det.Mechanism)
	ws.Runtime = registriesRuntime(det)
	return ws.PolicyFile(), ws.Problems(), nil
}

// lintWithImages is lintNode with the verdicts on the node's own images
// (the pause image...): everything lint reports and counts.
func lintWithImages(paths node.Paths, det gpg.Detection, offline bool) (*policyio.PolicyFile, model.Diagnostics, []imageVerdict, error) {
	pf, diags, err := lintNode(paths, det)
	if err != nil {
		return nil, nil, nil, err
	}
	var images []imageVerdict
	if pol := pf.LoadedPolicy(); pol != nil {
		// A policy the runtime cannot load is already an error: every
		// image is refused, and saying so per image adds nothing.
		var listErr error
		images, listErr = nodeImageReport(context.Background(), paths, det, impact.Config{Policy: pol, Label: "saved"}, offline)
		diags = append(diags, imageDiagnostics(images, listErr)...).Sorted()
	}
	return pf, diags, images, nil
}

// lintNamespace is lint's diagnostics for a CRI-O namespace's own policy
// file: the file, its keys and the node's release, compared with the
// global policy. No node image is judged: the pause image is pulled with
// the global policy, and which pods use the others is not known.
func lintNamespace(paths node.Paths, det gpg.Detection, namespace string) (*policyio.PolicyFile, model.Diagnostics, error) {
	ws, err := workspace.OpenNamespace(paths, namespace)
	if err != nil {
		return nil, nil, err
	}
	ws.Inspect = keyInspector(det.Mechanism)
	ws.Runtime = registriesRuntime(det)
	return ws.PolicyFile(), ws.Problems(), nil
}

// registriesRuntime is how the detected runtime reads registries.d.
func registriesRuntime(det gpg.Detection) policyio.RegistriesRuntime {
	skip, basis := det.SkipsYAMLDirectories()
	v1, v1basis := registriesconf.V1Rule(det.ImageVersion, det.Mechanism == gpg.MechGoCrypto)
	return policyio.RegistriesRuntime{SkipYAMLDirectories: skip, Basis: basis, RefuseRegistriesConfV1: v1, RegistriesConfV1Basis: v1basis,
		Library: det.Library()}
}

// consequences says, per file kind, what the errors mean on the node.
// policy is the global policy's path: an error in another .json file is
// in a CRI-O namespace policy, which fails only that namespace's pulls.
func consequences(diags model.Diagnostics, policy string) []string {
	var policyErr, registriesErr, keyErr, lookasideErr, pauseErr, confErr, aliasErr bool
	var nsFiles []string
	for _, d := range diags {
		if d.Severity != model.Error {
			continue
		}
		switch {
		case d.Code == "pause-image-rejected":
			pauseErr = true
		case strings.HasPrefix(d.Code, "registriesd-"):
			registriesErr = true
		case strings.HasPrefix(d.Code, "registries-conf-"):
			confErr = true
		case d.Code == "short-name-aliases":
			aliasErr = true
		case d.Code == "lookaside-scheme":
			lookasideErr = true
		case strings.HasPrefix(d.Code, "key-"):
			keyErr = true
		case d.Pos.File != "" && d.Pos.File != policy && strings.HasSuffix(d.Pos.File, ".json"):
			if !slices.Contains(nsFiles, d.Pos.File) {
				nsFiles = append(nsFiles, d.Pos.File)
			}
		default:
			policyErr = true
		}
	}
	var out []string
	for _, f := range nsFiles {
		out = append(out, fmt.Sprintf("CRI-O refuses %s: every pull for pods in its namespace fails until the errors are fixed.", termsafe.String(f)))
	}
	if policyErr {
		out = append(out, "containers/image refuses this policy.json: every pull on the node fails until the errors are fixed.")
	}
	if registriesErr {
		out = append(out, "containers/image refuses registries.d: every pull from a registry fails until the errors are fixed.")
	}
	if confErr {
		out = append(out, "containers/image refuses registries.conf: every pull from a registry fails until the errors are fixed.")
	}
	if aliasErr {
		out = append(out, "the short-name alias cache is invalid: every pull of a short name fails until it is fixed or removed.")
	}
	if lookasideErr {
		out = append(out, "every pull through a look-aside the runtime cannot read fails, whatever the policy says.")
	}
	if pauseErr && !policyErr {
		out = append(out, "the pause image is rejected: pods already running go on, but no new pod can start on this node.")
	}
	if keyErr && !policyErr {
		out = append(out, "images under the rules whose keys have errors are rejected.")
	}
	return out
}

// keyInspector looks inside key files as the node's mechanism will; each
// distinct key material is parsed once for the life of the inspector (a
// lint run, a TUI session), however many rules name it.
func keyInspector(mech gpg.Mechanism) policyio.KeyInspector {
	return (&gpg.KeyDiagnoser{Mech: mech}).Diagnose
}

// printDiagnostics writes each diagnostic with its source line, like a
// compiler, so that an admin can find and fix it in an editor. Every part
// is escaped for the terminal (Diagnostic.String, SnippetLines); the
// runtime's own message may span lines, each of them escaped.
func printDiagnostics(w io.Writer, diags model.Diagnostics) {
	for _, d := range diags {
		fmt.Fprintln(w, d.String())
		for _, l := range d.SnippetLines() {
			fmt.Fprintln(w, "    "+l)
		}
		if d.Runtime != "" && d.Severity == model.Error {
			lines := strings.Split(d.Runtime, "\n")
			for i := range lines {
				lines[i] = termsafe.String(lines[i])
			}
			fmt.Fprintf(w, "  runtime says: %s\n", strings.Join(lines, "\n  "))
		}
	}
}

// explainCodes prints the catalogue entry of code, or every entry for
// "all". An unknown code is a usage error with the nearest codes.
func explainCodes(a *app, code string, asJSON bool) int {
	list := model.Codes()
	if code != "all" {
		c, ok := model.LookupCode(code)
		if !ok {
			names := make([]string, 0, len(list))
			for _, c := range list {
				names = append(names, c.Code)
			}
			fmt.Fprintf(a.stderr, "imgtrust lint: no diagnostic code %s%s (imgtrust lint --explain all lists them)\n", termsafe.Quote(code), didYouMean(code, names))
			return exitUsage
		}
		list = []model.CodeInfo{c}
	}
	if asJSON {
		if err := writeJSON(a.stdout, list); err != nil {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range list {
		fmt.Fprintf(a.stdout, "%-28s %-13s %s\n", c.Code, c.Area, c.Meaning)
	}
	return exitOK
}
