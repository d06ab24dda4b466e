package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/gpg/gpgtest"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/workspace"
)

// The TUI over the real backends (tuiDeps) of a scratch node, driven as a
// tea.Program: the change set's review, lockout and reload as an admin
// meets them.

const pausePolicy = `{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:1/pause":[{"type":"insecureAcceptAnything"}]}}}`

// tuiRun drives the model as the program would, one message at a time,
// and reads the whole screen after each step (a terminal's incremental
// output cannot be searched for text reliably).
type tuiRun struct {
	t    *testing.T
	m    *ui.Model
	root string
}

func startTUI(t *testing.T, root string) *tuiRun {
	t.Helper()
	paths := node.NewPaths(root, "", "", "")
	ws, err := workspace.Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	d := tuiDeps(paths, ws, gpg.Detection{Mechanism: gpg.MechGoCrypto}, true, false)
	m := ui.New(d)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	return &tuiRun{t: t, m: m, root: root}
}

func (r *tuiRun) screen() string { return ansi.Strip(r.m.View().Content) }

// wait checks that the screen shows every string now.
func (r *tuiRun) wait(want ...string) {
	r.t.Helper()
	s := r.screen()
	for _, w := range want {
		if !strings.Contains(s, w) {
			r.t.Fatalf("screen lacks %q:\n%s", w, s)
		}
	}
}

// key feeds k and, as the program would, runs the commands it returns
// (a key file read, a review, a save) and feeds back their results.
func (r *tuiRun) key(k tea.KeyPressMsg) {
	_, cmd := r.m.Update(k)
	r.run(cmd, 0)
}

// review presses ctrl+s and runs the review's busy command only; it
// returns the command the opened dialog starts (the online check).
func (r *tuiRun) review() tea.Cmd {
	_, cmd := r.m.Update(tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
	for cmd != nil && r.m.Busy() != "" {
		_, cmd = r.m.Update(cmd())
	}
	return cmd
}

// run runs cmd and feeds back its message; a command that takes longer
// than an operation on the workspace (Busy) or a file read is a timer
// (a cursor blink), which the test does without.
func (r *tuiRun) run(cmd tea.Cmd, depth int) {
	if cmd == nil || depth > 8 {
		return
	}
	wait := 50 * time.Millisecond
	if r.m.Busy() != "" {
		wait = time.Minute
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				r.run(c, depth+1)
			}
			return
		}
		_, next := r.m.Update(msg)
		r.run(next, depth+1)
	case <-time.After(wait):
	}
}
func (r *tuiRun) typ(s string) {
	for _, c := range s {
		r.key(tea.KeyPressMsg{Code: c, Text: string(c)})
	}
}
func (r *tuiRun) enter() { r.key(tea.KeyPressMsg{Code: tea.KeyEnter}) }
func (r *tuiRun) save()  { r.key(tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl}) }

func (r *tuiRun) read(rel string) string {
	data, _ := os.ReadFile(filepath.Join(r.root, rel))
	return string(data)
}

// TestTUIDeletePauseScopeNeedsTypedName: deleting the scope that lets the
// pause image through and saving names the lockout in the review, which
// wants the image's name typed before anything is written.
func TestTUIDeletePauseScopeNeedsTypedName(t *testing.T) {
	root := scratchRoot(t, pausePolicy, nodeFiles("127.0.0.1:1/pause:3.10", nil))
	r := startTUI(t, root)
	r.typ("2")
	r.wait("127.0.0.1:1/pause")
	r.typ("G")
	r.typ("d")
	r.wait("Delete scope")
	r.typ("y")
	r.wait("staged: delete scope")
	r.save()
	r.wait("LOCKOUT", "the pause image 127.0.0.1:1/pause:3.10 would be rejected", "no new pod could start")
	r.typ("y")
	r.wait("type the image's name")
	r.typ("127.0.0.1:1/pause")
	r.enter()
	r.wait("type the pause image's name exactly")
	if r.read("etc/containers/policy.json") != pausePolicy {
		t.Fatal("written before the typed confirmation")
	}
	for range len("127.0.0.1:1/pause") {
		r.key(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	r.typ("127.0.0.1:1/pause:3.10")
	r.enter()
	r.wait("saved /etc/containers/policy.json")
	if got := r.read("etc/containers/policy.json"); strings.Contains(got, "127.0.0.1:1/pause") {
		t.Fatalf("scope still there:\n%s", got)
	}
}

// TestTUILookasideAndKeyInOneReview: a look-aside edit and a key import
// are staged, not written; Problems refreshes after the look-aside edit;
// one review shows both with the policy edit, and one save writes all
// three with one audit entry.
func TestTUILookasideAndKeyInOneReview(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "release.gpg")
	os.WriteFile(keyFile, gpgtest.Public(t, gpgtest.NewKey(t, "Release")), 0o644)
	root := scratchRoot(t, pausePolicy, nodeFiles("127.0.0.1:1/pause:3.10", map[string]string{"etc/gpg/.keep": ""}))
	r := startTUI(t, root)

	// Look-aside: a plain-http URL, which Problems warns about once staged.
	r.typ("4")
	r.wait("Look-aside")
	r.typ("a")
	r.wait("Add a look-aside")
	r.typ("quay.io/team")
	r.enter()
	r.typ("http://sigs.example.com")
	r.enter()
	r.enter()
	r.wait("staged: look-aside for quay.io/team")
	r.typ("6")
	r.wait("lookaside http://sigs.example.com is plain http")
	if _, err := os.Stat(filepath.Join(root, "etc/containers/registries.d/quay.io.yaml")); err == nil {
		t.Fatal("look-aside written before the save")
	}

	// Key import.
	r.typ("3")
	r.typ("i")
	r.wait("Import a public key")
	r.typ(keyFile)
	r.enter()
	r.wait("Import 1 key?", "openpgp-gocrypto (this node) can verify signatures with it")
	r.typ("y")
	r.wait("staged: import")

	r.save()
	r.wait("/etc/gpg/key-example.com-", "/etc/containers/registries.d/quay.io.yaml will be created",
		"+  user ID   Release <key@example.com>", "openpgp-gocrypto loads it", "+    lookaside: http://sigs.example.com", "written as one change")
	r.typ("y")
	r.wait("saved 2 files as one change")
	if !strings.Contains(r.read("etc/containers/registries.d/quay.io.yaml"), "http://sigs.example.com") {
		t.Error("look-aside not written")
	}
	keys, _ := filepath.Glob(filepath.Join(root, "etc/gpg/key-example.com-*.gpg"))
	if len(keys) != 1 {
		t.Errorf("key files: %v", keys)
	}
	if log := r.read("var/log/imgtrust/audit.log"); strings.Count(log, "\n") != 1 || !strings.Contains(log, "files=2") {
		t.Errorf("want one audit entry naming both files:\n%s", log)
	}
}

// TestTUIReloadAfterOutsideChange: the review refuses a change over a file
// that changed on disk before showing a diff; R re-reads every file and
// keeps the staged edit that still applies.
func TestTUIReloadAfterOutsideChange(t *testing.T) {
	root := scratchRoot(t, pausePolicy, nodeFiles("127.0.0.1:1/pause:3.10", nil))
	r := startTUI(t, root)
	r.typ("4")
	r.typ("a")
	r.wait("Add a look-aside")
	r.typ("quay.io/team")
	r.enter()
	r.typ("https://sigs.example.com")
	r.enter()
	r.enter()
	r.wait("staged: look-aside for quay.io/team")

	outside := `{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:1/pause":[{"type":"insecureAcceptAnything"}],"ghcr.io":[{"type":"reject"}]}}}`
	os.WriteFile(filepath.Join(root, "etc/containers/policy.json"), []byte(outside), 0o644)
	r.save()
	r.wait("R reloads: changed on disk since read: /etc/containers/policy.json (modified)")
	r.typ("R")
	r.wait("reloaded all files, 1 edit re-applied; changed outside: /etc/containers/policy.json (modified)")
	r.typ("2")
	r.wait("ghcr.io")
	r.save()
	r.wait("/etc/containers/registries.d/quay.io.yaml will be created")
	r.typ("y")
	r.wait("saved /etc/containers/registries.d/quay.io.yaml")
	if got := r.read("etc/containers/policy.json"); got != outside {
		t.Errorf("the outside change was overwritten:\n%s", got)
	}
}

// TestTUISaveWrittenButNotAudited: a save whose files are written but
// whose audit entry is not (a FIFO in the log's place) says so and shows
// the saved state; it said "save failed, nothing changed" with the
// change in force.
func TestTUISaveWrittenButNotAudited(t *testing.T) {
	policy := `{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:1/pause":[{"type":"insecureAcceptAnything"}],"r.example/z":[{"type":"reject"}]}}}`
	root := scratchRoot(t, policy, nodeFiles("127.0.0.1:1/pause:3.10", nil))
	logPath := filepath.Join(root, "var/log/imgtrust/audit.log")
	os.MkdirAll(filepath.Dir(logPath), 0o755)
	if err := syscall.Mkfifo(logPath, 0o600); err != nil {
		t.Fatal(err)
	}
	r := startTUI(t, root)
	r.typ("2")
	r.wait("r.example/z")
	r.typ("G")
	r.typ("d")
	r.wait("Delete scope")
	r.typ("y")
	r.wait("staged: delete scope")
	r.save()
	r.typ("y")
	r.wait("saved, but:", "audit log was not")
	if s := r.screen(); strings.Contains(s, "nothing changed") {
		t.Errorf("the screen says nothing changed:\n%s", s)
	}
	if got := r.read("etc/containers/policy.json"); strings.Contains(got, "r.example/z") {
		t.Fatalf("scope still there:\n%s", got)
	}
}

// TestTUIOwnImageLockoutNeedsTypedName: a save that rejects the image
// imgtrust runs in (remembered with --own-image) wants its name typed,
// as the CLI wants --allow-lockout; "y" alone saved it.
func TestTUIOwnImageLockoutNeedsTypedName(t *testing.T) {
	policy := `{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:1/pause":[{"type":"insecureAcceptAnything"}],"127.0.0.1:1/zdebug":[{"type":"insecureAcceptAnything"}]}}}`
	root := scratchRoot(t, policy, nodeFiles("127.0.0.1:1/pause:3.10", map[string]string{"var/lib/imgtrust/own-image": "127.0.0.1:1/zdebug:1\n"}))
	r := startTUI(t, root)
	r.typ("2")
	r.wait("127.0.0.1:1/zdebug")
	r.typ("G")
	r.typ("d")
	r.wait("Delete scope")
	r.typ("y")
	r.wait("staged: delete scope")
	r.save()
	r.wait("LOCKOUT: the image imgtrust runs in 127.0.0.1:1/zdebug:1 would be rejected")
	r.typ("y")
	r.wait("type the image's name")
	if r.read("etc/containers/policy.json") != policy {
		t.Fatal("written before the typed confirmation")
	}
	r.typ("127.0.0.1:1/zdebug:1")
	r.enter()
	r.wait("saved /etc/containers/policy.json")
	if got := r.read("etc/containers/policy.json"); strings.Contains(got, "zdebug") {
		t.Fatalf("scope still there:\n%s", got)
	}
}
