package main

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/gpg/gpgtest"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/workspace"
)

// tuiOnRoot is the TUI over the real backends of a scratch root.
func tuiOnRoot(t *testing.T, root string) *ui.Model {
	t.Helper()
	paths := policyio.NewPaths(root, "", "", "")
	ws, err := workspace.Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	m := ui.New(ui.Deps{Paths: paths, Policy: ws, Keys: tuiKeys{paths: paths, ws: ws, mech: "openpgp-gocrypto"},
		Lookaside: tuiLookaside{paths: paths, ws: ws}, NodeImages: func() []string { return nil }})
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	return m
}

// pasteImport opens the Keys view's import form, pastes data and presses
// enter; it returns the screen.
func pasteImport(m *ui.Model, data []byte) string {
	m.Update(tea.KeyPressMsg{Code: '3', Text: "3"})
	m.Update(tea.KeyPressMsg{Code: 'i', Text: "i"})
	m.Update(tea.PasteMsg{Content: string(data)})
	m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	return ansi.Strip(m.View().Content)
}

// TestTUIPasteImport: the TUI's import field takes a pasted armored public
// key (newlines kept) and refuses every disguise of a private key, with
// nothing written.
func TestTUIPasteImport(t *testing.T) {
	e := gpgtest.NewKey(t, "pasted")
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"etc/gpg/.keep": ""})
	m := tuiOnRoot(t, root)
	screen := pasteImport(m, gpgtest.ArmoredPublic(t, e))
	if !strings.Contains(screen, "staged: import") {
		t.Fatalf("public key not staged:\n%s", screen)
	}
	// The save review shows the key, and y writes it.
	m.Update(tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
	if s := ansi.Strip(m.View().Content); !strings.Contains(s, "pasted <key@example.com>") || !strings.Contains(s, "loads it") {
		t.Fatalf("review does not show the key:\n%s", s)
	}
	m.Update(tea.KeyPressMsg{Code: 'y', Text: "y"})
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
