package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/impact"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/termsafe"
	"github.com/kios/imgtrust/workspace"
)

// Every command that changes the node's files (policy default|set|remove,
// keys import|remove, lookaside set|remove) stages its edits in a
// workspace change set and goes through changeRun: it prints the one
// diff over every file, the widening report and the impact on the node's
// images, refuses a widening without --allow-weaken and a pause-image
// lockout without --allow-lockout, and applies the change set (every file
// atomically, rolled back together on failure) unless --dry-run.

// changeFlags say how a change is applied.
type changeFlags struct {
	dryRun, allowWeaken, allowLockout, offline bool
	transport                                  string
	// namespace: the change is to that CRI-O namespace's policy (policy
	// verbs only register it).
	namespace string
}

func (c *changeFlags) register(fs *flag.FlagSet) {
	c.registerApply(fs)
	fs.StringVar(&c.transport, "transport", model.TransportDocker, "the policy transport of SCOPE")
}

// registerApply registers the flags every change command has.
func (c *changeFlags) registerApply(fs *flag.FlagSet) {
	fs.BoolVar(&c.dryRun, "dry-run", false, "print the change and its reports; write nothing")
	fs.BoolVar(&c.allowWeaken, "allow-weaken", false, "apply a change that widens trust")
	fs.BoolVar(&c.allowLockout, "allow-lockout", false, "apply a change that makes the node's pause image unpullable")
	fs.BoolVar(&c.offline, "offline", false, "make no network request for the impact check: images that need one are not checked")
}

// changeReport is the --json shape of every change command.
type changeReport struct {
	Change      string                    `json:"change"`
	Policy      string                    `json:"policy"`
	Files       []reportFile              `json:"files"`
	Diff        string                    `json:"diff"`
	Widenings   []policyio.Weakening      `json:"widenings"`
	KeyWarnings []string                  `json:"key_warnings,omitempty"`
	Impact      *impact.Report            `json:"impact"`
	Applied     bool                      `json:"applied"`
	Written     []workspace.WrittenFile   `json:"written,omitempty"`
	Refused     string                    `json:"refused,omitempty"`
	Errors      model.Diagnostics         `json:"errors,omitempty"`
	Outside     []workspace.OutsideChange `json:"outside,omitempty"`
	Error       string                    `json:"error,omitempty"`
}

// reportFile is one file of the change, as the node names it.
type reportFile struct {
	Path string             `json:"path"`
	Kind workspace.FileKind `json:"kind"`
	Op   string             `json:"op"`
}

// changeRun is one change command's review and apply.
type changeRun struct {
	a       *app
	g       *globalFlags
	name    string // "policy set", "keys import", ...
	paths   node.Paths
	ws      *workspace.Workspace
	summary string
	cf      changeFlags
	// widen, when set, replaces the review's widening report: keys import
	// --reference compares with the consent it asks for.
	widen func(rev *workspace.Review) ([]policyio.Weakening, error)
	// nothing is printed when the change writes nothing.
	nothing string
	// done prints what an apply did, after the files written.
	done func(w io.Writer)
	// refusedNote is added to a refusal (what was true already).
	refusedNote string
}

func (r *changeRun) run() int {
	a, g := r.a, r.g
	rep := changeReport{Change: r.summary, Policy: r.paths.Node(r.paths.Policy), Files: []reportFile{}, Widenings: []policyio.Weakening{}}
	out := a.stdout
	errw := a.stderr
	if g.json {
		out, errw = io.Discard, io.Discard // the report carries everything
	}
	finish := func(code int) int {
		if g.json {
			if err := writeJSON(a.stdout, rep); err != nil {
				return exitUsage
			}
		}
		return code
	}
	fail := func(err error) int {
		rep.Error = err.Error()
		fmt.Fprintf(a.stderr, "imgtrust %s: %s\n", r.name, errText(err))
		return finish(exitFindings)
	}
	rev, err := r.ws.Review()
	var oc *workspace.OutsideChangeError
	if errors.As(err, &oc) {
		rep.Outside, rep.Refused = oc.Changes, "outside-change"
		return fail(err)
	}
	if err != nil {
		return fail(err)
	}
	if len(rev.Errors) > 0 {
		rep.Errors, rep.Refused = rev.Errors, "invalid"
		fmt.Fprintf(errw, "imgtrust %s: refused, nothing was written: the change leaves a file the runtime would refuse:\n", r.name)
		printDiagnostics(errw, rev.Errors)
		if r.refusedNote != "" {
			fmt.Fprintln(errw, termsafe.String(r.refusedNote))
		}
		return finish(exitFindings)
	}
	if len(rev.Files) == 0 || r.reformatOnly(rev) {
		if r.nothing == "" {
			r.nothing = "nothing to do: the files already say this"
		}
		fmt.Fprintln(out, r.nothing)
		return finish(exitOK)
	}
	for _, f := range rev.Files {
		op := "write"
		if f.Remove {
			op = "remove"
		}
		rep.Files = append(rep.Files, reportFile{Path: r.paths.Node(f.Path), Kind: f.Kind, Op: op})
	}
	rep.Diff, rep.KeyWarnings = rev.Diff, rev.KeyWarnings
	widen := rev.Widenings
	if r.widen != nil {
		if widen, err = r.widen(rev); err != nil {
			return fail(err)
		}
	}
	if widen != nil {
		rep.Widenings = widen
	}
	det, _ := g.detectMechanism(r.paths)
	rep.Impact = reviewImpact(context.Background(), r.paths, det, r.ws, rev, r.cf.offline)
	for _, l := range strings.Split(strings.TrimRight(rev.Diff, "\n"), "\n") {
		fmt.Fprintln(out, termsafe.String(l))
	}
	for _, k := range rev.KeyWarnings {
		fmt.Fprintln(out, "warning:", termsafe.String(k))
	}
	if len(widen) == 0 {
		fmt.Fprintln(out, "widening: none")
	} else {
		fmt.Fprintln(out, "widening: this change lets in images the policy refused:")
		for _, w := range widen {
			fmt.Fprintln(out, "  -", termsafe.String(w.String()))
		}
	}
	printImpact(out, rep.Impact)
	if !g.json {
		ownImageNote(a, r.paths)
	}
	if len(widen) > 0 && !r.cf.allowWeaken {
		rep.Refused = "widening"
		fmt.Fprintf(errw, "imgtrust %s: refused, nothing was written: the change widens trust:\n", r.name)
		for _, w := range widen {
			fmt.Fprintln(errw, "  -", termsafe.String(w.String()))
		}
		fmt.Fprintln(errw, "repeat with --allow-weaken if this is intended")
		return finish(exitFindings)
	}
	if lockoutRefused(errw, "imgtrust "+r.name, rep.Impact, r.cf.allowLockout) {
		rep.Refused = "lockout"
		return finish(exitFindings)
	}
	if r.cf.dryRun {
		fmt.Fprintln(out, "--dry-run: nothing was written")
		return finish(exitOK)
	}
	// A trial's revert would undo this change too (policy commands check
	// this before staging, through withTrial).
	if err := trialBusy(r.paths); err != nil {
		return fail(err)
	}
	// The widenings were shown and consented to above (or there are
	// none): the apply need not refuse them again.
	res, err := r.ws.Apply(workspace.ApplyOptions{Summary: r.summary, AllowWeaken: true})
	if err != nil && res == nil {
		return fail(err)
	}
	// With an error and a result the files were written but the audit
	// log was not: the report must not say nothing was applied.
	auditErr := err
	rep.Applied, rep.Written = true, res.Files
	for i, f := range res.Files {
		// The review's path: the written one is resolved (a link's
		// target, absolute), which a relative --root cannot name back.
		path := f.Path
		if i < len(rev.Files) {
			path = rev.Files[i].Path
		}
		what := "wrote"
		if f.Op == "remove" {
			what = "removed"
		}
		kept := ""
		if f.BackupPath != "" {
			kept = " (backup kept)"
		}
		fmt.Fprintf(out, "%s %s%s\n", what, termsafe.String(r.paths.Node(path)), kept)
	}
	if r.done != nil {
		r.done(out)
	}
	if auditErr != nil {
		return fail(auditErr)
	}
	return finish(exitOK)
}

// notStaged ends a change command that staged nothing: err refused the
// edit (exit 1), or there was nothing to do (say, on stdout). With --json
// stdout still carries the one report every change command prints.
func (a *app) notStaged(g *globalFlags, name, summary string, paths node.Paths, err error, say string) int {
	rep := changeReport{Change: summary, Policy: paths.Node(paths.Policy), Files: []reportFile{}, Widenings: []policyio.Weakening{}}
	code := exitOK
	if err != nil {
		rep.Error, code = err.Error(), exitFindings
		fmt.Fprintf(a.stderr, "imgtrust %s: %s\n", name, errText(err))
	}
	if g.json {
		if werr := writeJSON(a.stdout, rep); werr != nil {
			return exitUsage
		}
	} else if say != "" {
		fmt.Fprintln(a.stdout, say)
	}
	return code
}

// openChange opens the workspace a change command stages into, with the
// node's mechanism for the review of key files.
func openChange(g *globalFlags, paths node.Paths) (*workspace.Workspace, error) {
	return openChangeIn(g, paths, "")
}

// openWorkspace opens the change pipeline on the global policy, or on a
// namespace's CRI-O policy when namespace is set.
func openWorkspace(paths node.Paths, namespace string) (*workspace.Workspace, error) {
	if namespace == "" {
		return workspace.Open(paths)
	}
	return workspace.OpenNamespace(paths, namespace)
}

// openChangeIn is openChange on the global policy, or on a CRI-O
// namespace's policy file when namespace is set (workspace.OpenNamespace).
func openChangeIn(g *globalFlags, paths node.Paths, namespace string) (*workspace.Workspace, error) {
	ws, err := openWorkspace(paths, namespace)
	if err != nil {
		return nil, err
	}
	if det, derr := g.detectMechanism(paths); derr == nil {
		ws.Mechanism = det.Mechanism
	}
	return ws, nil
}

// reformatOnly: the change writes only policy.json, and only to say the
// same rules another way: no change to offer.
func (r *changeRun) reformatOnly(rev *workspace.Review) bool {
	if len(rev.Files) != 1 || rev.Files[0].Kind != workspace.KindPolicy || !r.ws.PolicyFile().Exists {
		return false
	}
	was, err1 := policyio.MarshalPolicy(r.ws.PolicyFile().Policy)
	now, err2 := policyio.MarshalPolicy(r.ws.Policy())
	return err1 == nil && err2 == nil && string(was) == string(now)
}

// reviewImpact compares the node's images under the files on disk and
// under the change set (its policy, key files and look-aside). Only the
// images whose rules or signature source the change touches are judged.
func reviewImpact(ctx context.Context, paths node.Paths, det gpg.Detection, ws *workspace.Workspace, rev *workspace.Review, offline bool) *impact.Report {
	return reviewImpactCheck(paths, det, ws, rev, offline, true)(ctx)
}

// reviewImpactCheck takes what the impact of rev needs from the workspace
// now (the saved policy, the key reader, the registries.d runtime) and
// returns the check, which reads the node's files and, unless offline,
// the network: the TUI runs it in a tea.Cmd while the workspace goes on
// changing.
func reviewImpactCheck(paths node.Paths, det gpg.Detection, ws *workspace.Workspace, rev *workspace.Review, offline, tlsVerify bool) func(context.Context) *impact.Report {
	disk := ws.Keys
	if disk == nil {
		disk = policyio.DiskKeyFiles(paths)
	}
	// Before: what pods see today (the global policy for a namespace
	// without its file yet); a namespace policy never judges the pause
	// image (workspace.ImagesFor, over a copy of the namespace only: the
	// check runs while the workspace goes on changing).
	saved, runtime := ws.BaselinePolicy(), ws.Runtime
	filter := &workspace.Workspace{Namespace: ws.Namespace}
	return func(ctx context.Context) *impact.Report {
		imgs, err := node.ReadNodeImages(paths)
		imgs = filter.ImagesFor(imgs)
		c := impact.NewChecker(impact.Options{Paths: paths, Mechanism: det.Mechanism, Offline: offline, TLSVerify: tlsVerify,
			Timeout: lintImageTimeout, SkipUnchanged: true})
		diskRD, _ := policyio.LoadRegistriesDFor(paths.FS(), paths.RegistriesD, runtime)
		rep := c.Compare(ctx,
			impact.Config{Policy: saved, Keys: disk, Label: "saved", Registries: diskRD},
			impact.Config{Policy: rev.CandidatePolicy, Keys: rev.CandidateKeys, Label: "staged", Registries: rev.CandidateRegistries}, imgs)
		if err != nil {
			rep.ImagesError = err.Error()
		}
		return rep
	}
}
