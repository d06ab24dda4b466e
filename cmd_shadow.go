package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/safefile"
	"github.com/kios/imgtrust/shadow"
	"github.com/kios/imgtrust/termsafe"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/verify"
)

// DefaultShadowLog is the node path of the shadow log: on the node, so
// that a shadow pod restarted elsewhere in its life, the TUI and
// `--report` all read the same soak.
const DefaultShadowLog = "/var/lib/imgtrust/shadow.log"

const shadowUsage = `usage: imgtrust shadow --candidate FILE [--candidate-registries.d DIR] [--log FILE] [--for DURATION]
                      [--interval D] [--jobs N] [--tls-verify=false] [--timeout D]
       imgtrust shadow --report [LOG]

Evaluates every image the node pulls under a candidate policy while the node
keeps enforcing its live one: first the pause image, the images of existing
containers and every image in containers-storage, then each new or re-tagged
image as it appears in images.json (watched, and re-read every --interval).
Each image is judged under both with the evaluator of imgtrust verify; an image
whose signatures cannot be fetched is not checked, never counted as rejected.

One JSON line per image is appended to --log (a node path under --root, default
` + DefaultShadowLog + `), one plain line is printed, and a summary is printed
on SIGINT, SIGTERM or when --for has passed. A restarted shadow with the same
candidate carries on the same soak (images already judged are not judged again).
--candidate and --candidate-registries.d are files of this machine.

--report prints the summary of a log (a node path; default ` + DefaultShadowLog + `).
Exit 0: nothing would have been rejected; 1: something would have been; 2: usage
or an invalid candidate.`

type shadowFlags struct {
	candidate, candidateRD, log string
	report                      bool
	forD, interval, timeout     time.Duration
	jobs                        int
	tlsVerify                   bool
}

func runShadow(a *app, args []string) int {
	var g globalFlags
	var o shadowFlags
	fs := flag.NewFlagSet("imgtrust shadow", flag.ContinueOnError)
	g.register(fs)
	fs.StringVar(&o.candidate, "candidate", "", "the candidate policy.json `FILE` (on this machine)")
	fs.StringVar(&o.candidateRD, "candidate-registries.d", "", "the candidate's registries.d `DIR` (default: the node's)")
	fs.StringVar(&o.log, "log", DefaultShadowLog, "node path of the shadow log")
	fs.BoolVar(&o.report, "report", false, "print the summary of a shadow log (the argument, default --log) and exit 1 if anything would have been rejected")
	fs.DurationVar(&o.forD, "for", 0, "stop after `DURATION` (default: run until SIGINT/SIGTERM)")
	fs.DurationVar(&o.interval, "interval", 30*time.Second, "re-read images.json this often besides watching it")
	fs.IntVar(&o.jobs, "jobs", 4, "how many images are judged at once")
	fs.BoolVar(&o.tlsVerify, "tls-verify", true, "verify registry TLS certificates and require https")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "limit for each network step")
	setUsage(fs, shadowUsage)
	rest, paths, code, ok := a.parseCommand("shadow", fs, &g, args, 1)
	if !ok {
		return code
	}
	if o.report {
		logPath := o.log
		if len(rest) == 1 {
			logPath = rest[0]
		}
		return shadowReport(a, paths, logPath)
	}
	if len(rest) > 0 || o.candidate == "" {
		fmt.Fprintln(a.stderr, shadowUsage)
		return exitUsage
	}
	live, candidate, sha, code := shadowEvaluators(a, &g, paths, o)
	if live == nil {
		return code
	}
	logHost := paths.Host(o.log)
	// Carry on the soak: the log's images judged under this candidate are
	// not judged again, and they count in the summary.
	seen, sum := shadow.NewSeen(), &shadow.Summary{}
	if data, err := paths.FS().ReadFile(logHost, shadowLogKind); err == nil {
		s, _ := shadow.ReadLog(bytes.NewReader(data), func(c string, r shadow.Record) {
			if c == sha && r.Event == shadow.EventImage {
				seen.Add(r.Reference, r.Digest)
			}
		})
		if s.CandidateSHA256 == sha {
			*sum = s
			sum.BadLines, sum.OtherCandidates = 0, 0
		}
	}
	logFile, err := openAppend(paths.FS(), logHost)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust shadow: the log:", errText(err))
		return exitUsage
	}
	defer logFile.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.forD > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.forD)
		defer cancel()
	}
	fmt.Fprintf(a.stdout, "shadow: candidate %s (sha256 %s), logging to %s; stop with ctrl+c or SIGTERM\n",
		termsafe.String(o.candidate), sha[:12], termsafe.String(o.log))
	final, err := shadow.Run(ctx, shadow.Options{
		Paths: paths, Live: live, Candidate: candidate, Log: logFile, Seen: seen, Summary: sum,
		Interval: o.interval, Jobs: o.jobs, CandidatePath: o.candidate, CandidateSHA256: sha,
		Each: func(r shadow.Record) { printShadowLine(a, r) },
	})
	fmt.Fprint(a.stdout, final.Text(termsafe.String))
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust shadow:", errText(err))
		return exitIncomplete
	}
	if final.Rejected > 0 {
		return exitFindings
	}
	return exitOK
}

// shadowLogKind caps a shadow log read whole (the summary at start, the
// TUI): a million images log about 400 MB; --report streams instead.
var shadowLogKind = nodefs.Kind{Name: "shadow log", Max: 1 << 30}

func printShadowLine(a *app, r shadow.Record) {
	mark := map[shadow.Verdict]string{shadow.Accepted: "accepted", shadow.Rejected: "REJECTED", shadow.NotChecked: "not-checked"}
	fmt.Fprintf(a.stdout, "%s  live %-11s candidate %-11s %s: %s\n", r.Time.Format(time.RFC3339), mark[r.Live], mark[r.Candidate],
		termsafe.String(r.Reference), termsafe.String(r.Reason))
}

// shadowEvaluators builds the live and candidate verifiers; live is nil
// when the command must exit with code.
func shadowEvaluators(a *app, g *globalFlags, paths policyio.Paths, o shadowFlags) (live, candidate shadow.Evaluator, sha string, code int) {
	det, err := g.detectMechanism(paths)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust shadow:", errText(err))
		return nil, nil, "", exitUsage
	}
	mech := det.Mechanism
	if g.mechanism == "" || g.mechanism == "auto" {
		mech = ""
	}
	base := verify.Options{Paths: paths, Mechanism: mech, TLSVerify: o.tlsVerify, Timeout: o.timeout, RuntimeVersion: g.runtimeVersion}
	if _, err := verify.New(base); err != nil {
		fmt.Fprintln(a.stderr, "imgtrust shadow: the live configuration:", errText(err))
		return nil, nil, "", exitUsage
	}
	// The live side follows the node's files over a soak of days; the
	// candidate is fixed (a new candidate is a new soak).
	lv := &shadow.Reloading{
		Stamp: func() string { return liveStamp(paths) },
		Build: func() (shadow.Evaluator, error) {
			v, err := verify.New(base)
			if err != nil {
				return nil, fmt.Errorf("the live configuration: %w", err)
			}
			return shadow.VerifierEvaluator{V: v}, nil
		},
		Every: 5 * time.Second,
	}
	// The candidate is a file of this machine (the admin's draft), not
	// of the node: read it without --root.
	local := nodefs.FS{}
	pf, err := policyio.LoadPolicyFrom(local, o.candidate)
	if err == nil && !pf.Exists {
		err = fmt.Errorf("%s: %w", o.candidate, fs.ErrNotExist)
	}
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust shadow: --candidate:", errText(err))
		return nil, nil, "", exitUsage
	}
	if pf.Diags.HasErrors() {
		printDiagnostics(a.stderr, pf.Diags.Sorted())
		fmt.Fprintln(a.stderr, "imgtrust shadow: --candidate is invalid: the runtime would fail every pull under it")
		return nil, nil, "", exitUsage
	}
	copts := base
	copts.Policy, copts.PolicyLabel = pf.Policy, "candidate"
	sha = pf.SHA256
	if o.candidateRD != "" {
		skip, basis := det.SkipsYAMLDirectories()
		rd, diags := policyio.LoadRegistriesDFor(local, o.candidateRD, policyio.RegistriesRuntime{SkipYAMLDirectories: skip, Basis: basis})
		if diags.HasErrors() {
			printDiagnostics(a.stderr, diags.Sorted())
			fmt.Fprintln(a.stderr, "imgtrust shadow: --candidate-registries.d is invalid")
			return nil, nil, "", exitUsage
		}
		copts.Registries = rd
		// The soak is of the pair: another registries.d is another candidate.
		sha = safefile.SHA256([]byte(sha + "\x00" + o.candidateRD))
	}
	cv, err := verify.New(copts)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust shadow: the candidate:", errText(err))
		return nil, nil, "", exitUsage
	}
	return lv, shadow.VerifierEvaluator{V: cv}, sha, exitOK
}

// liveStamp is what the live configuration is now: the hashes of
// policy.json and of every file in registries.d. Key files are read by
// verify at each check, so they need no stamp.
func liveStamp(paths policyio.Paths) string {
	var b strings.Builder
	h, err := safefile.HashIn(paths.FS(), paths.Policy)
	fmt.Fprintf(&b, "%s %v\n", h, err)
	files, _ := paths.FS().Glob(paths.RegistriesD, "*")
	for _, f := range files {
		h, err := safefile.HashIn(paths.FS(), f)
		fmt.Fprintf(&b, "%s %s %v\n", f, h, err)
	}
	return b.String()
}

func shadowReport(a *app, paths policyio.Paths, logPath string) int {
	f, err := paths.FS().Open(paths.Host(logPath), shadowLogKind)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust shadow --report:", errText(err))
		return exitUsage
	}
	defer f.Close()
	s, err := shadow.ReadLog(f, nil)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust shadow --report:", errText(err))
		return exitIncomplete
	}
	fmt.Fprint(a.stdout, s.Text(termsafe.String))
	if s.Rejected > 0 {
		return exitFindings
	}
	return exitOK
}

// openAppend opens a node file for appending, inside the root, creating
// it and its directory. A FIFO or device put in its place is refused.
func openAppend(node nodefs.FS, host string) (*os.File, error) {
	abs, err := node.Resolve(host)
	if err != nil {
		return nil, err
	}
	dir, err := node.OpenDir(filepath.Dir(abs), true)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	f, err := dir.OpenFile(filepath.Base(abs), os.O_CREATE|os.O_APPEND|os.O_WRONLY|syscall.O_NONBLOCK, 0o640)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, errors.New(host + " is not a regular file")
	}
	return f, nil
}

// tuiShadow reads the node's shadow log for the Overview. The Overview
// asks every few seconds; a log of a long soak is large, so it is read
// again only when its size or time changed. Status is called from one
// tea.Cmd at a time (the next is scheduled by the result).
type tuiShadow struct {
	paths policyio.Paths
	// runner says which recorded soak still runs (the Overview's stop).
	runner tuiShadowRunner
	size   int64
	mtime  time.Time
	last   ui.ShadowStatus
}

func (t *tuiShadow) Status() (ui.ShadowStatus, bool, error) {
	f, err := t.paths.FS().Open(t.paths.Host(DefaultShadowLog), shadowLogKind)
	if errors.Is(err, fs.ErrNotExist) {
		return ui.ShadowStatus{}, false, nil
	}
	if err != nil {
		return ui.ShadowStatus{}, false, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		if fi.Size() == t.size && fi.ModTime().Equal(t.mtime) && t.last.Headline != "" {
			t.last.PID = t.runner.running()
			return t.last, true, nil
		}
		t.size, t.mtime = fi.Size(), fi.ModTime()
	}
	s, err := shadow.ReadLog(f, nil)
	if err != nil {
		return ui.ShadowStatus{}, false, err
	}
	st := ui.ShadowStatus{Headline: s.Headline(), Rejected: s.Rejected, Running: !s.Stopped, PID: t.runner.running()}
	for _, r := range s.Examples {
		st.Examples = append(st.Examples, r.Reference+": "+r.Reason)
	}
	t.last = st
	return st, true, nil
}
