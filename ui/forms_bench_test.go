package ui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/kios/imgtrust/model"
)

// BenchmarkRuleFormKeystroke is one character typed into the rule form
// of a 1,000-scope policy, and the frame it causes: what Update does on
// the keyboard's path (the rule's own checks); the policy-wide preview is
// left to its Cmd (BenchmarkRuleFormPreview).
func BenchmarkRuleFormKeystroke(b *testing.B) {
	m, _, _, _ := newTestModel(b, bigPolicy(1000), 80, 24)
	ref := model.ScopeRef{Transport: model.TransportDocker, Scope: "registry500.example.com/team500"}
	m.switchView(vPolicy)
	m.openRequirementForm(ref, 0)
	f := m.modal.(*form)
	send(b, m, "tab", "right", "tab") // Key: a typed path
	if f.focused().key != "keyPath" {
		b.Fatalf("focus on %s", f.focused().key)
	}
	keys := []tea.KeyPressMsg{{Code: 'a', Text: "a"}, {Code: tea.KeyBackspace}}
	i := 0
	for b.Loop() {
		m.Update(keys[i%2])
		i++
		_ = m.View()
	}
}

// BenchmarkRuleFormPreview is the preview's Cmd for the same form: the
// staged policy with the rule applied, validated, its key files checked.
func BenchmarkRuleFormPreview(b *testing.B) {
	m, _, _, _ := newTestModel(b, bigPolicy(1000), 80, 24)
	ref := model.ScopeRef{Transport: model.TransportDocker, Scope: "registry500.example.com/team500"}
	m.openRequirementForm(ref, 0)
	f := m.modal.(*form)
	for b.Loop() {
		_ = f.preview(m, f)()
	}
}
