package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/trial"
	"github.com/kios/imgtrust/ui"
)

// TestMain lets the test binary stand in for imgtrust: a trial's watcher
// is os.Executable() re-run with the hidden subcommand, and
// IMGTRUST_TEST_MAIN=1 runs it as the imgtrust command line (the kill -9
// test needs the applying command in a process of its own).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == trialWatchCommand || os.Getenv("IMGTRUST_TEST_MAIN") == "1" {
		a := &app{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
		os.Exit(a.main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// trialPolicy has odd spacing and key order: a revert must give back
// these bytes, not a re-marshalled policy.
const trialPolicy = `{
  "transports":{"docker": {"quay.io": [{"type": "insecureAcceptAnything"}],
                "example.com": [{"type": "reject"}]}},
    "default": [ {"type": "insecureAcceptAnything"} ]
}
`

func readRecord(t *testing.T, root string) *trial.Record {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, trial.RecordPath))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var r trial.Record
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// waitFor polls cond (a guard against a hung watcher, not a timing
// assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func processGone(pid int) bool {
	// The watcher is this process's child until reaped by spawnWatcher's
	// Wait; a zombie answers kill(0) too, so look at its state.
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	f := strings.Fields(string(data))
	return len(f) > 2 && f[2] == "Z"
}

// snapshotTree returns every file under root except imgtrust's own state
// (trial record, audit log, backups), for byte-for-byte comparison.
func snapshotTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasPrefix(rel, "var/") || strings.HasSuffix(rel, ".imgtrust.bak") {
			return nil
		}
		b, _ := os.ReadFile(p)
		out[rel] = string(b) + "|" + fi.Mode().String()
		return nil
	})
	return out
}

func trialCommands(t *testing.T, root string) map[string][]string {
	key := filepath.Join(t.TempDir(), "pub.gpg")
	os.WriteFile(key, []byte(testPublicKey(t)), 0o644)
	return map[string][]string{
		"policy default":   {"policy", "default", "reject", "--allow-lockout", "--offline"},
		"keys import":      {"keys", "import", key, "--reference", "example.com", "--allow-lockout", "--offline"},
		"lookaside set":    {"lookaside", "set", "example.com", "https://sigs.example.com"},
		"lookaside remove": {"lookaside", "remove", "quay.io"},
	}
}

func trialRoot(t *testing.T) string {
	return scratchRoot(t, trialPolicy, map[string]string{
		"etc/containers/registries.d/quay.yaml": "# quay's signatures\ndocker:\n  quay.io:\n    lookaside: https://quay.example/sigs\n",
		"etc/crio/crio.conf":                    "[crio.image]\npause_image = \"pause.example.org/pause:3.10\"\n",
	})
}

// TestTrialRevertsUnlessConfirmed: each change command with --try writes
// its change, then the watcher puts back the exact previous files when
// nobody confirms; a confirm in time keeps it. The audit log records
// apply, confirm and revert.
func TestTrialRevertsUnlessConfirmed(t *testing.T) {
	for name := range trialCommands(t, t.TempDir()) {
		for _, confirm := range []bool{false, true} {
			name, confirm := name, confirm
			t.Run(name+map[bool]string{true: " confirmed", false: " not confirmed"}[confirm], func(t *testing.T) {
				t.Parallel()
				root := trialRoot(t)
				before := snapshotTree(t, root)
				args := append([]string{"--root", root}, trialCommands(t, root)[name]...)
				code, out, errs := run(t, append(args, "--try", "1s")...)
				if code != 0 || !strings.Contains(errs, "run `imgtrust confirm` by") {
					t.Fatalf("exit %d\n%s%s", code, out, errs)
				}
				applied := snapshotTree(t, root)
				if strings.Join(sortedValues(applied), "\n") == strings.Join(sortedValues(before), "\n") {
					t.Fatalf("the change wrote nothing")
				}
				rec := readRecord(t, root)
				if rec == nil || rec.WatcherPID == 0 || len(rec.Files) == 0 {
					t.Fatalf("trial record %+v", rec)
				}
				// Another change is refused while the trial runs.
				if code, _, errs := run(t, "--root", root, "policy", "set", "docker.io", "--reject"); code != 1 || !strings.Contains(errs, "in progress") {
					t.Errorf("a change during the trial: exit %d %s", code, errs)
				}
				if confirm {
					if code, out, errs := run(t, "--root", root, "confirm"); code != 0 || !strings.Contains(out, "confirmed") {
						t.Fatalf("confirm: exit %d %s%s", code, out, errs)
					}
				}
				waitFor(t, "the watcher to end", func() bool { return processGone(rec.WatcherPID) })
				now := snapshotTree(t, root)
				want := before
				if confirm {
					want = applied
				}
				for p, w := range want {
					if now[p] != w {
						t.Errorf("%s: %q, want %q", p, now[p], w)
					}
				}
				for p := range now {
					if _, ok := want[p]; !ok {
						t.Errorf("%s left behind", p)
					}
				}
				if r := readRecord(t, root); r != nil {
					t.Errorf("trial record left: %+v", r)
				}
				audit, _ := os.ReadFile(filepath.Join(root, "var/log/imgtrust/audit.log"))
				wantAction := map[bool]string{true: "action=trial-confirm", false: "action=trial-revert "}[confirm]
				if !strings.Contains(string(audit), "action=trial-apply") || !strings.Contains(string(audit), wantAction) {
					t.Errorf("audit log lacks apply or %s:\n%s", wantAction, audit)
				}
			})
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+v)
	}
	return out
}

// TestTrialRelativeRoot: the watcher, which runs from /, is given the
// root as an absolute path.
func TestTrialRelativeRoot(t *testing.T) {
	root := trialRoot(t)
	before := snapshotTree(t, root)
	t.Chdir(filepath.Dir(root))
	if code, out, errs := run(t, "--root", filepath.Base(root), "lookaside", "set", "example.com", "https://s.example", "--try", "500ms"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	waitFor(t, "the watcher's revert", func() bool { return readRecord(t, root) == nil })
	if now := snapshotTree(t, root); strings.Join(sortedValues(now), "\n") != strings.Join(sortedValues(before), "\n") {
		t.Errorf("not restored:\n%v\nwant\n%v", now, before)
	}
}

// TestTrialNoWatcher: the watcher died (its pod was deleted); the first
// command after the deadline reverts and says so.
func TestTrialNoWatcher(t *testing.T) {
	t.Parallel()
	root := trialRoot(t)
	before := snapshotTree(t, root)
	if code, out, errs := run(t, "--root", root, "policy", "default", "reject", "--allow-lockout", "--offline", "--try", "1s"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	rec := readRecord(t, root)
	if err := syscall.Kill(rec.WatcherPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the watcher to die", func() bool { return processGone(rec.WatcherPID) })
	// Before the deadline a command reverts nothing. (show exits 1 here:
	// the trial's policy rejects the pause image, an error lint counts.)
	if code, _, errs := run(t, "--root", root, "show"); code != exitFindings || strings.Contains(errs, "reverted") {
		t.Errorf("show before the deadline: exit %d %s", code, errs)
	}
	time.Sleep(time.Until(rec.Deadline))
	code, _, errs := run(t, "--root", root, "show")
	if code != 0 || !strings.Contains(errs, "was not confirmed by") || !strings.Contains(errs, "reverted now (/etc/containers/policy.json)") {
		t.Errorf("show after the deadline: exit %d %s", code, errs)
	}
	if now := snapshotTree(t, root); strings.Join(sortedValues(now), "\n") != strings.Join(sortedValues(before), "\n") {
		t.Errorf("not restored:\n%v\nwant\n%v", now, before)
	}
	if code, _, errs := run(t, "--root", root, "confirm"); code != 1 || !strings.Contains(errs, "no trial") {
		t.Errorf("confirm after the revert: exit %d %s", code, errs)
	}
}

func sortedValues(m map[string]string) []string {
	out := mapValues(m)
	sort.Strings(out)
	return out
}

// TestTrialRevertFailure: a file that cannot be restored keeps the record
// and every later command says so until confirm clears it.
func TestTrialRevertFailure(t *testing.T) {
	t.Parallel()
	root := trialRoot(t)
	if code, out, errs := run(t, "--root", root, "policy", "default", "reject", "--allow-lockout", "--offline", "--try", "1s"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	rec := readRecord(t, root)
	syscall.Kill(rec.WatcherPID, syscall.SIGKILL)
	waitFor(t, "the watcher to die", func() bool { return processGone(rec.WatcherPID) })
	// policy.json's directory made a file: nothing can be written there.
	dir := filepath.Join(root, "etc/containers")
	os.Rename(dir, dir+".moved")
	os.WriteFile(dir, []byte("not a directory"), 0o644)
	time.Sleep(time.Until(rec.Deadline))
	for i := 0; i < 2; i++ {
		_, _, errs := run(t, "--root", root, "keys", "list")
		if !strings.Contains(errs, "REVERT OF THE TRIAL CHANGE") || !strings.Contains(errs, "/etc/containers/policy.json") {
			t.Errorf("command %d after a failed revert: %s", i, errs)
		}
	}
	if code, out, _ := run(t, "--root", root, "confirm"); code != 0 || !strings.Contains(out, "cleared") {
		t.Errorf("confirm: exit %d %s", code, out)
	}
	if _, _, errs := run(t, "--root", root, "keys", "list"); strings.Contains(errs, "REVERT") {
		t.Errorf("still reported after confirm: %s", errs)
	}
}

// TestTrialSurvivesKill9: the applying command runs in a process group of
// its own, as in a terminal; the whole group is killed with SIGKILL right
// after it applied (a lost terminal does no less). The watcher, in a
// session of its own, still reverts at the deadline.
func TestTrialSurvivesKill9(t *testing.T) {
	t.Parallel()
	root := trialRoot(t)
	before := snapshotTree(t, root)
	cmd := exec.Command(os.Args[0], "--root", root, "policy", "default", "reject", "--allow-lockout", "--offline", "--try", "1s")
	cmd.Env = append(os.Environ(), "IMGTRUST_TEST_MAIN=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var errs bytes.Buffer
	cmd.Stderr = &errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the trial to be recorded", func() bool { r := readRecord(t, root); return r != nil && r.WatcherPID != 0 })
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	cmd.Wait()
	rec := readRecord(t, root)
	if pgid, _ := syscall.Getpgid(rec.WatcherPID); pgid == cmd.Process.Pid {
		t.Fatalf("the watcher is in the applying process's group")
	}
	if now := snapshotTree(t, root); now["etc/containers/policy.json"] == before["etc/containers/policy.json"] {
		t.Fatalf("the change was not applied: %s", errs.String())
	}
	waitFor(t, "the watcher's revert", func() bool { return readRecord(t, root) == nil })
	if now := snapshotTree(t, root); strings.Join(sortedValues(now), "\n") != strings.Join(sortedValues(before), "\n") {
		t.Errorf("not restored:\n%v\nwant\n%v", now, before)
	}
}

// TestOwnImageLockout: the image imgtrust runs in, given once with
// --own-image and remembered, is checked by every change and a change
// that rejects it is refused like a pause-image lockout.
func TestOwnImageLockout(t *testing.T) {
	root := trialRoot(t)
	policy := filepath.Join(root, "etc/containers/policy.json")
	before, _ := os.ReadFile(policy)
	code, out, errs := run(t, "--root", root, "policy", "set", "docker.io/admin", "--reject", "--offline", "--dry-run")
	if code != 0 || !strings.Contains(out, "give it once with --own-image REF") {
		t.Errorf("unknown own image: exit %d, no question asked:\n%s%s", code, out, errs)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"remembered and refused", []string{"--own-image", "docker.io/admin/debug:1", "policy", "set", "docker.io/admin", "--reject", "--offline"}, 1,
			"the image imgtrust runs in, docker.io/admin/debug:1, would be rejected"},
		{"refused again without the flag", []string{"policy", "set", "docker.io/admin", "--reject", "--offline"}, 1, "refused, nothing was written"},
		{"another scope is not refused", []string{"policy", "set", "docker.io/other", "--reject", "--offline", "--dry-run"}, 0, "--dry-run: nothing was written"},
	}
	for _, tc := range tests {
		code, out, errs := run(t, append([]string{"--root", root}, tc.args...)...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s%s", tc.name, code, tc.code, tc.want, out, errs)
		}
		if strings.Contains(out, "--own-image REF") {
			t.Errorf("%s: asked again after the answer was remembered", tc.name)
		}
	}
	if now, _ := os.ReadFile(policy); string(now) != string(before) {
		t.Errorf("policy.json written by a refused change")
	}
	if code, out, errs := run(t, "--root", root, "policy", "set", "docker.io/admin", "--reject", "--offline", "--allow-lockout"); code != 0 || !strings.Contains(out+errs, "--allow-lockout: the image imgtrust runs in") {
		t.Errorf("--allow-lockout: exit %d\n%s%s", code, out, errs)
	}
	// Now applied, lint says the admin is locked out.
	if code, out, _ := run(t, "--root", root, "lint", "--offline"); code != 1 || !strings.Contains(out, "own-image: error: the policy rejects docker.io/admin/debug:1, the image imgtrust runs in") {
		t.Errorf("lint after the lockout: exit %d\n%s", code, out)
	}
}

// TestTrialRefusesTUIEdits: the TUI's key and look-aside edits are
// refused during a trial like the commands.
func TestTrialRefusesTUIEdits(t *testing.T) {
	root := trialRoot(t)
	if code, out, errs := run(t, "--root", root, "lookaside", "set", "example.com", "https://s.example", "--try", "30s"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	paths := node.NewPaths(root, "", "", "")
	la := tuiLookaside{paths: paths}
	keys := tuiKeys{paths: paths, mech: gpg.MechGoCrypto}
	_, importErr := keys.Import([]byte(testPublicKey(t)))
	for name, err := range map[string]error{
		"lookaside set":    la.Set(ui.LookasideRow{Scope: "docker.io", URL: "https://d.example"}),
		"lookaside remove": la.Remove("quay.io"),
		"keys import":      importErr,
		"keys remove":      keys.Remove("0000", nil),
	} {
		if err == nil || !strings.Contains(err.Error(), "is in progress until") {
			t.Errorf("%s during a trial: %v", name, err)
		}
	}
	if code, _, errs := run(t, "--root", root, "confirm"); code != 0 {
		t.Fatalf("confirm: %s", errs)
	}
}

// TestTrialWatcherKeepsOverrides: a trial of a --policy outside the root
// is reverted by the watcher in that file, not in a same-named file
// under the root.
func TestTrialWatcherKeepsOverrides(t *testing.T) {
	t.Parallel()
	root := trialRoot(t)
	pol := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(pol, []byte(trialPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run(t, "--root", root, "--policy", pol, "policy", "default", "reject", "--allow-lockout", "--offline", "--try", "300ms"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if data, _ := os.ReadFile(pol); string(data) == trialPolicy {
		t.Fatal("the change was not applied")
	}
	waitFor(t, "the watcher's revert", func() bool { return readRecord(t, root) == nil })
	if data, _ := os.ReadFile(pol); string(data) != trialPolicy {
		t.Errorf("the override was not reverted:\n%s", data)
	}
	if _, err := os.Stat(filepath.Join(root, pol)); err == nil {
		t.Errorf("the watcher wrote %s under the root", pol)
	}
}

// TestConfirmClearsAnUnreadableRecord: a trial record that cannot be read
// refuses every change; confirm moves it aside (kept, not deleted) so
// that the node can be changed again.
func TestConfirmClearsAnUnreadableRecord(t *testing.T) {
	tests := []struct {
		name string
		make func(path string) error
	}{
		{"not JSON", func(p string) error { return os.WriteFile(p, []byte("{bad"), 0o600) }},
		{"JSON but no record", func(p string) error { return os.WriteFile(p, []byte(`{"default":[{"type":"reject"}]}`), 0o600) }},
		{"a symlink to policy.json", func(p string) error { return os.Symlink("/etc/containers/policy.json", p) }},
		{"a FIFO", func(p string) error { return syscall.Mkfifo(p, 0o600) }},
		{"too big", func(p string) error {
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Truncate(300 << 20) // sparse
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := trialRoot(t)
			rec := filepath.Join(root, trial.RecordPath)
			os.MkdirAll(filepath.Dir(rec), 0o755)
			if err := tc.make(rec); err != nil {
				t.Fatal(err)
			}
			change := []string{"--root", root, "lookaside", "set", "example.com", "https://s.example"}
			if code, _, errs := run(t, change...); code == 0 || !strings.Contains(errs, "imgtrust confirm moves it aside") {
				t.Fatalf("change with an unreadable record: exit %d %s", code, errs)
			}
			if code, out, errs := run(t, "--root", root, "confirm"); code != 0 || !strings.Contains(out, "moved to /var/lib/imgtrust/trial.json.unreadable-") {
				t.Fatalf("confirm: exit %d\n%s%s", code, out, errs)
			}
			if code, out, errs := run(t, change...); code != 0 {
				t.Errorf("change after confirm: exit %d\n%s%s", code, out, errs)
			}
			if m, _ := filepath.Glob(rec + ".unreadable-*"); len(m) != 1 {
				t.Errorf("the record was not kept aside: %v", m)
			}
			if data, err := os.ReadFile(filepath.Join(root, "etc/containers/policy.json")); err != nil || !strings.Contains(string(data), "transports") {
				t.Errorf("policy.json after confirm: %v\n%s", err, data)
			}
		})
	}
}

// TestTryNeedsAPositiveDuration: --try 0s is refused like a negative one,
// before anything is written; it does not apply the change for good.
func TestTryNeedsAPositiveDuration(t *testing.T) {
	for _, d := range []string{"0s", "0", "-1s", "soon"} {
		t.Run(d, func(t *testing.T) {
			root := trialRoot(t)
			before := snapshotTree(t, root)
			code, out, errs := run(t, "--root", root, "policy", "default", "reject", "--allow-lockout", "--offline", "--try", d)
			if code != exitUsage {
				t.Errorf("exit %d, want %d\n%s%s", code, exitUsage, out, errs)
			}
			if now := snapshotTree(t, root); strings.Join(sortedValues(now), "\n") != strings.Join(sortedValues(before), "\n") {
				t.Errorf("--try %s wrote:\n%v", d, now)
			}
		})
	}
}
