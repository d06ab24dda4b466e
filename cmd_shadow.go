package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/kios/imgtrust/node"
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

--report prints the summary of a log (a node path; default ` + DefaultShadowLog + `;
with --json, as one JSON object). A running shadow with --json prints JSON lines:
{"event":"start",...}, then one per image as logged ({"event":"image",...}),
then {"event":"summary",...} (the fields of --report --json; "error" when the
soak could not go on).
Exit 0: nothing would have been rejected; 1: something would have been; 2: usage
or an invalid candidate (said on stderr only); 3: the soak could not go on (the
log could not be written).`

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
		return shadowReport(a, paths, logPath, g.json)
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
	if where := configFileAt(paths, logHost); where != "" {
		fmt.Fprintf(a.stderr, "imgtrust shadow: --log %s is %s: the runtime reads it, refusing to append to it\n", termsafe.String(o.log), where)
		return exitUsage
	}
	// Carry on the soak: the log's images judged under this candidate are
	// not judged again, and they count in the summary.
	seen, sum := shadow.NewSeen(), &shadow.Summary{}
	// Streamed: a log of a long soak is hundreds of MB.
	f, err := paths.FS().Open(logHost, shadowLogKind)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		// A FIFO, device, directory or unreadable file: never opened
		// for appending either.
		fmt.Fprintf(a.stderr, "imgtrust shadow: --log: %s: refusing to append to it\n", errText(err))
		return exitUsage
	default:
		s, _ := shadow.ReadLog(f, func(c string, r shadow.Record) {
			if c == sha && r.Event == shadow.EventImage {
				seen.Add(r.Reference, r.Digest)
			}
		})
		size := int64(0)
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		f.Close()
		// Appending is no atomic write: a --log (or a symlink in its
		// place) naming policy.json or any other file would be
		// corrupted line by line. Only an empty file or a shadow log
		// is appended to.
		if size > 0 && s.Starts == 0 && s.Pulls == 0 && !s.Stopped {
			fmt.Fprintf(a.stderr, "imgtrust shadow: the log %s is not a shadow log (no shadow record in it): refusing to append to it\n", termsafe.String(o.log))
			return exitUsage
		}
		if s.CandidateSHA256 == sha {
			*sum = s
			sum.BadLines, sum.OtherCandidates = 0, 0
		}
	}
	logFile, err := openAppend(paths.FS(), logHost, shadowLogKind)
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
	each := func(r shadow.Record) { printShadowLine(a, r) }
	if g.json {
		writeJSONLine(a.stdout, shadowStartJSON{Event: "start", Candidate: o.candidate, CandidateSHA256: sha, Log: o.log})
		each = func(r shadow.Record) { writeJSONLine(a.stdout, r) }
	} else {
		fmt.Fprintf(a.stdout, "shadow: candidate %s (sha256 %s), logging to %s; stop with ctrl+c or SIGTERM\n",
			termsafe.String(o.candidate), sha[:12], termsafe.String(o.log))
	}
	final, err := shadow.Run(ctx, shadow.Options{
		Paths: paths, Live: live, Candidate: candidate, Log: logFile, Seen: seen, Summary: sum,
		Interval: o.interval, Jobs: o.jobs, CandidatePath: o.candidate, CandidateSHA256: sha,
		Each: each,
		Unreadable: func(err error) {
			fmt.Fprintf(a.stderr, "imgtrust shadow: WARNING: %s (retried; images it lists are not judged meanwhile)\n", errText(err))
		},
	})
	if g.json {
		line := shadowSummaryLine{Event: "summary", shadowReportJSON: summaryJSON(o.log, final)}
		if err != nil {
			line.Error = err.Error()
		}
		writeJSONLine(a.stdout, line)
	} else {
		fmt.Fprint(a.stdout, final.Text(termsafe.String))
	}
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust shadow:", errText(err))
		return exitIncomplete
	}
	if final.Rejected > 0 {
		return exitFindings
	}
	return exitOK
}

// shadowLogKind bounds a shadow log. Every reader streams it (memory is
// the summary's, not the log's), so the bound is only against a file that
// never ends: a million pulls log about 320 MB, and a soak of a busy node
// must not become unreadable past 1 GB.
var shadowLogKind = nodefs.Kind{Name: "shadow log", Max: 64 << 30}

func printShadowLine(a *app, r shadow.Record) {
	mark := map[shadow.Verdict]string{shadow.Accepted: "accepted", shadow.Rejected: "REJECTED", shadow.NotChecked: "not-checked"}
	fmt.Fprintf(a.stdout, "%s  live %-11s candidate %-11s %s: %s\n", r.Time.Format(time.RFC3339), mark[r.Live], mark[r.Candidate],
		termsafe.String(r.Reference), termsafe.String(r.Reason))
}

// shadowEvaluators builds the live and candidate verifiers; live is nil
// when the command must exit with code.
func shadowEvaluators(a *app, g *globalFlags, paths node.Paths, o shadowFlags) (live, candidate shadow.Evaluator, sha string, code int) {
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
func liveStamp(paths node.Paths) string {
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

// shadowReportJSON is --report --json: the summary's counts, the listed
// examples as logged (JSON escapes them; nothing is cut).
type shadowReportJSON struct {
	Log             string          `json:"log"`
	First           time.Time       `json:"first"`
	Last            time.Time       `json:"last"`
	Pulls           int             `json:"pulls"`
	Rejected        int             `json:"rejected"`
	NotChecked      int             `json:"not_checked"`
	LiveRejected    int             `json:"live_rejected"`
	Runs            int             `json:"runs"`
	CandidateSHA256 string          `json:"candidate_sha256"`
	OtherCandidates int             `json:"other_candidate_runs"`
	BadLines        int             `json:"bad_lines"`
	Stopped         bool            `json:"stopped"`
	Examples        []shadow.Record `json:"examples"`
}

// summaryJSON is the JSON form of a soak's summary.
func summaryJSON(logPath string, s shadow.Summary) shadowReportJSON {
	if s.Examples == nil {
		s.Examples = []shadow.Record{} // embedded in shadowSummaryLine, emptyLists does not see it
	}
	return shadowReportJSON{Log: logPath, First: s.First, Last: s.Last, Pulls: s.Pulls, Rejected: s.Rejected,
		NotChecked: s.NotChecked, LiveRejected: s.LiveRejected, Runs: s.Starts, CandidateSHA256: s.CandidateSHA256,
		OtherCandidates: s.OtherCandidates, BadLines: s.BadLines, Stopped: s.Stopped, Examples: s.Examples}
}

// shadowStartJSON opens a running shadow's --json lines.
type shadowStartJSON struct {
	Event           string `json:"event"`
	Candidate       string `json:"candidate"`
	CandidateSHA256 string `json:"candidate_sha256"`
	Log             string `json:"log"`
}

// shadowSummaryLine ends a running shadow's --json lines.
type shadowSummaryLine struct {
	Event string `json:"event"`
	shadowReportJSON
	Error string `json:"error,omitempty"`
}

// writeJSONLine writes v as one line of JSON: a running command's output
// is a stream a script reads line by line (jq -c, a log shipper).
func writeJSONLine(w io.Writer, v any) error {
	if rv := reflect.ValueOf(v); rv.IsValid() {
		v = emptyLists(rv).Interface()
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(termsafe.JSON(data), '\n'))
	return err
}

func shadowReport(a *app, paths node.Paths, logPath string, asJSON bool) int {
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
	if asJSON {
		writeJSON(a.stdout, summaryJSON(logPath, s))
	} else {
		fmt.Fprint(a.stdout, s.Text(termsafe.String))
	}
	if s.Rejected > 0 {
		return exitFindings
	}
	return exitOK
}

// openAppend opens a node file of kind k for appending, inside the root,
// creating it and its directory. What is there is looked at before it is
// opened: a FIFO could block the open or take the lines, a device be
// written to, a terminal become the controlling one of a detached shadow.
// Should the file be replaced between the look and the open, the open
// does not wait (O_NONBLOCK), takes no terminal (O_NOCTTY), creates only
// where nothing was (O_EXCL), and the file opened must be the one looked at.
func openAppend(node nodefs.FS, host string, k nodefs.Kind) (*os.File, error) {
	abs, err := node.Resolve(host)
	if err != nil {
		return nil, err
	}
	dir, err := node.OpenDir(filepath.Dir(abs), true)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	name := filepath.Base(abs)
	flags := os.O_APPEND | os.O_WRONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY
	before, err := dir.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		before, flags = nil, flags|os.O_CREATE|os.O_EXCL
	case err != nil:
		return nil, fmt.Errorf("inspecting %s: %w", host, err)
	default:
		if err := nodefs.CheckRegular(abs, k, before); err != nil {
			return nil, err
		}
	}
	f, err := dir.OpenFile(name, flags, 0o640)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", host, err)
	}
	fi, err := f.Stat()
	if err == nil && (!fi.Mode().IsRegular() || before != nil && !os.SameFile(before, fi)) {
		err = errors.New("it changed while imgtrust opened it")
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening %s: %w", host, err)
	}
	return f, nil
}

// tuiShadow reads the node's shadow log for the Overview. The Overview
// asks every few seconds while a shadow appends to a log that grows to
// hundreds of MB over a soak: only the bytes appended since the last look
// are read (the whole log again when it was replaced or truncated).
// Status is called from one tea.Cmd at a time (the next is scheduled by
// the result).
type tuiShadow struct {
	paths node.Paths
	lr    *shadow.LogReader
	off   int64  // bytes of the log lr has consumed
	ino   uint64 // the log's inode: another file means another log
	size  int64
	mtime time.Time
	last  ui.ShadowStatus
	// runner says which recorded soak still runs (the Overview's stop).
	runner tuiShadowRunner
	// read is how many bytes the last Status read (tests).
	read int64
}

func (t *tuiShadow) Status() (ui.ShadowStatus, bool, error) {
	t.read = 0
	f, err := t.paths.FS().Open(t.paths.Host(DefaultShadowLog), shadowLogKind)
	if errors.Is(err, fs.ErrNotExist) {
		t.lr = nil
		return ui.ShadowStatus{}, false, nil
	}
	if err != nil {
		return ui.ShadowStatus{}, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ui.ShadowStatus{}, false, err
	}
	var ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = st.Ino
	}
	if t.lr != nil && fi.Size() == t.size && fi.ModTime().Equal(t.mtime) && ino == t.ino {
		t.last.PID = t.runner.running()
		return t.last, true, nil
	}
	if t.lr == nil || ino != t.ino || fi.Size() < t.off {
		t.lr, t.off = shadow.NewLogReader(nil), 0
	}
	t.ino, t.size, t.mtime = ino, fi.Size(), fi.ModTime()
	if _, err := f.Seek(t.off, io.SeekStart); err != nil {
		return ui.ShadowStatus{}, false, err
	}
	n, err := t.lr.Read(f, false)
	t.off += n
	t.read = n
	if err != nil {
		t.lr = nil
		return ui.ShadowStatus{}, false, err
	}
	s := t.lr.Summary()
	st := ui.ShadowStatus{Headline: s.Headline(), Rejected: s.Rejected, Running: !s.Stopped, PID: t.runner.running()}
	for _, r := range s.Examples {
		st.Examples = append(st.Examples, r.Reference+": "+r.Reason)
	}
	t.last = st
	return st, true, nil
}

// configFileAt says which of the runtime's configuration files host is
// (after symlinks), "" for none: the policy, or a file in registries.d
// or the keys directory, where a new file is read by the runtime too.
func configFileAt(paths node.Paths, host string) string {
	node := paths.FS()
	res, err := node.Resolve(host)
	if err != nil {
		return ""
	}
	same := func(p string) bool {
		r, err := node.Resolve(p)
		return err == nil && r == res
	}
	inDir := func(d string) bool {
		r, err := node.Resolve(d)
		return err == nil && filepath.Dir(res) == r
	}
	switch {
	case same(paths.Policy):
		return "the policy"
	case inDir(paths.RegistriesD):
		return "in registries.d"
	case inDir(paths.KeysDir):
		return "in the keys directory"
	}
	return ""
}
