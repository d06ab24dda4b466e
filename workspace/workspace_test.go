package workspace

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
)

func newRoot(t *testing.T, policy string) node.Paths {
	t.Helper()
	root := t.TempDir()
	paths := node.NewPaths(root, "", "", "")
	os.MkdirAll(filepath.Dir(paths.Policy), 0o755)
	if policy != "" {
		if err := os.WriteFile(paths.Policy, []byte(policy), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

func TestEditUndoSave(t *testing.T) {
	const orig = `{"default":[{"type":"insecureAcceptAnything"}]}`
	paths := newRoot(t, orig)
	w, err := Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	if w.Dirty() {
		t.Fatal("dirty before any edit")
	}
	if n := w.Problems().Count(model.Warning); n != 1 {
		t.Fatalf("want the default-accepts warning, got %v", w.Problems())
	}

	w.Edit("require signatures for example.com", func(p *model.Policy) {
		p.SetScope("docker", "example.com", model.Requirements{{Type: model.SignedBy, KeyType: "GPGKeys"}})
	})
	if !w.Dirty() {
		t.Fatal("not dirty after an edit")
	}
	probs := w.Problems()
	if !probs.HasErrors() || probs[0].Code != "signedby-no-key" {
		t.Fatalf("staged problems should show the missing key first: %v", probs)
	}
	if err := w.Save("", false); err == nil {
		t.Fatal("saved a policy with errors")
	}

	w.Edit("set key", func(p *model.Policy) {
		p.Transport("docker").Scope("example.com").Requirements[0].KeyPath = "/etc/gpg/k.gpg"
	})
	w.Edit("reject by default", func(p *model.Policy) {
		p.Default = model.Requirements{{Type: model.Reject}}
	})
	if got := w.Edits(); len(got) != 3 {
		t.Fatalf("edits: %v", got)
	}
	if s, ok := w.Undo(); !ok || s != "reject by default" {
		t.Fatalf("undo = %q %v", s, ok)
	}
	w.Edit("reject by default", func(p *model.Policy) { p.Default = model.Requirements{{Type: model.Reject}} })

	ch, err := w.PolicyChange()
	if err != nil || ch == nil {
		t.Fatalf("change: %v %v", ch, err)
	}
	// The file is one line: the edit keeps it one line.
	if !strings.Contains(ch.Diff, `+{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[`) || !strings.Contains(ch.Diff, "-"+orig) {
		t.Errorf("diff:\n%s", ch.Diff)
	}
	if len(ch.Weakenings) != 0 {
		t.Errorf("tightening reported as weakening: %v", ch.Weakenings)
	}
	if err := w.Save("", false); err != nil {
		t.Fatal(err)
	}
	if w.Dirty() {
		t.Error("dirty after save")
	}
	data, _ := os.ReadFile(paths.Policy)
	if _, d := policyio.ParsePolicy("x", data); d.HasErrors() || !strings.Contains(string(data), "example.com") {
		t.Errorf("written:\n%s", data)
	}
	log, _ := os.ReadFile(w.AuditLog)
	if !strings.Contains(string(log), "reject") {
		t.Errorf("audit log: %q", log)
	}
}

func TestWeakeningNeedsConsent(t *testing.T) {
	paths := newRoot(t, `{"default":[{"type":"reject"}]}`)
	w, _ := Open(paths)
	w.Edit("open up", func(p *model.Policy) { p.Default = model.Requirements{{Type: model.InsecureAcceptAnything}} })
	ch, _ := w.PolicyChange()
	if len(ch.Weakenings) != 1 {
		t.Fatalf("weakenings: %v", ch.Weakenings)
	}
	var we *policyio.WeakenError
	if err := w.Save("", false); !errors.As(err, &we) {
		t.Fatalf("err = %v", err)
	}
	if err := w.Save("", true); err != nil {
		t.Fatal(err)
	}
}

func TestMissingPolicyStartsEmpty(t *testing.T) {
	paths := newRoot(t, "")
	w, _ := Open(paths)
	if w.Policy() != nil {
		t.Fatal("a policy out of nothing")
	}
	if d := w.Problems(); len(d) == 0 || d[0].Code != "policy-missing" {
		t.Fatalf("problems: %v", d)
	}
	w.Edit("create", func(p *model.Policy) { p.Default = model.Requirements{{Type: model.Reject}} })
	if err := w.Save("", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(paths.Policy); err != nil {
		t.Fatal(err)
	}
}

func TestQuickFix(t *testing.T) {
	paths := newRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"a.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentity":{"type":"matchRespository"}}]}}}`)
	w, _ := Open(paths)
	if w.Policy() == nil {
		t.Fatal("no policy")
	}
	var d model.Diagnostic
	for _, p := range w.Problems() {
		if p.Code == "unknown-identity-type" {
			d = p
		}
	}
	if err := w.QuickFix(d); err != nil {
		t.Fatal(err)
	}
	if got := w.Policy().Transport("docker").Scope("a.com").Requirements[0].SignedIdentity.Type; got != model.MatchRepository {
		t.Fatalf("identity after fix: %q", got)
	}
	for _, p := range w.Problems() {
		if p.Code == "unknown-identity-type" {
			t.Errorf("problem still there: %v", p)
		}
	}
	if _, ok := w.Undo(); !ok {
		t.Fatal("the fix is not undoable")
	}
}

// TestEditsLeaveEarlierStatesAlone: the loaded policy (the baseline of
// Weakenings) and every state in the undo history stay as they were,
// whatever later edits do, and the shared rendering follows each change.
func TestEditsLeaveEarlierStatesAlone(t *testing.T) {
	paths := newRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"a.example":[{"type":"reject"}]}}}`)
	w, err := Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	loaded, _ := policyio.MarshalPolicy(w.PolicyFile().Policy)
	w.Edit("open a.example", func(p *model.Policy) {
		p.Transport("docker").Scope("a.example").Requirements[0].Type = model.InsecureAcceptAnything
	})
	afterFirst, _ := policyio.MarshalPolicy(w.Policy())
	ch, err := w.PolicyChange()
	if err != nil || ch == nil || len(ch.Weakenings) == 0 {
		t.Fatalf("the widening is not seen: %+v %v", ch, err)
	}
	w.Edit("add b.example", func(p *model.Policy) {
		p.SetScope("docker", "b.example", model.Requirements{{Type: model.Reject}})
		p.Transport("docker").Scope("a.example").Requirements[0].Type = model.Reject
	})
	if got, _ := policyio.MarshalPolicy(w.PolicyFile().Policy); string(got) != string(loaded) {
		t.Errorf("the loaded policy changed:\n%s", got)
	}
	if ch, _ := w.PolicyChange(); ch == nil || !strings.Contains(ch.Diff, "b.example") || len(ch.Weakenings) != 0 {
		t.Errorf("the change does not follow the second edit: %+v", ch)
	}
	w.Undo()
	if got, _ := policyio.MarshalPolicy(w.Policy()); string(got) != string(afterFirst) {
		t.Errorf("undo gave\n%s\nwant\n%s", got, afterFirst)
	}
	w.Undo()
	if got, _ := policyio.MarshalPolicy(w.Policy()); string(got) != string(loaded) || w.Dirty() {
		t.Errorf("undoing everything gave\n%s", got)
	}
}
