package policyio

import (
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
)

// Rules is policyio's answers to an editor (the TUI) as one value: the
// parser's and the linter's verdicts, the writer and the text fixes. The
// TUI asks them through its own interface (ui.Rules), so that it holds no
// domain rule and calls no domain package itself.
type Rules struct{}

func (Rules) ParsePolicy(file string, data []byte) (*model.Policy, model.Diagnostics) {
	return ParsePolicy(file, data)
}

func (Rules) ValidatePolicy(p *model.Policy, label string) model.Diagnostics {
	return ValidatePolicy(p, label)
}

// CheckKeyFiles checks the key files p names as they are on the node
// (without a mechanism's inspection: the editor's quick look).
func (Rules) CheckKeyFiles(p *model.Policy, paths node.Paths) model.Diagnostics {
	return CheckKeyFiles(p, paths, nil)
}

func (Rules) CheckRequirement(r *model.Requirement) model.Diagnostics { return CheckRequirement(r) }

func (Rules) ScopeProblem(transport, scope string) (msg, fix string) {
	return ScopeProblem(transport, scope)
}

func (Rules) DockerScopeWarning(scope string) (msg, fix, repl string) {
	return DockerScopeWarning(scope)
}

func (Rules) LookasideURLProblem(u string) string { return LookasideURLProblem(u) }

func (Rules) Strength(reqs model.Requirements) StrengthLevel { return Strength(reqs) }

func (Rules) MarshalPolicy(p *model.Policy) ([]byte, error) { return MarshalPolicy(p) }

func (Rules) StripComments(src []byte) ([]byte, error) { return StripComments(src) }

func (Rules) ApplyDiagnosticFix(src []byte, d model.Diagnostic, i int) ([]byte, error) {
	return ApplyDiagnosticFix(src, d, i)
}
