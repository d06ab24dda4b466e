package policyio

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/kios/imgtrust/model"
)

// Weakening is one way a new policy accepts images the old one refused.
type Weakening struct {
	List model.ScopeRef
	Was  string
	Now  string
}

func (w Weakening) String() string {
	return fmt.Sprintf("%s: %s -> %s", w.List, w.Was, w.Now)
}

// Weakenings compares the rule that applies to each scope of either policy
// (the scope itself, else what the runtime would fall back to) and lists
// every place where the new policy is more permissive: a weaker
// requirement kind, an additional trusted key, or a looser identity rule.
// An old policy of nil (no file yet) has nothing to weaken.
func Weakenings(old, cur *model.Policy) []Weakening {
	if old == nil || cur == nil {
		return nil
	}
	refs := []model.ScopeRef{{IsDefault: true}}
	seen := map[model.ScopeRef]bool{}
	for _, p := range []*model.Policy{old, cur} {
		for _, t := range p.Transports {
			for _, s := range t.Scopes {
				r := model.ScopeRef{Transport: t.Name, Scope: s.Name}
				if !seen[r] {
					seen[r] = true
					refs = append(refs, r)
				}
			}
		}
	}
	var out []Weakening
	for _, ref := range refs {
		o, n := effectiveList(old, ref), effectiveList(cur, ref)
		if len(o) == 0 || len(n) == 0 {
			// An empty list makes the runtime refuse the whole file: it
			// trusts nothing, and the writer refuses to write it anyway.
			continue
		}
		so, sn := Strength(o), Strength(n)
		switch {
		case sn < so:
			out = append(out, Weakening{List: ref, Was: so.String(), Now: sn.String()})
		case sn == StrengthSigned && so == StrengthSigned:
			if added := addedKeys(o, n); len(added) > 0 {
				out = append(out, Weakening{List: ref, Was: "trusted keys as before", Now: fmt.Sprintf("also trusts %s", added[0])})
			}
			if identityLooser(o, n) {
				out = append(out, Weakening{List: ref, Was: identitySummary(o), Now: identitySummary(n)})
			}
		}
	}
	return out
}

// effectiveList is the requirement list the runtime would use for an
// image whose most specific scope is ref.
func effectiveList(p *model.Policy, ref model.ScopeRef) model.Requirements {
	if ref.IsDefault {
		return p.Default
	}
	t := p.Transport(ref.Transport)
	if t == nil {
		return p.Default
	}
	if s := t.Scope(ref.Scope); s != nil {
		return s.Requirements
	}
	if ref.Transport == model.TransportDocker {
		for _, parent := range DockerScopeParents(ref.Scope) {
			if s := t.Scope(parent); s != nil {
				return s.Requirements
			}
		}
	}
	if s := t.Scope(""); s != nil {
		return s.Requirements
	}
	return p.Default
}

func keySet(reqs model.Requirements) []string {
	var out []string
	for _, r := range reqs {
		for _, k := range r.KeyRefs() {
			if k.Inline() {
				sum := sha256.Sum256(k.Data)
				out = append(out, "inline key data "+hex.EncodeToString(sum[:6]))
			} else {
				out = append(out, k.Path)
			}
		}
	}
	return out
}

func addedKeys(old, cur model.Requirements) []string {
	o := keySet(old)
	var added []string
	for _, k := range keySet(cur) {
		if !slices.Contains(o, k) {
			added = append(added, k)
		}
	}
	return added
}

// identityRank orders identity rules by how many signatures they accept;
// higher is stricter.
func identityRank(t model.IdentityType) int {
	switch t {
	case model.MatchExact, model.ExactReference:
		return 3
	case model.MatchRepoDigestOrExact, model.RemapIdentity:
		return 2
	default:
		return 1
	}
}

func minIdentityRank(reqs model.Requirements) (int, bool) {
	rank, found := 99, false
	for _, r := range reqs {
		if r.Type == model.SignedBy || r.Type == model.SigstoreSigned {
			rank = min(rank, identityRank(r.EffectiveIdentity().Type))
			found = true
		}
	}
	return rank, found
}

func identityLooser(old, cur model.Requirements) bool {
	o, ok1 := minIdentityRank(old)
	n, ok2 := minIdentityRank(cur)
	return ok1 && ok2 && n < o
}

func identitySummary(reqs model.Requirements) string {
	for _, r := range reqs {
		if r.Type == model.SignedBy || r.Type == model.SigstoreSigned {
			return "identity " + string(r.EffectiveIdentity().Type)
		}
	}
	return "no identity rule"
}
