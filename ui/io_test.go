package ui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/kios/imgtrust/workspace"
)

// recordingWS is the workspace with its file-touching calls counted, so
// that a test can tell whether Update made them or a command did.
type recordingWS struct {
	*workspace.Workspace
	saves, reviews, refreshes int
}

func (r *recordingWS) Save(summary string, allowWeaken bool) error {
	r.saves++
	return r.Workspace.Save(summary, allowWeaken)
}

func (r *recordingWS) Review() (*workspace.Review, error) {
	r.reviews++
	return r.Workspace.Review()
}

func (r *recordingWS) Refresh() (*workspace.ReloadResult, error) {
	r.refreshes++
	return r.Workspace.Refresh()
}

// press feeds one key to Update and returns its command without running
// it, as the program does before it hands the command to a goroutine.
func press(m *Model, k string) tea.Cmd {
	_, cmd := m.Update(kp(k))
	return cmd
}

// TestSaveReviewAndReloadRunInCommands: ctrl+s, y and R return commands
// and touch no file themselves; while a save runs the root is busy, the
// screen says so, and a keystroke cannot stage an edit (the workspace is
// being written by the command).
func TestSaveReviewAndReloadRunInCommands(t *testing.T) {
	d, keys, _, _ := testDeps(t, testPolicy)
	rec := &recordingWS{Workspace: d.Policy.(*workspace.Workspace)}
	d.Policy = rec
	m := sized(New(d), 80, 24)
	send(t, m, "2", "j", "j", "j", "d", "y") // stage: delete registry.k8s.io
	edits := len(rec.Edits())

	review := press(m, "ctrl+s")
	if review == nil || rec.reviews != 0 || m.modal != nil {
		t.Fatalf("ctrl+s reviewed in Update (reviews %d, modal %T)", rec.reviews, m.modal)
	}
	runCmd(m, review)
	if _, ok := m.modal.(*saveDialog); !ok || rec.reviews != 1 {
		t.Fatalf("no save dialog after the review (%d):\n%s", rec.reviews, screen(m))
	}

	lists := keys.lists
	save := press(m, "y")
	if save == nil || rec.saves != 0 {
		t.Fatalf("y saved in Update (saves %d)", rec.saves)
	}
	if b, _ := os.ReadFile(m.deps.Paths.Policy); string(b) != testPolicy {
		t.Fatal("the file changed before the command ran")
	}
	if s := screen(m); !strings.Contains(s, "saving...") {
		t.Fatalf("no saving... while the save runs:\n%s", s)
	}
	// Keys and pastes while saving: undo, a delete in the Policy view,
	// the quit key; none may stage or undo anything.
	for _, k := range []string{"esc", "u", "2", "j", "d", "y", "q"} {
		if cmd := press(m, k); cmd != nil {
			t.Fatalf("%q during the save returned a command", k)
		}
	}
	m.Update(tea.PasteMsg{Content: "x"})
	if got := len(rec.Edits()); got != edits {
		t.Fatalf("a keystroke during the save changed the staged edits: %d -> %d", edits, got)
	}
	if keys.lists != lists {
		t.Fatal("the key list was read in Update")
	}
	runCmd(m, save)
	if rec.saves != 1 || m.busy != "" || m.modal != nil {
		t.Fatalf("after the save: saves %d, busy %q, modal %T", rec.saves, m.busy, m.modal)
	}
	if keys.lists != lists+1 {
		t.Fatalf("the save's command did not read the key list again (%d)", keys.lists-lists)
	}
	if b, _ := os.ReadFile(m.deps.Paths.Policy); strings.Contains(string(b), "registry.k8s.io") {
		t.Fatalf("not saved:\n%s", b)
	}
	if s := screen(m); !strings.Contains(s, "[saved]") || !strings.Contains(s, "saved ") {
		t.Fatalf("after the save:\n%s", s)
	}

	lists = keys.lists
	reload := press(m, "R")
	if reload == nil || rec.refreshes != 0 || keys.lists != lists {
		t.Fatalf("R reloaded in Update (refreshes %d, lists %d)", rec.refreshes, keys.lists-lists)
	}
	runCmd(m, reload)
	if rec.refreshes != 1 || keys.lists != lists+1 || !strings.Contains(m.status, "reloaded all files") {
		t.Fatalf("reload: %d, lists %d, status %q", rec.refreshes, keys.lists-lists, m.status)
	}
}

// TestKeyImportReadsInACommand: the import dialog's path completion and
// its key file read happen in commands: what Update returns has not
// touched the directory or the file, which are made only afterwards.
func TestKeyImportReadsInACommand(t *testing.T) {
	m, keys, _, _ := newTestModel(t, testPolicy, 80, 24)
	dir := t.TempDir()
	send(t, m, "3", "i")
	f := m.modal.(*form)
	for _, r := range dir + "/rel" {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	complete := f.pending
	if got := f.get("path").in.AvailableSuggestions(); len(got) != 0 {
		t.Fatalf("suggestions before the command ran: %v", got)
	}
	keyFile := filepath.Join(dir, "release.asc")
	if err := os.WriteFile(keyFile, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc\n-----END PGP PUBLIC KEY BLOCK-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runCmd(m, complete)
	if got := f.get("path").in.AvailableSuggestions(); !slices.Contains(got, keyFile) {
		t.Fatalf("suggestions %v, want %s", got, keyFile)
	}

	// Enter on a path returns the command that reads it.
	f.get("path").in.SetValue(filepath.Join(dir, "later.asc"))
	read := press(m, "enter")
	if read == nil || keys.last != nil {
		t.Fatalf("enter read or imported in Update (%q)", keys.last)
	}
	want := "-----BEGIN PGP PUBLIC KEY BLOCK-----\nlater\n-----END PGP PUBLIC KEY BLOCK-----\n"
	if err := os.WriteFile(filepath.Join(dir, "later.asc"), []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	runCmd(m, read)
	if string(keys.last) != want || keys.imports != 1 || m.modal != nil {
		t.Fatalf("imported %q (%d), modal %T:\n%s", keys.last, keys.imports, m.modal, screen(m))
	}
}

// TestTrialConfirmRunsInACommand: c on the Overview keeps the trial
// through a command, and the Overview says so when its result arrives.
func TestTrialConfirmRunsInACommand(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	tr := &fakeTrial{}
	d.Trial = tr
	m := sized(New(d), 80, 24)
	send(t, m, "2", "j", "j", "j", "d", "y", "ctrl+s", "t", "1")
	cmd := press(m, "c")
	if cmd == nil || tr.confirmed != 0 {
		t.Fatalf("c confirmed in Update (%d)", tr.confirmed)
	}
	runCmd(m, cmd)
	if tr.confirmed != 1 || !strings.Contains(screen(m), "confirmed: the change stays") {
		t.Fatalf("confirm: %d\n%s", tr.confirmed, screen(m))
	}
}

// TestStagingRunsInCommands: removing a key, setting a look-aside and
// re-reading the key list go through the backends from commands (they
// read the trial record, key files and registries.d): Update returns
// with the backend untouched.
func TestStagingRunsInCommands(t *testing.T) {
	m, keys, la, _ := newTestModel(t, testPolicy, 80, 24)
	keys.keys = append(keys.keys, KeyRow{Fingerprint: "AAAA", UserID: "unused", Path: "/etc/gpg/u.gpg", Status: "ok"})
	send(t, m, "3", "r", "j", "d")
	remove := press(m, "y")
	if remove == nil || len(keys.keys) != 2 || m.busy != "staging" {
		t.Fatalf("y removed in Update (%d keys, busy %q)", len(keys.keys), m.busy)
	}
	runCmd(m, remove)
	if len(keys.keys) != 1 || len(m.keys.items) != 1 || !strings.Contains(m.status, "staged: remove key AAAA") {
		t.Fatalf("not removed: %d, %d, %q", len(keys.keys), len(m.keys.items), m.status)
	}

	lists := keys.lists
	reread := press(m, "r")
	if reread == nil || keys.lists != lists {
		t.Fatalf("r read the key list in Update (%d)", keys.lists-lists)
	}
	runCmd(m, reread)
	if keys.lists != lists+1 {
		t.Fatalf("r did not read the key list (%d)", keys.lists-lists)
	}

	send(t, m, "4", "a", "type:quay.io/team", "tab", "type:https://sigs.example.com")
	f, _ := m.modal.(*form)
	if f == nil {
		t.Fatalf("no look-aside form:\n%s", screen(m))
	}
	var set tea.Cmd
	for range 4 { // enter moves through the fields, then applies
		if set = press(m, "enter"); m.busy != "" {
			break
		}
	}
	if m.busy != "staging" || len(la.entries) != 1 || m.modal != f {
		t.Fatalf("the look-aside was set in Update (busy %q, %d entries, modal %T)", m.busy, len(la.entries), m.modal)
	}
	runCmd(m, set)
	if len(la.entries) != 2 || m.modal != nil || !strings.Contains(m.status, "staged: look-aside for quay.io/team") {
		t.Fatalf("not set: %d entries, modal %T, %q", len(la.entries), m.modal, m.status)
	}
}
