package ui

import (
	"strings"
	"testing"
)

// The guided setup's test step shows the failed trace lines of a check:
// they come from registries, key files and servers, so a hostile one must
// not reach the terminal with its escape sequences.
func TestWizardTestTraceIsEscaped(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	m := sized(New(d), 80, 24)
	m.modal = nil
	send(t, m, "w")
	if m.wiz == nil {
		t.Fatal("no wizard")
	}
	wz := m.wiz
	wz.step = wsTest
	wz.running = 1
	hostile := "why \x1b]0;pwned\x07 \x1b[2J"
	wz.async(m, wizardCheckMsg{run: wz.run, res: VerifyResult{Ref: "r.example/x", Summary: "s",
		Trace: []TraceStep{{Failed: true, Text: hostile}}}})
	if len(wz.testRes) != 2 {
		t.Fatalf("test results: %q", wz.testRes)
	}
	got := wz.testRes[1] // the verdict line before it is styled
	if !strings.Contains(got, "why") {
		t.Fatalf("trace line missing: %q", got)
	}
	if strings.ContainsAny(got, "\x1b\x07") {
		t.Fatalf("the trace reached the screen unescaped: %q", got)
	}
}
