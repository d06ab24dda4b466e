package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/termsafe"
	"github.com/kios/imgtrust/trial"
)

// trialWatchCommand is the hidden subcommand of the detached watcher: the
// imgtrust binary re-executed in a session of its own, so that neither a
// lost terminal (SIGHUP to the session) nor a kill of the applying
// process stops the revert.
const trialWatchCommand = "__trial-watch"

// tryFlags is --try, accepted by every change command. set tells
// "--try 0s" (refused: a trial of no time) from no --try at all; with a
// plain duration flag, --try 0s applied the change for good.
type tryFlags struct {
	d   time.Duration
	set bool
}

func (t *tryFlags) register(fs *flag.FlagSet) {
	fs.Var(t, "try", "apply the change for `DURATION`, then put the previous files back unless imgtrust confirm is run in time")
}

func (t *tryFlags) String() string {
	if t == nil || !t.set {
		return ""
	}
	return t.d.String()
}

func (t *tryFlags) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return errors.New("want a duration such as 5m or 90s")
	}
	t.d, t.set = d, true
	return nil
}

// changeVerbs are the commands that write node files: each takes --try,
// and each is refused while a trial is in progress (its revert would
// undo the later change as well).
var changeVerbs = map[string]bool{
	"policy default": true, "policy set": true, "policy remove": true,
	"keys import": true, "keys remove": true,
	"lookaside set": true, "lookaside remove": true,
}

func trialStore(paths node.Paths) trial.Store {
	return trial.Store{Paths: paths, AuditLog: paths.AuditLog()}
}

// trialStartup runs at the start of every command: a trial past its
// deadline is reverted now (its watcher is gone: killed, or the node
// rebooted), and a failed revert is reported, loudly, every time.
func (a *app) trialStartup(paths node.Paths) {
	out, err := trialStore(paths).CheckDue("")
	if err != nil {
		fmt.Fprintf(a.stderr, "imgtrust: WARNING: the trial record could not be checked: %s\n", errText(err))
	}
	if r := out.Reverted; r != nil {
		fmt.Fprintf(a.stderr, "imgtrust: the trial change %q was not confirmed by %s: reverted now (%s)\n",
			termsafe.String(r.Summary), r.Deadline.Local().Format(time.RFC3339), fileList(r))
	}
	if r := out.Failed; r != nil {
		fmt.Fprintf(a.stderr, "imgtrust: WARNING: THE REVERT OF THE TRIAL CHANGE %q FAILED; these files are NOT as they were:\n", termsafe.String(r.Summary))
		for _, f := range r.Failures {
			fmt.Fprintf(a.stderr, "imgtrust:   %s\n", termsafe.String(f))
		}
		fmt.Fprintf(a.stderr, "imgtrust: their previous contents are in %s; restore them, then run imgtrust confirm to clear this\n", trial.RecordPath)
	}
}

func fileList(r *trial.Record) string {
	var names []string
	for _, f := range r.Files {
		names = append(names, termsafe.String(f.Path))
	}
	return strings.Join(names, ", ")
}

// trialBusy refuses a change while a trial is recorded: its revert would
// undo the change too. The TUI's key and look-aside edits ask it.
func trialBusy(paths node.Paths) error {
	cur, err := trialStore(paths).Load()
	if err != nil {
		return err
	}
	if cur != nil {
		return fmt.Errorf("refused, nothing was written: %w", &trial.BusyError{Record: cur})
	}
	return nil
}

// withTrial runs a change command's apply: refused while a trial is in
// progress; with --try, the files it wrote become a trial.
func (a *app) withTrial(name string, pos []string, paths node.Paths, t tryFlags, apply func() int) int {
	if err := trialBusy(paths); err != nil {
		fmt.Fprintf(a.stderr, "imgtrust %s: %s\n", name, errText(err))
		return exitFindings
	}
	if !t.set {
		return apply()
	}
	if t.d <= 0 {
		fmt.Fprintf(a.stderr, "imgtrust %s: --try %s: want a positive duration\n", name, t.d)
		return exitUsage
	}
	before, err := trial.Capture(paths)
	if err != nil {
		fmt.Fprintf(a.stderr, "imgtrust %s: refused, nothing was written: %s\n", name, errText(err))
		return exitFindings
	}
	code := apply()
	// Whatever the exit code, files written are part of the trial: a
	// command that wrote one file and failed on the next is reverted too.
	files, err := trial.Changed(paths, before)
	if err != nil {
		fmt.Fprintf(a.stderr, "imgtrust %s: WARNING: the change cannot be tried: %s; it stays applied\n", name, errText(err))
		return exitFindings
	}
	if len(files) == 0 {
		fmt.Fprintf(a.stderr, "imgtrust %s: --try: nothing was written, nothing to revert\n", name)
		return code
	}
	summary := strings.TrimSpace("imgtrust " + name + " " + strings.Join(pos, " "))
	rec, werr, err := beginTrial(paths, summary, files, t.d)
	if err != nil {
		fmt.Fprintf(a.stderr, "imgtrust %s: WARNING: the change was applied but could not be made a trial: %s\n", name, errText(err))
		return exitFindings
	}
	if werr != nil {
		fmt.Fprintf(a.stderr, "imgtrust %s: WARNING: no watcher could be started (%s): the change is reverted by the first imgtrust command after the deadline\n", name, errText(werr))
	}
	fmt.Fprintf(a.stderr, "imgtrust %s: trial: %s applied; run `imgtrust confirm` by %s to keep it, or it is put back as it was\n",
		name, fileList(rec), rec.Deadline.Local().Format("15:04:05"))
	// A real terminal only: /dev/null is a character device too.
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(f.Fd()) {
		a.promptConfirm(paths, rec)
	}
	return code
}

// beginTrial records files as a trial of d and starts its watcher; werr
// says the watcher could not be started (the next command after the
// deadline reverts then).
func beginTrial(paths node.Paths, summary string, files []trial.File, d time.Duration) (rec *trial.Record, werr, err error) {
	store := trialStore(paths)
	rec, err = store.Begin(summary, "", files, d)
	if err != nil {
		return nil, nil, err
	}
	pid, werr := spawnWatcher(paths, rec.ID)
	if werr == nil {
		_ = store.SetWatcher(rec.ID, pid)
	}
	return rec, werr, nil
}

// notOnTrialError is a save that was written but whose trial could not
// be recorded: the change stays, with no revert.
type notOnTrialError struct{ err error }

func (e *notOnTrialError) Error() string { return "saved, but not on trial: " + e.err.Error() }
func (e *notOnTrialError) Unwrap() error { return e.err }
func (e *notOnTrialError) Written() bool { return true }

// tuiTrial is the TUI's save on trial.
type tuiTrial struct{ paths node.Paths }

func (t tuiTrial) Try(save func() error, d time.Duration) (time.Time, error) {
	store := trialStore(t.paths)
	if cur, err := store.Load(); err != nil {
		return time.Time{}, err
	} else if cur != nil {
		return time.Time{}, &trial.BusyError{Record: cur}
	}
	before, err := trial.Capture(t.paths)
	if err != nil {
		return time.Time{}, err
	}
	if err := save(); err != nil {
		return time.Time{}, err
	}
	files, err := trial.Changed(t.paths, before)
	if err != nil {
		return time.Time{}, &notOnTrialError{err}
	}
	rec, _, err := beginTrial(t.paths, "TUI save", files, d)
	if err != nil {
		return time.Time{}, &notOnTrialError{err}
	}
	return rec.Deadline, nil
}

func (t tuiTrial) Confirm() error {
	r, err := trialStore(t.paths).Confirm()
	if err == nil && r == nil {
		return errors.New("no trial in progress: it was reverted at its deadline")
	}
	return err
}

// Pending: a failed revert is an error, not "no trial": the save dialog
// refuses then, as trialBusy does for the commands.
func (t tuiTrial) Pending() (time.Time, bool, error) {
	r, err := trialStore(t.paths).Load()
	if err != nil || r == nil {
		return time.Time{}, false, err
	}
	if r.State != trial.Pending {
		return time.Time{}, false, &trial.BusyError{Record: r}
	}
	return r.Deadline, true, nil
}

// promptConfirm waits on the terminal for the admin to confirm: an admin
// who can still type is still connected, so the change did not cut them
// off. A lost terminal or ctrl+c leaves the trial to its watcher.
func (a *app) promptConfirm(paths node.Paths, rec *trial.Record) {
	fmt.Fprintf(a.stderr, "type yes and Enter to keep the change now: ")
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(a.stdin).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sig)
	select {
	case s := <-line:
		if s == "yes" {
			// The answer goes where the question went: stdout is the
			// change command's, one JSON document with --json.
			talk := *a
			talk.stdout = a.stderr
			talk.confirm(paths, false)
			return
		}
		fmt.Fprintln(a.stderr, "not confirmed: the trial goes on until its deadline (imgtrust confirm keeps it)")
	case <-sig:
		fmt.Fprintln(a.stderr, "\nnot confirmed: the trial goes on until its deadline (imgtrust confirm keeps it)")
	case <-time.After(time.Until(rec.Deadline)):
		fmt.Fprintln(a.stderr, "\nthe deadline passed: the watcher reverts the change")
	}
}

// spawnWatcher starts the detached watcher for trial id and returns its
// process id.
func spawnWatcher(paths node.Paths, id string) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	// The watcher runs from /, so a relative --root ("./node") must not
	// reach it relative.
	root, err := filepath.Abs(paths.Root)
	if err != nil {
		return 0, err
	}
	// The watcher reverts only the files of this layout (trial.Store
	// refuses others), so it gets the same policy, registries.d and keys
	// directory, absolute for the same reason.
	args := []string{trialWatchCommand, "--root", root, "--id", id}
	for _, f := range []struct{ flag, path string }{{"--policy", paths.Policy}, {"--registries.d", paths.RegistriesD}, {"--keys-dir", paths.KeysDir}} {
		abs, err := filepath.Abs(f.path)
		if err != nil {
			return 0, err
		}
		args = append(args, f.flag, abs)
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = "/"
	// Its own session: no controlling terminal, not in the applying
	// process's group, so a hang-up or a kill of that group spares it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	// Reaped if this process lives longer (the TUI); else init adopts it.
	go func() { _ = cmd.Wait() }()
	return pid, nil
}

// runTrialWatch is the watcher: it polls the record until the trial is
// confirmed (the record is gone or another's) or its deadline passes,
// then reverts.
func runTrialWatch(a *app, args []string) int {
	fs := flag.NewFlagSet(trialWatchCommand, flag.ContinueOnError)
	root := fs.String("root", "/", "")
	id := fs.String("id", "", "")
	poll := fs.Duration("poll", 200*time.Millisecond, "")
	policy := fs.String("policy", "", "")
	regD := fs.String("registries.d", "", "")
	keysDir := fs.String("keys-dir", "", "")
	if err := fs.Parse(args); err != nil || *id == "" {
		return exitUsage
	}
	// The watcher outlives any terminal: a hang-up is no reason to stop.
	signal.Ignore(syscall.SIGHUP)
	store := trialStore(node.NewPaths(*root, *policy, *regD, *keysDir))
	for {
		r, err := store.Load()
		if err != nil || r == nil || r.ID != *id || r.State != trial.Pending {
			return exitOK
		}
		if !time.Now().Before(r.Deadline) {
			out, err := store.CheckDue(*id)
			if err != nil || out.Failed != nil {
				return exitFindings
			}
			return exitOK
		}
		time.Sleep(min(*poll, time.Until(r.Deadline)))
	}
}

const confirmUsage = `usage: imgtrust confirm [global flags]

Keeps the change of a trial (a change command run with --try): the previous
files are not put back. After a failed revert, clears the warning once the files
have been restored by hand. With --json, one object: "result" is confirmed,
cleared (a failed revert acknowledged), discarded-unreadable (an unreadable
record moved aside), none or error. Exit 0: confirmed, cleared or discarded;
1: no trial in progress, or the record could not be changed.`

// confirmReport is confirm --json.
type confirmReport struct {
	Result  string   `json:"result"`
	Summary string   `json:"summary,omitempty"`
	Files   []string `json:"files"`
	// Aside is where an unreadable record was moved (a node path).
	Aside string `json:"aside,omitempty"`
	Error string `json:"error,omitempty"`
}

func runConfirm(a *app, args []string) int {
	var g globalFlags
	fs := flag.NewFlagSet("imgtrust confirm", flag.ContinueOnError)
	g.register(fs)
	setUsage(fs, confirmUsage)
	_, paths, code, ok := a.parseCommand("confirm", fs, &g, args, 0)
	if !ok {
		return code
	}
	return a.confirm(paths, g.json)
}

func (a *app) confirm(paths node.Paths, asJSON bool) int {
	r, err := trialStore(paths).Confirm()
	rep := confirmReport{Files: []string{}}
	code := exitOK
	var unreadable *trial.UnreadableError
	switch {
	case errors.As(err, &unreadable):
		rep.Result, rep.Aside, rep.Error = "discarded-unreadable", unreadable.Aside, err.Error()
		if !asJSON {
			fmt.Fprintln(a.stdout, "imgtrust confirm: the trial record was unreadable:", errText(err))
		}
	case err != nil:
		rep.Result, rep.Error, code = "error", err.Error(), exitFindings
		fmt.Fprintln(a.stderr, "imgtrust confirm:", errText(err))
	case r == nil:
		rep.Result, code = "none", exitFindings
		fmt.Fprintln(a.stderr, "imgtrust confirm: no trial in progress")
	default:
		rep.Result, rep.Summary = "confirmed", r.Summary
		if r.State == trial.RevertFailed {
			rep.Result = "cleared"
		}
		for _, f := range r.Files {
			rep.Files = append(rep.Files, f.Path)
		}
		switch {
		case asJSON:
		case r.State == trial.RevertFailed:
			fmt.Fprintf(a.stdout, "the failed revert of %q is cleared\n", termsafe.String(r.Summary))
		default:
			fmt.Fprintf(a.stdout, "confirmed: %q stays applied (%s)\n", termsafe.String(r.Summary), fileList(r))
		}
	}
	if asJSON {
		if werr := writeJSON(a.stdout, rep); werr != nil {
			return exitUsage
		}
	}
	return code
}
