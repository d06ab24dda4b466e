package ui

import (
	"strings"
	"testing"
)

// The wizard goes back with pgup, a plain key a console sends and no field
// takes, and its footer names no ctrl chord.
func TestWizardBackIsAPlainKey(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	d.ASCII = true
	m := sized(New(d), 80, 24)
	m.modal = nil
	send(t, m, "w")
	if m.wiz == nil {
		t.Fatal("no wizard")
	}
	send(t, m, "type:registry.example.com", "enter")
	if m.wiz.step != 1 {
		t.Fatalf("step %d after the first answer: %s", m.wiz.step, screen(m))
	}
	footer := screen(m)[strings.LastIndex(screen(m), "\n")+1:]
	if !strings.Contains(footer, "pgup back") || strings.Contains(footer, "ctrl") {
		t.Fatalf("footer: %q", footer)
	}
	send(t, m, "pgup")
	if m.wiz.step != 0 {
		t.Fatalf("pgup did not go back: step %d", m.wiz.step)
	}
}
