package ui

import (
	"github.com/kios/imgtrust/model"
)

// The identity fields: signedBy's and sigstoreSigned's signedIdentity and
// signedBaseLayer's baseLayerIdentity, with the parameters of each type
// (containers/image's signature/policy_reference_match.go).

func (m *Model) identityFields(st *ruleState) []*field {
	var ids []string
	for _, t := range model.IdentityTypes {
		ids = append(ids, string(t))
	}
	withIdentity := isType(model.SignedBy, model.SigstoreSigned, model.SignedBaseLayer)
	id := choiceField("identity", "Identity rule", ids, nil)
	id.show = withIdentity
	id.explain = func(f *form) string {
		e := model.IdentityType(f.val("identity")).Explain()
		if model.RequirementType(f.val("type")) == model.SignedBaseLayer {
			e = "the base layer's signature: " + e
		}
		return e
	}
	id.check = st.check("identity", nil)
	idIs := func(t model.IdentityType) func(f *form) bool {
		return func(f *form) bool { return withIdentity(f) && f.val("identity") == string(t) }
	}
	// Each value's own problem: policyio.CheckRequirement reports each key
	// of the identity at its path (signedIdentity.prefix, ...).
	idCheck := func(key string) func(f *form) (string, bool) { return st.check(key, nil) }
	ref := textField("dockerReference", "Signed reference", "", "registry.example.com/app:1.0")
	ref.show, ref.check = idIs(model.ExactReference), idCheck("dockerReference")
	repo := textField("dockerRepository", "Signed repository", "", "registry.example.com/app")
	repo.show, repo.check = idIs(model.ExactRepository), idCheck("dockerRepository")
	prefix := textField("prefix", "Prefix (pulled)", "", "mirror.example.net/team")
	prefix.show, prefix.check = idIs(model.RemapIdentity), idCheck("prefix")
	prefix.explain = func(*form) string { return "host[:port][/path] the node pulls from" }
	sprefix := textField("signedPrefix", "Signed prefix", "", "registry.example.com/team")
	sprefix.show, sprefix.check = idIs(model.RemapIdentity), idCheck("signedPrefix")
	sprefix.explain = func(*form) string { return "what the signatures name instead" }
	for _, obj := range []string{"signedIdentity", "baseLayerIdentity"} {
		st.own("dockerReference", obj+".dockerReference")
		st.own("dockerRepository", obj+".dockerRepository")
		st.own("prefix", obj+".prefix")
		st.own("signedPrefix", obj+".signedPrefix")
		st.own("identity", obj)
	}

	if orig := st.orig; orig != nil {
		eff := orig.EffectiveIdentity()
		if orig.Type == model.SignedBaseLayer {
			eff = model.Identity{Type: model.MatchRepository}
			if orig.BaseLayerIdentity != nil {
				eff = *orig.BaseLayerIdentity
			}
		}
		id.setChoice(string(eff.Type))
		ref.in.SetValue(eff.DockerReference)
		repo.in.SetValue(eff.DockerRepository)
		prefix.in.SetValue(eff.Prefix)
		sprefix.in.SetValue(eff.SignedPrefix)
	}
	return []*field{id, ref, repo, prefix, sprefix}
}

func formIdentity(f *form) model.Identity {
	return model.Identity{
		Type:             model.IdentityType(f.val("identity")),
		DockerReference:  f.val("dockerReference"),
		DockerRepository: f.val("dockerRepository"),
		Prefix:           f.val("prefix"),
		SignedPrefix:     f.val("signedPrefix"),
	}
}

// signedIdentity is the signedIdentity the form names. A rule that had
// none keeps none while the runtime's default (matchRepoDigestOrExact)
// is chosen, so that an edit does not add a key the file did not have.
func (st *ruleState) signedIdentity(f *form) *model.Identity {
	id := formIdentity(f)
	orig := st.orig
	if orig != nil && (orig.Type == model.SignedBy || orig.Type == model.SigstoreSigned) &&
		orig.SignedIdentity == nil && id.Type == model.MatchRepoDigestOrExact {
		return nil
	}
	return &id
}
