package ui

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/termsafe"
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

// The test step echoes the image typed (or pasted) while its check runs:
// the field drops C0 and C1 controls but keeps bidi controls, so the
// echoed reference is escaped like every other value.
func TestWizardCheckingLineIsEscaped(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	m := sized(New(d), 80, 24)
	m.modal = nil
	send(t, m, "w")
	if m.wiz == nil {
		t.Fatal("no wizard")
	}
	wz := m.wiz
	wz.step = wsTest
	wz.openStep(m)
	wz.form.get("ref").in.SetValue("r.example/\u202eevil:1")
	wz.update(m, kp("enter"))
	if len(wz.testRes) == 0 || !strings.Contains(wz.testRes[0], "checking r.example/") {
		t.Fatalf("no checking line: %q", wz.testRes)
	}
	if strings.Contains(wz.testRes[0], "\u202e") {
		t.Fatalf("the reference reached the screen unescaped: %q", wz.testRes[0])
	}
}

// A form's title names the scope it edits, a value from policy.json: the
// box draws the title as given, so the forms escape the scope.
func TestFormTitlesEscapeTheScope(t *testing.T) {
	hostile := "evil.example/\u202ex\x1b]0;pwned\x07"
	pol := `{"default":[{"type":"reject"}],"transports":{"docker":{` + jsonString(t, hostile) + `:[{"type":"insecureAcceptAnything"}]}}}`
	ref := model.ScopeRef{Transport: model.TransportDocker, Scope: hostile}
	for _, tt := range []struct {
		name string
		open func(m *Model)
	}{
		{"add rule", func(m *Model) { m.openRequirementForm(ref, -1) }},
		{"edit rule", func(m *Model) { m.openRequirementForm(ref, 0) }},
		{"rename scope", func(m *Model) { m.openScopeForm(&ref) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, _, _, _ := newTestModel(t, pol, 80, 24)
			tt.open(m)
			f, ok := m.modal.(*form)
			if !ok {
				t.Fatalf("no form: %T", m.modal)
			}
			if !strings.Contains(f.title, "evil.example/") {
				t.Fatalf("title does not name the scope: %q", f.title)
			}
			if !termsafe.IsSafe(f.title) {
				t.Fatalf("the scope reached the title unescaped: %q", f.title)
			}
		})
	}
}

func jsonString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type failingVerifier struct{}

func (failingVerifier) Verify(context.Context, *model.Policy, string) (VerifyResult, error) {
	return VerifyResult{}, errors.New("invalid reference format")
}

// A check that fails names the image asked for: the verifier's result
// is empty then ("could not check : invalid reference format").
func TestWizardFailedCheckNamesTheImage(t *testing.T) {
	d, _, _, _ := testDeps(t, testPolicy)
	d.Verifier = failingVerifier{}
	m := sized(New(d), 80, 24)
	m.modal = nil
	send(t, m, "w")
	wz := m.wiz
	wz.step = wsTest
	wz.openStep(m)
	wz.form.get("ref").in.SetValue("bad..ref")
	runCmd(m, wz.update(m, kp("enter")))
	if len(wz.testRes) == 0 || !strings.Contains(wz.testRes[0], "could not check bad..ref: ") {
		t.Fatalf("result lines %q, want the failed check to name bad..ref", wz.testRes)
	}
}

// The Add a scope form offers "" (the whole transport) and must not warn
// that it never matches: the runtime applies a transport's "" scope to
// every image of the transport.
func TestScopeFormEmptyScopeIsTheWholeTransport(t *testing.T) {
	m, _, _, _ := newTestModel(t, `{"default":[{"type":"reject"}]}`, 100, 30)
	m.openScopeForm(nil)
	f, ok := m.modal.(*form)
	if !ok {
		t.Fatalf("no form: %T", m.modal)
	}
	sc := f.get("scope")
	sc.in.SetValue("")
	if msg, _ := sc.check(f); strings.Contains(msg, "never matches") {
		t.Errorf(`"" warned as never matching: %s`, msg)
	}
	sc.in.SetValue("registry.example.com/")
	if msg, _ := sc.check(f); !strings.Contains(msg, "never matches") {
		t.Errorf("a scope ending in / is not warned: %q", msg)
	}
}
