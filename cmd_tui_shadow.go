package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/safefile"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/workspace"
)

// The TUI's "try the staged policy in shadow" (issue 17 §1): the reviewed
// change is written as a candidate beside the shadow log and a detached
// `imgtrust shadow --candidate` soaks it, as the trial watcher is
// detached, so that it outlives the TUI. Its pid is recorded beside the
// log for the Overview's stop.

const (
	// shadowPIDFile records the soak the TUI started.
	shadowPIDFile = "/var/lib/imgtrust/shadow.pid"
	// shadowErrFile takes the detached soak's stderr: an error at its
	// start (an unreadable candidate) would be lost otherwise.
	shadowErrFile = "/var/lib/imgtrust/shadow.err"
)

var shadowPIDKind = nodefs.Kind{Name: "shadow pid file", Max: 64 << 10}

// shadowRecord is the pid file's content.
type shadowRecord struct {
	PID        int       `json:"pid"`
	Candidate  string    `json:"candidate"`
	Registries string    `json:"candidate_registries_d,omitempty"`
	Started    time.Time `json:"started"`
}

// tuiShadowRunner is the TUI's ShadowRunner.
type tuiShadowRunner struct {
	paths     node.Paths
	tlsVerify bool
	// start runs `imgtrust ARGS` detached and returns its pid; nil:
	// startDetached (tests inject a fake).
	start func(paths node.Paths, args []string) (int, error)
	// alive says whether pid is the soak of candidate (host path); nil:
	// shadowAlive.
	alive func(pid int, candidate string) bool
	now   func() time.Time
}

func (t tuiShadowRunner) isAlive(r *shadowRecord) bool {
	if r == nil || r.PID <= 0 {
		return false
	}
	// The process was given the candidate's absolute host path.
	cand, err := filepath.Abs(t.paths.Host(r.Candidate))
	if err != nil {
		return false
	}
	if t.alive != nil {
		return t.alive(r.PID, cand)
	}
	return shadowAlive(r.PID, cand)
}

// record reads the pid file; nil when there is none.
func (t tuiShadowRunner) record() (*shadowRecord, error) {
	data, err := t.paths.FS().ReadFile(t.paths.Host(shadowPIDFile), shadowPIDKind)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r shadowRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", shadowPIDFile, err)
	}
	return &r, nil
}

func (t tuiShadowRunner) write(node string, data []byte, expect string) error {
	// A candidate is never written where the runtime reads its own
	// configuration (--keys-dir or --registries.d pointed at the state
	// directory): a new file there would be read on the next pull.
	if what := configFileAt(t.paths, t.paths.Host(node)); what != "" {
		return fmt.Errorf("refusing to write the shadow's %s: it is %s the runtime reads", node, what)
	}
	_, err := safefile.Write(t.paths.Host(node), data, safefile.Options{ExpectSHA256: expect, Mode: 0o644, FS: t.paths.FS()})
	return err
}

func (t tuiShadowRunner) Start(rev *workspace.Review) (ui.ShadowRun, error) {
	if r, err := t.record(); err != nil {
		return ui.ShadowRun{}, err
	} else if t.isAlive(r) {
		return ui.ShadowRun{}, fmt.Errorf("a shadow soak is already running (pid %d, candidate %s): stop it first (Overview, x)", r.PID, r.Candidate)
	}
	now := time.Now
	if t.now != nil {
		now = t.now
	}
	stamp := now().UTC().Format("20060102T150405.000Z")
	dir := path.Dir(DefaultShadowLog)
	run := ui.ShadowRun{Candidate: path.Join(dir, "candidate-"+stamp+".json")}
	// The candidate is the policy as the save would write it, else the
	// one on disk (a change of registries.d only).
	var policy []byte
	rdChanged, keysChanged := false, false
	for _, f := range rev.Files {
		switch f.Kind {
		case workspace.KindPolicy:
			policy = f.New
		case workspace.KindRegistries:
			rdChanged = true
		case workspace.KindKey:
			keysChanged = true
		}
	}
	if policy == nil {
		var err error
		if policy, err = t.paths.FS().ReadFile(t.paths.Policy, nodefs.PolicyFile); err != nil {
			return ui.ShadowRun{}, fmt.Errorf("reading the policy for the candidate: %w", err)
		}
	}
	if keysChanged {
		run.Note = "staged key files are not part of it: the shadow reads the node's keys"
	}
	if err := t.write(run.Candidate, policy, safefile.ExpectAbsent); err != nil {
		return ui.ShadowRun{}, fmt.Errorf("writing the candidate: %w", err)
	}
	args := []string{"shadow", "--root", t.paths.Root, "--policy", t.paths.Policy, "--registries.d", t.paths.RegistriesD,
		"--keys-dir", t.paths.KeysDir, "--tls-verify=" + strconv.FormatBool(t.tlsVerify), "--candidate", t.paths.Host(run.Candidate)}
	if rdChanged {
		run.Registries = path.Join(dir, "candidate-"+stamp+".registries.d")
		if err := t.writeRegistries(run.Registries, rev); err != nil {
			return ui.ShadowRun{}, err
		}
		args = append(args, "--candidate-registries.d", t.paths.Host(run.Registries))
	}
	start := t.start
	if start == nil {
		start = startDetached
	}
	pid, err := start(t.paths, args)
	if err != nil {
		return ui.ShadowRun{}, fmt.Errorf("starting imgtrust shadow: %w", err)
	}
	run.PID = pid
	rec, _ := json.Marshal(shadowRecord{PID: pid, Candidate: run.Candidate, Registries: run.Registries, Started: now().UTC()})
	if err := t.write(shadowPIDFile, append(rec, '\n'), safefile.ExpectAny); err != nil {
		return run, fmt.Errorf("started (pid %d), but its pid could not be recorded: %w", pid, err)
	}
	return run, nil
}

// writeRegistries writes registries.d as the save would leave it: every
// file on disk, with the reviewed change's files replaced, added or left
// out.
func (t tuiShadowRunner) writeRegistries(node string, rev *workspace.Review) error {
	files := map[string][]byte{}
	names, err := t.paths.FS().Glob(t.paths.RegistriesD, "*")
	if err != nil {
		return fmt.Errorf("reading registries.d for the candidate: %w", err)
	}
	for _, n := range names {
		if fi, err := t.paths.FS().Stat(n); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		data, err := t.paths.FS().ReadFile(n, nodefs.RegistriesDFile)
		if err != nil {
			return fmt.Errorf("reading registries.d for the candidate: %w", err)
		}
		files[filepath.Base(n)] = data
	}
	for _, f := range rev.Files {
		if f.Kind != workspace.KindRegistries || filepath.Dir(f.Path) != filepath.Clean(t.paths.RegistriesD) {
			continue
		}
		if f.Remove {
			delete(files, filepath.Base(f.Path))
		} else {
			files[filepath.Base(f.Path)] = f.New
		}
	}
	for name, data := range files {
		if err := t.write(path.Join(node, name), data, safefile.ExpectAbsent); err != nil {
			return fmt.Errorf("writing the candidate registries.d: %w", err)
		}
	}
	if len(files) == 0 {
		// An empty candidate registries.d is a directory all the same.
		d, err := t.paths.FS().OpenDir(t.paths.Host(node), true)
		if err != nil {
			return fmt.Errorf("writing the candidate registries.d: %w", err)
		}
		d.Close()
	}
	return nil
}

func (t tuiShadowRunner) Stop() (ui.ShadowRun, error) {
	r, err := t.record()
	if err != nil {
		return ui.ShadowRun{}, err
	}
	if r == nil {
		return ui.ShadowRun{}, errors.New("no shadow soak recorded in " + shadowPIDFile)
	}
	run := ui.ShadowRun{PID: r.PID, Candidate: r.Candidate, Registries: r.Registries}
	if t.isAlive(r) {
		// SIGTERM: the soak writes its stop line and summary.
		if err := syscall.Kill(r.PID, syscall.SIGTERM); err != nil {
			return run, fmt.Errorf("stopping pid %d: %w", r.PID, err)
		}
	}
	if _, err := safefile.Remove(t.paths.Host(shadowPIDFile), safefile.Options{ExpectSHA256: safefile.ExpectAny, FS: t.paths.FS()}); err != nil {
		return run, fmt.Errorf("stopped, but %s stays: %w", shadowPIDFile, err)
	}
	return run, nil
}

// running is the recorded soak's pid while it runs, for the Overview.
func (t tuiShadowRunner) running() int {
	r, err := t.record()
	if err != nil || !t.isAlive(r) {
		return 0
	}
	return r.PID
}

// shadowAlive says whether pid is still the shadow of candidate: a pid
// reused by another process after the soak ended must not be killed.
func shadowAlive(pid int, candidate string) bool {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := bytes.Split(cmdline, []byte{0})
	hasShadow, hasCandidate := false, false
	for _, a := range args {
		hasShadow = hasShadow || string(a) == "shadow"
		hasCandidate = hasCandidate || string(a) == candidate
	}
	return hasShadow && hasCandidate
}

// startDetached runs `imgtrust ARGS` in its own session, as the trial
// watcher is started (spawnWatcher): no controlling terminal, not in the
// TUI's process group, so closing the terminal spares it.
func startDetached(paths node.Paths, args []string) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	// It runs from /: relative paths must not reach it relative.
	for i, a := range args {
		if i > 0 && (args[i-1] == "--root" || args[i-1] == "--policy" || args[i-1] == "--registries.d" ||
			args[i-1] == "--keys-dir" || args[i-1] == "--candidate" || args[i-1] == "--candidate-registries.d") {
			if args[i], err = filepath.Abs(a); err != nil {
				return 0, err
			}
		}
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if f, err := openAppend(paths.FS(), paths.Host(shadowErrFile), shadowLogKind); err == nil {
		defer f.Close()
		cmd.Stderr = f
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	go func() { _ = cmd.Wait() }()
	return pid, nil
}
