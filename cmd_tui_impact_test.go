package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/kios/imgtrust/gpg/gpgtest"
)

// TestTUISaveReviewChecksOnline: over the real wiring, deleting the scope
// that lets the pause image through leaves it to a signedBy default, which
// the offline check cannot decide: the review says "checking online...",
// the online check runs in the command the save returns, and an
// unreachable registry leaves it not checked, not a lockout: y writes
// without asking for the image's name.
func TestTUISaveReviewChecksOnline(t *testing.T) {
	policy := `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/release.gpg"}],` +
		`"transports":{"docker":{"127.0.0.1:1/pause":[{"type":"insecureAcceptAnything"}]}}}`
	root := scratchRoot(t, policy, nodeFiles("127.0.0.1:1/pause:3.10", map[string]string{"etc/gpg/.keep": ""}))
	if err := os.WriteFile(filepath.Join(root, "etc/gpg/release.gpg"), gpgtest.Public(t, gpgtest.NewKey(t, "Release")), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startTUI(t, root)
	r.typ("2")
	r.typ("G")
	r.typ("d")
	r.wait("Delete scope")
	r.typ("y")
	r.wait("staged: delete scope")
	_, cmd := r.m.Update(tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
	r.wait("checking online... 127.0.0.1:1/pause:3.10 (pause)")
	if cmd == nil {
		t.Fatal("the review started no online check")
	}
	r.typ("y")
	r.wait("Waiting for the online check of 1 image(s)")
	if r.read("etc/containers/policy.json") != policy {
		t.Fatal("written before the online check answered")
	}
	r.key(tea.KeyPressMsg{Code: tea.KeyEscape})
	r.m.Update(cmd())
	r.wait("not checked: 127.0.0.1:1/pause:3.10 (pause): could not finish", "connection refused")
	r.typ("y")
	if s := r.screen(); strings.Contains(s, "LOCKOUT") || strings.Contains(s, "type the image's name") {
		t.Fatalf("an unreachable registry was taken for a lockout:\n%s", s)
	}
	r.wait("saved /etc/containers/policy.json")
	if got := r.read("etc/containers/policy.json"); strings.Contains(got, "127.0.0.1:1/pause") {
		t.Fatalf("not saved:\n%s", got)
	}
}
