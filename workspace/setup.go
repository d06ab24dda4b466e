package workspace

import "github.com/kios/imgtrust/model"

// SetupAnswers are the guided setup's answers: which docker scopes must
// be signed by which key, which stay open, and what happens to every
// other image. The TUI's wizard asks them; Propose turns them into a
// policy, so that the rules of first-time setup live with the change
// set, where a command can use them too.
type SetupAnswers struct {
	Default model.RequirementType // reject, or insecureAcceptAnything
	Signed  []string              // docker scopes that need a signature
	KeyPath string                // node path of the key that signs them
	// Identity is what the signature must claim; matchRepoDigestOrExact
	// (signedBy's own default) leaves signedIdentity out.
	Identity model.IdentityType
	Open     []string // docker scopes that accept anything
}

// Propose applies the answers to a copy of base (nil: an empty policy).
// Scopes the answers do not name are kept; a docker "" scope, which would
// override the default for every registry, follows the chosen default.
func (a SetupAnswers) Propose(base *model.Policy) *model.Policy {
	p := base.Clone()
	if p == nil {
		p = &model.Policy{}
	}
	def := &model.Requirement{Type: a.Default}
	p.Default = model.Requirements{def}
	if d := p.Transport(model.TransportDocker).Scope(""); d != nil {
		d.Requirements = model.Requirements{def.Clone()}
	}
	for _, s := range a.Signed {
		r := &model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: a.KeyPath}
		if a.Identity != "" && a.Identity != model.MatchRepoDigestOrExact {
			r.SignedIdentity = &model.Identity{Type: a.Identity}
		}
		p.SetScope(model.TransportDocker, s, model.Requirements{r})
	}
	for _, s := range a.Open {
		p.SetScope(model.TransportDocker, s, model.Requirements{{Type: model.InsecureAcceptAnything}})
	}
	return p
}
