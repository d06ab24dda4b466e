package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/model"
)

func newTestModel(t testing.TB, policy string, w, h int) (*Model, *fakeKeys, *fakeLookaside, *fakeVerifier) {
	d, k, la, v := testDeps(t, policy)
	return sized(New(d), w, h), k, la, v
}

func TestLayoutFitsEveryScreen(t *testing.T) {
	states := map[string][]string{
		"overview":  nil,
		"policy":    {"2"},
		"rules":     {"2", "j", "j", "right"},
		"keys":      {"3"},
		"lookaside": {"4"},
		"verify":    {"5"},
		"problems":  {"6"},
		"help":      {"2", "?"},
		"form":      {"2", "a"},
		"save":      {"2", "j", "j", "j", "d", "y", "ctrl+s"},
		"wizard":    {"w"},
	}
	sizes := [][2]int{{80, 24}, {100, 30}, {120, 40}, {200, 60}}
	for name, keys := range states {
		for _, sz := range sizes {
			m, _, _, _ := newTestModel(t, testPolicy, sz[0], sz[1])
			send(t, m, keys...)
			lines := strings.Split(m.View().Content, "\n")
			if len(lines) != sz[1] {
				t.Errorf("%s %dx%d: %d lines", name, sz[0], sz[1], len(lines))
			}
			for i, l := range lines {
				if w := lipgloss.Width(l); w > sz[0] {
					t.Errorf("%s %dx%d: line %d is %d wide: %q", name, sz[0], sz[1], i, w, l)
				}
			}
			if last := lines[len(lines)-1]; !strings.Contains(last, "esc") && !strings.Contains(last, "quit") && !strings.Contains(last, "cancel") {
				t.Errorf("%s %dx%d: footer missing, last line %q", name, sz[0], sz[1], last)
			}
		}
	}
}

func TestTooSmallSaysSo(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 70, 20)
	if s := screen(m); !strings.Contains(s, "terminal too small: need 80x24, have 70x20") {
		t.Fatalf("screen:\n%s", s)
	}
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if s := screen(m); strings.Contains(s, "too small") {
		t.Fatal("resize did not redraw the layout")
	}
}

func TestViewSwitching(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	for _, tc := range []struct {
		key  string
		want viewID
	}{{"2", vPolicy}, {"6", vProblems}, {"tab", vOverview}, {"shift+tab", vProblems}, {"3", vKeys}, {"tab", vLookaside}, {"1", vOverview}} {
		send(t, m, tc.key)
		if m.view != tc.want {
			t.Fatalf("after %q view = %v, want %v", tc.key, m.view, tc.want)
		}
	}
}

func TestQuitAsksOnlyWhenDirty(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	if _, cmd := m.Update(kp("q")); cmd == nil || cmd() != tea.Quit() {
		t.Fatal("q on a clean workspace should quit")
	}
	send(t, m, "2", "j", "j", "j", "d", "y") // delete a scope
	if !m.dirty() {
		t.Fatal("deleting a scope should stage a change")
	}
	if _, cmd := m.Update(kp("q")); cmd != nil {
		t.Fatal("q with staged edits must ask first")
	}
	if !strings.Contains(screen(m), "Quit with unsaved changes?") {
		t.Fatalf("no quit dialog:\n%s", screen(m))
	}
	send(t, m, "n")
	if m.modal != nil {
		t.Fatal("n should close the dialog")
	}
	m.Update(kp("ctrl+c"))
	if _, cmd := m.Update(kp("ctrl+c")); cmd == nil || cmd() != tea.Quit() {
		t.Fatal("a second ctrl+c in the quit dialog should quit")
	}
}

func TestAddScopeWithInventoryKeyAndUndo(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	send(t, m, "2", "a", "type:quay.io/org")
	f := m.modal.(*form)
	if f.val("key") != "/etc/gpg/release.gpg" {
		t.Fatalf("key choice should start on the inventory key, got %q", f.val("key"))
	}
	// scope, transport, rule, key, identity: enter moves on, then applies
	send(t, m, "enter", "enter", "enter", "enter", "enter")
	if m.modal != nil {
		t.Fatalf("form still open: %s", f.err)
	}
	s := m.deps.Policy.Policy().Transport("docker").Scope("quay.io/org")
	if s == nil || len(s.Requirements) != 1 || s.Requirements[0].Type != model.SignedBy || s.Requirements[0].KeyPath != "/etc/gpg/release.gpg" {
		t.Fatalf("scope not staged as signedBy the inventory key: %+v", s)
	}
	if !strings.Contains(screen(m), "[modified: 1 edit]") {
		t.Fatalf("header does not say modified:\n%s", screen(m))
	}
	if r, _ := m.pol.selected(); r.ref.Scope != "quay.io/org" {
		t.Fatalf("selection = %v, want the new scope", r.ref)
	}
	send(t, m, "u")
	if m.deps.Policy.Policy().Transport("docker").Scope("quay.io/org") != nil || m.dirty() {
		t.Fatal("undo did not remove the scope")
	}
}

func TestScopeFormLiveValidation(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	send(t, m, "2", "a", "type:registry.example.com/team")
	f := m.modal.(*form)
	if msg, warn := f.get("scope").check(f); msg == "" || warn {
		t.Fatalf("an existing scope must block, got %q warn=%v", msg, warn)
	}
	for range len("registry.example.com/team") {
		send(t, m, "backspace")
	}
	send(t, m, "type:https://quay.io/org/")
	msg, warn := f.get("scope").check(f)
	if !warn || !strings.Contains(msg, "never matches") {
		t.Fatalf("a URL scope should warn that it never matches, got %q warn=%v", msg, warn)
	}
	if !strings.Contains(screen(m), "1 warning(s)") {
		t.Fatalf("live problem count missing:\n%s", screen(m))
	}
	send(t, m, "tab", "right") // transport: docker -> next (atomic)
	if f.val("transport") == "docker" {
		t.Fatal("→ did not change the transport choice")
	}
	send(t, m, "esc")
	if m.modal != nil || m.dirty() {
		t.Fatal("esc must cancel without staging")
	}
}

func TestEditRequirementIdentityValidation(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	send(t, m, "2", "j", "j", "right", "e")
	f := m.modal.(*form)
	if f.val("identity") != string(model.MatchRepository) || f.val("key") != "/etc/gpg/release.gpg" {
		t.Fatalf("form not prefilled: identity=%q key=%q", f.val("identity"), f.val("key"))
	}
	send(t, m, "tab", "tab") // type -> key -> identity
	for f.val("identity") != string(model.ExactReference) {
		send(t, m, "right")
	}
	if !strings.Contains(screen(m), model.ExactReference.Explain()[:30]) {
		t.Fatalf("identity explanation missing:\n%s", screen(m))
	}
	send(t, m, "tab", "type:not a reference", "enter")
	if m.modal == nil || f.err == "" {
		t.Fatal("an invalid dockerReference must block the form")
	}
	for range len("not a reference") {
		send(t, m, "backspace")
	}
	send(t, m, "type:registry.example.com/team/app:1.0", "enter")
	if m.modal != nil {
		t.Fatalf("form did not apply: %s", f.err)
	}
	r := m.deps.Policy.Policy().Transport("docker").Scope("registry.example.com/team").Requirements[0]
	if r.SignedIdentity == nil || r.SignedIdentity.Type != model.ExactReference || r.SignedIdentity.DockerReference != "registry.example.com/team/app:1.0" || r.KeyPath != "/etc/gpg/release.gpg" {
		t.Fatalf("requirement = %+v identity %+v", r, r.SignedIdentity)
	}
}

func TestRulesAddReorderDelete(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	send(t, m, "2", "right", "a") // default list: add a rule
	f := m.modal.(*form)
	for f.val("type") != string(model.InsecureAcceptAnything) {
		send(t, m, "right")
	}
	send(t, m, "enter")
	def := m.deps.Policy.Policy().Default
	if len(def) != 2 || def[1].Type != model.InsecureAcceptAnything {
		t.Fatalf("default = %v", def.DescribeList(nil))
	}
	send(t, m, "K")
	def = m.deps.Policy.Policy().Default
	if def[0].Type != model.InsecureAcceptAnything || m.pol.req != 0 {
		t.Fatalf("K did not move the rule up: %v", def.DescribeList(nil))
	}
	send(t, m, "d")
	if !strings.Contains(screen(m), "Delete rule 1 of default?") {
		t.Fatalf("no confirmation:\n%s", screen(m))
	}
	send(t, m, "n")
	if len(m.deps.Policy.Policy().Default) != 2 {
		t.Fatal("n must not delete")
	}
	send(t, m, "d", "y")
	def = m.deps.Policy.Policy().Default
	if len(def) != 1 || def[0].Type != model.Reject {
		t.Fatalf("default after delete = %v", def.DescribeList(nil))
	}
}

const fixablePolicy = `{
  "default": [{"type": "reject"}],
  "transports": {"docker": {"https://quay.io/org/": [{"type": "insecureAcceptAnything"}]}}
}
`

func TestProblemsJumpAndQuickFix(t *testing.T) {
	m, _, _, _ := newTestModel(t, fixablePolicy, 80, 24)
	send(t, m, "6")
	if len(m.problems) == 0 || m.problems[0].Replacement == "" {
		t.Fatalf("expected a fixable warning, got %v", m.problems)
	}
	send(t, m, "enter")
	if m.view != vPolicy {
		t.Fatal("enter did not jump to the policy view")
	}
	if r, _ := m.pol.selected(); r.ref.Scope != "https://quay.io/org/" {
		t.Fatalf("jumped to %v", r.ref)
	}
	send(t, m, "6", "f")
	p := m.deps.Policy.Policy()
	if p.Transport("docker").Scope("quay.io/org") == nil || p.Transport("docker").Scope("https://quay.io/org/") != nil {
		t.Fatalf("quick fix did not rename the scope: %s", m.status)
	}
	if len(m.problems) != 0 {
		t.Fatalf("problems left after fix: %v", m.problems)
	}
	send(t, m, "u")
	if m.deps.Policy.Policy().Transport("docker").Scope("https://quay.io/org/") == nil {
		t.Fatal("quick fix cannot be undone")
	}
}

func TestSaveShowsDiffAndWritesOnlyAfterConfirmation(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	path := m.deps.Paths.Policy
	send(t, m, "2", "j", "j", "j", "d", "y") // delete the open registry.k8s.io scope: tightens
	send(t, m, "ctrl+s")
	s := screen(m)
	if !strings.Contains(s, "Review and save") || !strings.Contains(s, `-      "registry.k8s.io"`) && !strings.Contains(s, "registry.k8s.io") {
		t.Fatalf("no diff:\n%s", s)
	}
	send(t, m, "n")
	if b, _ := os.ReadFile(path); string(b) != testPolicy {
		t.Fatal("cancelled save wrote the file")
	}
	send(t, m, "ctrl+s", "y")
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), "registry.k8s.io") {
		t.Fatalf("file not written:\n%s", b)
	}
	if m.dirty() || !strings.Contains(screen(m), "[saved]") {
		t.Fatalf("after save:\n%s", screen(m))
	}
}

func TestSaveWideningNeedsTypedYes(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	send(t, m, "2", "right", "e") // default: reject -> insecureAcceptAnything
	f := m.modal.(*form)
	for f.val("type") != string(model.InsecureAcceptAnything) {
		send(t, m, "right")
	}
	send(t, m, "enter", "ctrl+s")
	if !strings.Contains(screen(m), "WIDENS TRUST") {
		t.Fatalf("widening not flagged:\n%s", screen(m))
	}
	send(t, m, "y", "type:no", "enter")
	if b, _ := os.ReadFile(m.deps.Paths.Policy); string(b) != testPolicy {
		t.Fatal("written without the typed yes")
	}
	for range 2 {
		send(t, m, "backspace")
	}
	send(t, m, "type:yes", "enter")
	if b, _ := os.ReadFile(m.deps.Paths.Policy); !strings.Contains(string(b), "insecureAcceptAnything\"\n    }\n  ],") && !strings.Contains(string(b), `"default": [`) {
		t.Fatalf("not written:\n%s", b)
	}
	if m.dirty() {
		t.Fatal("still dirty after save")
	}
}

func TestSaveRefusedWhileErrors(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	send(t, m, "2", "right", "d", "y") // the default's only rule: empty list is an error
	if m.problems.Count(model.Error) == 0 {
		t.Fatal("an empty default should be an error")
	}
	send(t, m, "ctrl+s", "y")
	if !strings.Contains(screen(m), "the runtime would refuse it") {
		t.Fatalf("no refusal:\n%s", screen(m))
	}
	if b, _ := os.ReadFile(m.deps.Paths.Policy); string(b) != testPolicy {
		t.Fatal("an invalid policy was written")
	}
}

func TestKeysImportRefusesPrivateKeys(t *testing.T) {
	m, keys, _, _ := newTestModel(t, testPolicy, 80, 24)
	send(t, m, "3", "i")
	m.Update(tea.PasteMsg{Content: "-----BEGIN PGP PRIVATE KEY BLOCK-----\nxyz\n-----END PGP PRIVATE KEY BLOCK-----"})
	send(t, m, "enter")
	if keys.imports != 0 || m.modal == nil || !strings.Contains(screen(m), "PRIVATE key: refused") {
		t.Fatalf("private key not refused on screen:\n%s", screen(m))
	}
	send(t, m, "esc", "i")
	m.Update(tea.PasteMsg{Content: "-----BEGIN PGP PUBLIC KEY BLOCK-----\nxyz\n-----END PGP PUBLIC KEY BLOCK-----"})
	send(t, m, "enter")
	if keys.imports != 1 || len(m.keys.items) != 2 {
		t.Fatalf("public key not imported: %d", keys.imports)
	}
	// removal of a key in use is refused by the backend and said so
	send(t, m, "up", "d", "y")
	if !m.statusBad || !strings.Contains(m.status, "still used") {
		t.Fatalf("status = %q", m.status)
	}
	send(t, m, "down", "d", "y")
	if len(m.keys.items) != 1 {
		t.Fatal("unused key not removed")
	}
}

func TestVerifyUsesStagedPolicyAndSaysSo(t *testing.T) {
	m, _, _, v := newTestModel(t, testPolicy, 80, 24)
	send(t, m, "5", "type:registry.k8s.io/pause:3.10", "enter")
	if len(v.calls) != 1 || m.ver.res == nil || !m.ver.res.Accepted {
		t.Fatalf("verify result = %+v calls %v", m.ver.res, v.calls)
	}
	if !strings.Contains(screen(m), "(policy: saved)") {
		t.Fatalf("screen:\n%s", screen(m))
	}
	// stage a change that rejects it, then check again from history
	send(t, m, "esc", "2", "j", "j", "j", "d", "y", "5", "enter", "up", "enter")
	if m.ver.res == nil || m.ver.res.Accepted || !strings.Contains(screen(m), "(policy: staged)") {
		t.Fatalf("staged policy not used:\n%s", screen(m))
	}
}

func TestLookasideAddExplainRemove(t *testing.T) {
	m, _, la, _ := newTestModel(t, testPolicy, 80, 24)
	send(t, m, "4", "a", "type:registry.example.com/team", "tab", "type:ftp://x", "enter", "enter")
	if m.modal == nil {
		t.Fatal("an ftp URL must be refused")
	}
	send(t, m, "shift+tab")
	for range len("ftp://x") {
		send(t, m, "backspace")
	}
	send(t, m, "type:https://sigs.example.com", "enter", "enter")
	if len(la.entries) != 2 || la.entries[1].URL != "https://sigs.example.com" {
		t.Fatalf("entries = %+v", la.entries)
	}
	send(t, m, "x", "type:registry.example.com/team/app:1", "enter")
	if !strings.Contains(screen(m), "https://sigs.example.com/registry.example.com/team/app:1/signature-1") {
		t.Fatalf("no explanation:\n%s", screen(m))
	}
	send(t, m, "down", "d", "y")
	if len(la.entries) != 1 {
		t.Fatal("not removed")
	}
}

func TestOverviewSuggestsSetupForOpenDefault(t *testing.T) {
	m, _, _, _ := newTestModel(t, `{"default":[{"type":"insecureAcceptAnything"}]}`, 80, 24)
	send(t, m, "n")
	if !strings.Contains(screen(m), "default accepts anything: press w for guided setup") {
		t.Fatalf("screen:\n%s", screen(m))
	}
	m2, _, _, _ := newTestModel(t, "", 80, 24)
	send(t, m2, "esc")
	if !strings.Contains(screen(m2), "no policy.json yet: press w") {
		t.Fatalf("screen:\n%s", screen(m2))
	}
}

func TestWizardBuildsRejectByDefaultPolicy(t *testing.T) {
	m, _, la, v := newTestModel(t, `{"default":[{"type":"insecureAcceptAnything"}]}`, 80, 24)
	if d, ok := m.modal.(*confirmDialog); !ok || !strings.Contains(d.title, "guided setup") {
		t.Fatal("an open default should offer the guided setup")
	}
	send(t, m, "y", "type:registry.example.com/team", "enter") // accept the offer; scopes
	if m.wiz.step != wsKey {
		t.Fatalf("step = %v (%s)", m.wiz.step, m.wiz.form.err)
	}
	send(t, m, "enter")                                         // the inventory key
	send(t, m, "enter")                                         // identity: recommended
	send(t, m, "type:https://sigs.example.com", "enter")        // look-aside
	send(t, m, "type:registry.example.com/team/app:1", "enter") // test image
	if len(v.calls) != 1 || !strings.Contains(strings.Join(m.wiz.testRes, "\n"), "ACCEPT") {
		t.Fatalf("test image not checked against the proposal: %v %v", v.calls, m.wiz.testRes)
	}
	send(t, m, "enter") // empty: go on
	if m.wiz.step != wsDefault || m.wiz.form.get("default").value() != string(model.Reject) {
		t.Fatal("default step should recommend reject")
	}
	send(t, m, "enter", "enter", "enter")
	if m.wiz.step != wsImpact || len(m.wiz.impact) != 1 || !m.wiz.impact[0].done || m.wiz.impact[0].ok {
		t.Fatalf("impact = %+v", m.wiz.impact)
	}
	if !strings.Contains(screen(m), "REJECT") || !strings.Contains(screen(m), "(pause image)") {
		t.Fatalf("impact screen:\n%s", screen(m))
	}
	send(t, m, "enter")
	if _, ok := m.modal.(*confirmDialog); !ok || !strings.Contains(screen(m), "REJECTS the pause image") {
		t.Fatalf("rejecting the pause image needs its own confirmation:\n%s", screen(m))
	}
	send(t, m, "y")
	if _, ok := m.modal.(*saveDialog); !ok {
		t.Fatalf("save review not opened:\n%s", screen(m))
	}
	p := m.deps.Policy.Policy()
	if m.strengthOf(p.Default) != "reject" || m.strengthOf(p.Transport("docker").Scope("registry.example.com/team").Requirements) != "signed" {
		t.Fatalf("staged policy wrong: %s", p.Default.DescribeList(nil))
	}
	if len(la.entries) != 2 {
		t.Fatalf("look-aside not set: %+v", la.entries)
	}
	send(t, m, "y")
	if b, _ := os.ReadFile(m.deps.Paths.Policy); !strings.Contains(string(b), "registry.example.com/team") {
		t.Fatalf("not saved:\n%s", b)
	}
}

func TestWizardPauseAcceptedNeedsNoExtraConfirmation(t *testing.T) {
	m, _, _, _ := newTestModel(t, `{"default":[{"type":"insecureAcceptAnything"}]}`, 80, 24)
	send(t, m, "n", "w", "type:registry.example.com/team", "enter", "enter", "enter", "enter", "enter")
	send(t, m, "tab", "type:registry.k8s.io", "enter", "enter")
	if m.wiz.step != wsImpact || !m.wiz.impact[0].ok {
		t.Fatalf("pause image should be accepted with registry.k8s.io open: %+v", m.wiz.impact)
	}
	send(t, m, "enter")
	if _, ok := m.modal.(*saveDialog); !ok {
		t.Fatalf("expected the save review directly:\n%s", screen(m))
	}
}

func TestWizardWithoutVerifierAsksAboutUncheckedImages(t *testing.T) {
	d, _, _, _ := testDeps(t, `{"default":[{"type":"insecureAcceptAnything"}]}`)
	d.Verifier = nil
	m := sized(New(d), 80, 24)
	send(t, m, "y", "type:registry.example.com/team", "enter", "enter", "enter", "enter", "type:registry.example.com/team/x:1", "enter")
	if m.wiz.step != wsDefault || !strings.Contains(m.status, "NOT tested") {
		t.Fatalf("test step should go on and say the image was not tested: step %v status %q", m.wiz.step, m.status)
	}
	send(t, m, "enter", "enter", "enter")
	if m.wiz.step != wsImpact || m.wiz.impact[0].done {
		t.Fatalf("impact = %+v", m.wiz.impact)
	}
	send(t, m, "enter")
	if d, ok := m.modal.(*confirmDialog); !ok || !strings.Contains(d.title, "NOT checked") {
		t.Fatalf("unchecked images must be confirmed separately:\n%s", screen(m))
	}
	send(t, m, "n")
	if m.dirty() || m.wiz == nil {
		t.Fatal("declining must stage nothing and stay in the wizard")
	}
}

func TestVerifyInputKeepsDigitsButTabSwitches(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	send(t, m, "5", "type:reg:5000/a:1")
	if m.view != vVerify || m.ver.input.Value() != "reg:5000/a:1" {
		t.Fatalf("digits must go to the reference field: view %v value %q", m.view, m.ver.input.Value())
	}
	send(t, m, "tab")
	if m.view != vProblems {
		t.Fatalf("tab should leave the verify view, view = %v", m.view)
	}
}

// The demo passes a tour and its images: the tour stays on the Overview
// (trimmed to the room there is), the images are the Verify history, and
// the empty input shows its whole placeholder.
func TestDemoTourAndRecentImages(t *testing.T) {
	tour := []string{"1. first thing to try", "2. second thing to try", "3. third", "4. fourth"}
	recent := []string{"reg.example/b:v1", "reg.example/a:v1"}
	for _, sz := range [][2]int{{80, 24}, {80, 25}, {120, 40}} {
		d, _, _, _ := testDeps(t, testPolicy)
		d.Tour, d.Recent = tour, recent
		m := sized(New(d), sz[0], sz[1])
		send(t, m, "esc")
		s := screen(m)
		if !strings.Contains(s, "Try this (demo)") || !strings.Contains(s, "1. first thing to try") {
			t.Errorf("%dx%d: overview lacks the tour:\n%s", sz[0], sz[1], s)
		}
		if lines := strings.Split(m.View().Content, "\n"); len(lines) != sz[1] {
			t.Errorf("%dx%d: %d lines", sz[0], sz[1], len(lines))
		}
		send(t, m, "5")
		s = screen(m)
		if !strings.Contains(s, "registry.example.com/team/app:1.0") {
			t.Errorf("%dx%d: placeholder cut:\n%s", sz[0], sz[1], s)
		}
		if strings.Index(s, "reg.example/a:v1") > strings.Index(s, "reg.example/b:v1") {
			t.Errorf("%dx%d: the newest history entry should come first:\n%s", sz[0], sz[1], s)
		}
		send(t, m, "up")
		if got := m.ver.input.Value(); got != "reg.example/a:v1" {
			t.Errorf("%dx%d: ↑ recalled %q", sz[0], sz[1], got)
		}
	}
	// A Linux console's font has no arrows: the tour and the list say "up".
	d, _, _, _ := testDeps(t, testPolicy)
	d.Tour, d.Recent, d.ASCII = []string{"2. Verify (↑ recalls them)"}, recent, true
	m := sized(New(d), 80, 24)
	send(t, m, "esc")
	if s := screen(m); !strings.Contains(s, "2. Verify (up recalls them)") {
		t.Errorf("ASCII tour:\n%s", s)
	}
	send(t, m, "5")
	if s := screen(m); !strings.Contains(s, "recent (up recalls them)") || strings.Contains(s, "↑") {
		t.Errorf("ASCII verify view:\n%s", s)
	}
}

// At 80x24 an explanation (as long as the real backend's) stays whole
// even with warnings in the details pane: it comes first, and a short
// table leaves the room to the details.
func TestLookasideExplainFitsWithWarnings(t *testing.T) {
	d, _, la, _ := testDeps(t, testPolicy)
	for range 3 {
		la.diags = append(la.diags, model.Diagnostic{Severity: model.Warning, Pos: model.Pos{File: "/etc/containers/registries.d/a.yaml", Line: 3, Col: 3},
			Message: "lookaside http://x is plain http: signatures are signed, but anyone on the path can withhold them"})
	}
	m := sized(New(d), 80, 24)
	send(t, m, "esc", "4", "x", "type:registry.example.com/team/app:1", "enter")
	if s := screen(m); !strings.Contains(s, "https://sigs.example.com/registry.example.com/team/app:1/signature-1") {
		t.Fatalf("explanation cut:\n%s", s)
	}
}

// TestKeysImportPasteKeepsLines: a pasted armored key reaches the backend
// with its lines (CR line ends as terminals send them, made LF); typing
// replaces the pasted block with a path.
func TestKeysImportPasteKeepsLines(t *testing.T) {
	m, keys, _, _ := newTestModel(t, testPolicy, 80, 24)
	block := "-----BEGIN PGP PUBLIC KEY BLOCK-----\r\n\r\nmDMEZ\r\nabcd\r\n=AbCd\r\n-----END PGP PUBLIC KEY BLOCK-----\r\n"
	send(t, m, "3", "i")
	m.Update(tea.PasteMsg{Content: block})
	if !strings.Contains(screen(m), "[pasted: 6 lines") {
		t.Fatalf("paste not shown:\n%s", screen(m))
	}
	send(t, m, "enter")
	want := strings.ReplaceAll(block, "\r\n", "\n")
	if keys.imports != 1 || string(keys.last) != want {
		t.Fatalf("backend got %q, want %q", keys.last, want)
	}
	// Typing after a paste gives a path again.
	send(t, m, "i")
	m.Update(tea.PasteMsg{Content: block})
	send(t, m, "backspace", "type:/nonexistent/key.asc", "enter")
	if keys.imports != 1 || m.modal == nil || !strings.Contains(screen(m), "reading key file") {
		t.Fatalf("typed path after a paste:\n%s", screen(m))
	}
	// A pasted path with its line end is still a path.
	send(t, m, "esc", "i")
	m.Update(tea.PasteMsg{Content: "/nonexistent/pasted.asc\n"})
	send(t, m, "enter")
	if keys.imports != 1 || !strings.Contains(screen(m), "reading key file") {
		t.Fatalf("pasted path:\n%s", screen(m))
	}
}

// unreachableImpact answers as the impact backend does for a registry out
// of reach: the image was not checked.
type unreachableImpact struct{}

func (unreachableImpact) Verify(_ context.Context, _ *model.Policy, ref string) (VerifyResult, error) {
	return VerifyResult{Ref: ref}, errors.New("dial tcp: connection refused")
}

// TestWizardUnreachableIsNotRejected: an image the impact check could not
// reach is shown as not checked and asks the "not checked" question, never
// "REJECTS the pause image".
func TestWizardUnreachableIsNotRejected(t *testing.T) {
	d, _, _, _ := testDeps(t, `{"default":[{"type":"insecureAcceptAnything"}]}`)
	d.Impact = unreachableImpact{}
	m := sized(New(d), 80, 24)
	send(t, m, "n", "w", "type:registry.example.com/team", "enter", "enter", "enter", "enter", "enter")
	send(t, m, "enter", "enter", "enter")
	if m.wiz.step != wsImpact || !m.wiz.impact[0].done || m.wiz.rejected != 0 {
		t.Fatalf("impact = %+v rejected %d", m.wiz.impact, m.wiz.rejected)
	}
	if s := screen(m); strings.Contains(s, "REJECT") || !strings.Contains(s, "not checked") {
		t.Fatalf("impact screen:\n%s", s)
	}
	send(t, m, "enter")
	if d, ok := m.modal.(*confirmDialog); !ok || !strings.Contains(d.title, "NOT checked") {
		t.Fatalf("an unreachable pause image must ask the not-checked question:\n%s", screen(m))
	}
}

// TestVerifyKeysDoWhatHelpSays: the verify view's help line is drawn from
// the bindings its keys are matched with, so each key it names works.
func TestVerifyKeysDoWhatHelpSays(t *testing.T) {
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	send(t, m, "5", "type:reg.example/a:1", "enter")
	if m.ver.res == nil || m.ver.input.Focused() {
		t.Fatalf("no result shown: %+v", m.ver)
	}
	// A trace longer than the pane, so that there is something to scroll.
	for i := range 40 {
		m.ver.res.Trace = append(m.ver.res.Trace, TraceStep{Detail: true, Text: fmt.Sprintf("trace line %d", i)})
	}
	foot := screen(m)
	for _, want := range []string{"enter/i type a reference", "/j scroll down", "/k scroll up"} {
		if !strings.Contains(foot, want) {
			t.Errorf("help lacks %q:\n%s", want, foot)
		}
	}
	send(t, m, "j", "j")
	if got := m.ver.result.YOffset(); got != 2 {
		t.Errorf("j scrolled to %d, want 2", got)
	}
	send(t, m, "k")
	if got := m.ver.result.YOffset(); got != 1 {
		t.Errorf("k scrolled to %d, want 1", got)
	}
	// Scrolling stops with the last line at the bottom of the pane.
	for range 100 {
		send(t, m, "j")
	}
	if s := screen(m); !strings.Contains(s, "trace line 39") || m.ver.result.YOffset() != m.ver.result.TotalLineCount()-m.ver.result.Height() {
		t.Errorf("scrolled past the end: offset %d of %d lines:\n%s", m.ver.result.YOffset(), m.ver.result.TotalLineCount(), s)
	}
	send(t, m, "i")
	if !m.ver.input.Focused() || !strings.Contains(screen(m), "older reference") {
		t.Fatalf("i should focus the input and show its keys:\n%s", screen(m))
	}
	send(t, m, "up")
	if got := m.ver.input.Value(); got != "reg.example/a:1" {
		t.Errorf("up recalled %q", got)
	}
	send(t, m, "esc")
	if m.ver.input.Focused() {
		t.Error("esc should leave the input")
	}
}

// TestFirstFrameBeforeProblems: the first frame is drawn before the
// problems of the opened policy are known ("checking…"); they arrive by a
// tea.Cmd, a late answer for an earlier state is dropped, and anything
// the user does first waits for them.
func TestFirstFrameBeforeProblems(t *testing.T) {
	const pol = `{"default":[{"type":"reject"}],"transports":{"docker":{"registry.example.com/a":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/absent.gpg"}]}}}`
	addScope := func(m *Model) {
		m.deps.Policy.Edit("add b", func(p *model.Policy) {
			p.SetScope("docker", "registry.example.com/b", model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/etc/gpg/absent2.gpg"}})
		})
		m.refresh()
	}
	tests := []struct {
		name string
		// before runs between the first frame and the problems' arrival.
		before     func(m *Model)
		wantErrors string
	}{
		{"arrive", func(*Model) {}, "1 error"},
		{"key first", func(m *Model) { m.Update(kp("j")) }, "1 error"},
		{"edit first", addScope, "2 errors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, _, _ := testDeps(t, pol)
			m := New(d)
			m.modal = nil
			m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
			if s := screen(m); !strings.Contains(s, "checking…") || strings.Contains(s, "error") {
				t.Fatalf("first frame:\n%s", s)
			}
			m.switchView(vProblems)
			if s := screen(m); !strings.Contains(s, "checking policy.json") {
				t.Fatalf("Problems view before the problems:\n%s", s)
			}
			cmd := m.checkProblems()
			if cmd == nil {
				t.Fatal("no tea.Cmd for the problems")
			}
			msg := cmd()
			tt.before(m)
			m.Update(msg)
			s := screen(m)
			if strings.Contains(s, "checking") || !strings.Contains(s, tt.wantErrors) {
				t.Fatalf("want %q after the problems:\n%s", tt.wantErrors, s)
			}
			if m.checkProblems() != nil {
				t.Error("problems still due")
			}
		})
	}
}

// TestOverviewListTruncatesAsTheWholeList: the names an overview line keeps
// truncate to what the whole list would.
func TestOverviewListTruncatesAsTheWholeList(t *testing.T) {
	names := func(n int, f string) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf(f, i))
		}
		return out
	}
	tests := []struct {
		name  string
		names []string
		max   int
	}{
		{"none", nil, 60},
		{"fits", names(3, "docker:r%d.example.com"), 60},
		{"just fits", []string{"0123456789", "0123456789"}, 22},
		{"one over", []string{"0123456789", "0123456789"}, 21},
		{"many", names(10000, "docker:registry%d.example.com/team"), 60},
		{"wide", names(50, "docker:レジストリ%d"), 60},
		{"narrow line", names(50, "docker:r%d"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l overviewList
			for _, n := range tt.names {
				l.add(tt.max, func() string { return n })
			}
			if l.n != len(tt.names) {
				t.Errorf("count %d, want %d", l.n, len(tt.names))
			}
			got := ansi.Truncate(strings.Join(l.names, ", "), tt.max, "…")
			want := ansi.Truncate(strings.Join(tt.names, ", "), tt.max, "…")
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
