package main

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/gpg/gpgtest"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/workspace"
)

// tuiOnRoot is the TUI over the real backends of a scratch root.
func tuiOnRoot(t *testing.T, root string) *ui.Model {
	t.Helper()
	paths := node.NewPaths(root, "", "", "")
	ws, err := workspace.Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	m := ui.New(ui.Deps{Rules: policyio.Rules{}, Paths: paths, Policy: ws, Keys: tuiKeys{paths: paths, ws: ws, mech: "openpgp-gocrypto"},
		Lookaside: tuiLookaside{paths: paths, ws: ws}, NodeImages: func() []string { return nil }})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	return m
}

// busyUpdate feeds msg and, as the program would, runs the command of
// the operation on the workspace it started (a review, a save).
func busyUpdate(m *ui.Model, msg tea.Msg) {
	_, cmd := m.Update(msg)
	for cmd != nil && m.Busy() != "" {
		_, cmd = m.Update(cmd())
	}
}

// pasteImport opens the Keys view's import form, pastes data, presses
// enter and, when the confirmation of what is about to be trusted opens,
// y; it returns the screen.
func pasteImport(m *ui.Model, data []byte) string {
	_, screen := pasteImportConfirm(m, data)
	return screen
}

// pasteImportConfirm is pasteImport that also returns the confirmation
// screen ("" when none opened).
func pasteImportConfirm(m *ui.Model, data []byte) (confirm, screen string) {
	m.Update(tea.KeyPressMsg{Code: '3', Text: "3"})
	m.Update(tea.KeyPressMsg{Code: 'i', Text: "i"})
	m.Update(tea.PasteMsg{Content: string(data)})
	m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	screen = ansi.Strip(m.View().Content)
	if strings.Contains(screen, "Import 1 key?") {
		confirm = screen
		busyUpdate(m, tea.KeyPressMsg{Code: 'y', Text: "y"})
		screen = ansi.Strip(m.View().Content)
	}
	return confirm, screen
}

// TestTUIPasteImport: the TUI's import field takes a pasted armored public
// key (newlines kept) and refuses every disguise of a private key, with
// nothing written.
func TestTUIPasteImport(t *testing.T) {
	e := gpgtest.NewKey(t, "pasted")
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"etc/gpg/.keep": ""})
	m := tuiOnRoot(t, root)
	confirm, screen := pasteImportConfirm(m, gpgtest.ArmoredPublic(t, e))
	if !strings.Contains(screen, "staged: import") {
		t.Fatalf("public key not staged:\n%s", screen)
	}
	// What is about to be trusted was shown first, whole.
	kr, err := gpg.ParseKeyring(gpgtest.Public(t, e))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{gpg.GroupFingerprint(kr.Keys[0].Fingerprint), "pasted <key@example.com>", "algorithm ECDSA P256", "expires never", "openpgp-gocrypto (this node) can verify signatures with it: ok"} {
		if !strings.Contains(confirm, want) {
			t.Errorf("the confirmation lacks %q:\n%s", want, confirm)
		}
	}
	// Staged, not written: the save review shows the key, and y writes it.
	busyUpdate(m, tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
	if s := ansi.Strip(m.View().Content); !strings.Contains(s, "pasted <key@example.com>") || !strings.Contains(s, "loads it") {
		t.Fatalf("review does not show the key:\n%s", s)
	}
	busyUpdate(m, tea.KeyPressMsg{Code: 'y', Text: "y"})
	if code, out, _ := run(t, "--root", root, "keys", "list"); code != exitOK || !strings.Contains(out, "pasted <key@example.com>") {
		t.Fatalf("not in the keys directory: %s", out)
	}
	before := treeState(t, root)
	if screen := pasteImport(tuiOnRoot(t, root), gpgtest.ArmoredPublic(t, e)); !strings.Contains(screen, "already in /etc/gpg/") {
		t.Errorf("a second paste does not say the key is there:\n%s", screen)
	}
	if treeState(t, root) != before {
		t.Error("a second import changed files")
	}
	for name, data := range gpgtest.SecretForms(t) {
		t.Run(name, func(t *testing.T) {
			root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"etc/gpg/.keep": ""})
			before := treeState(t, root)
			screen := pasteImport(tuiOnRoot(t, root), data)
			if !strings.Contains(screen, "refusing key material") {
				t.Errorf("not refused:\n%s", screen)
			}
			if treeState(t, root) != before {
				t.Error("files changed")
			}
		})
	}
}

// TestTUIImportConfirmsUnusableKey: a key the node's mechanism cannot use
// is shown with that verdict in a warning; n writes nothing, y imports
// anyway.
func TestTUIImportConfirmsUnusableKey(t *testing.T) {
	ed := gpgtest.Armor(t, "PGP PUBLIC KEY BLOCK", ed25519PublicKey(t))
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"etc/gpg/.keep": ""})
	paths := node.NewPaths(root, "", "", "")
	ws, err := workspace.Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	before := treeState(t, root)
	for _, answer := range []string{"n", "y"} {
		m := ui.New(ui.Deps{Rules: policyio.Rules{}, Paths: paths, Policy: ws, Keys: tuiKeys{paths: paths, ws: ws, mech: gpg.MechXCrypto}, NodeImages: func() []string { return nil }})
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		m.Update(tea.KeyPressMsg{Code: '3', Text: "3"})
		m.Update(tea.KeyPressMsg{Code: 'i', Text: "i"})
		m.Update(tea.PasteMsg{Content: string(ed)})
		m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
		confirm := ansi.Strip(m.View().Content)
		for _, want := range []string{"Import 1 key?", "openpgp-xcrypto (this node) CANNOT verify", "import anyway"} {
			if !strings.Contains(confirm, want) {
				t.Errorf("the confirmation lacks %q:\n%s", want, confirm)
			}
		}
		busyUpdate(m, tea.KeyPressMsg{Code: rune(answer[0]), Text: answer})
		// y stages the import (the save review writes it); n stages nothing.
		if treeState(t, root) != before {
			t.Errorf("after %s: files changed before the save", answer)
		}
		if staged := ws.HasChanges(); staged != (answer == "y") {
			t.Errorf("after %s: staged %v", answer, staged)
		}
	}
}

// TestTUIImportConfirmScrolls: the details of several keys do not fit the
// console; the confirmation scrolls instead of cutting them, and keeps its
// y/n line on screen.
func TestTUIImportConfirmScrolls(t *testing.T) {
	var data []byte
	var fprs []string
	for _, name := range []string{"one", "two", "three"} {
		e := gpgtest.NewKey(t, name)
		data = append(data, gpgtest.ArmoredPublic(t, e)...)
		kr, err := gpg.ParseKeyring(gpgtest.Public(t, e))
		if err != nil {
			t.Fatal(err)
		}
		fprs = append(fprs, gpg.GroupFingerprint(kr.Keys[0].Fingerprint))
	}
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"etc/gpg/.keep": ""})
	paths := node.NewPaths(root, "", "", "")
	ws, err := workspace.Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	m := ui.New(ui.Deps{Rules: policyio.Rules{}, Paths: paths, Policy: ws, Keys: tuiKeys{paths: paths, ws: ws, mech: gpg.MechGoCrypto}, NodeImages: func() []string { return nil }, ASCII: true})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m.Update(tea.KeyPressMsg{Code: '3', Text: "3"})
	m.Update(tea.KeyPressMsg{Code: 'i', Text: "i"})
	m.Update(tea.PasteMsg{Content: string(data)})
	m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	seen := map[string]bool{}
	for range 40 {
		s := ansi.Strip(m.View().Content)
		if !strings.Contains(s, "Import 3 keys?") || !strings.Contains(s, "y import") {
			t.Fatalf("the confirmation lost its title or its y/n line:\n%s", s)
		}
		for _, f := range fprs {
			if strings.Contains(s, f) {
				seen[f] = true
			}
		}
		m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
	}
	if len(seen) != len(fprs) {
		t.Errorf("scrolling showed %d of the %d fingerprints", len(seen), len(fprs))
	}
	busyUpdate(m, tea.KeyPressMsg{Code: 'y', Text: "y"})
	if err := ws.Save("", false); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := run(t, "--root", root, "keys", "list"); code != exitOK || !strings.Contains(out, "three <key@example.com>") {
		t.Fatalf("not imported: %s", out)
	}
}
