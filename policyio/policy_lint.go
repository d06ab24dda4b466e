package policyio

import (
	"fmt"
	"strings"

	"github.com/kios/imgtrust/model"
)

// lintPolicy finds what the runtime accepts but an admin should know:
// permissive defaults, rules that never run, and scopes that punch holes
// into a stricter rule above them.
func lintPolicy(p *model.Policy) model.Diagnostics {
	var out model.Diagnostics
	add := func(sev model.Severity, code string, pos model.Pos, tgt model.Target, msg, fix string) {
		t := tgt
		out = append(out, model.Diagnostic{Severity: sev, Code: code, Pos: pos, Path: tgt.List.String(), Message: msg, Fix: fix, Target: &t})
	}
	if len(p.Default) > 0 && Strength(p.Default) == StrengthAcceptAll {
		add(model.Warning, "default-accepts-anything", p.DefaultPos, model.Target{List: model.ScopeRef{IsDefault: true}, Requirement: -1},
			"the default accepts any image, signed or not: every registry without its own scope is trusted blindly",
			`set "default": [{"type": "reject"}] and give each trusted registry its own scope (guided setup: imgtrust, then w)`)
	}
	p.EachList(func(ref model.ScopeRef, pos model.Pos, reqs model.Requirements) {
		hasAccept, others := false, 0
		for i, r := range reqs {
			tgt := model.Target{List: ref, Requirement: i}
			switch r.Type {
			case model.InsecureAcceptAnything:
				hasAccept = true
			case model.SignedBaseLayer:
				others++
				add(model.Warning, "signed-base-layer", r.Pos, tgt,
					"signedBaseLayer is not implemented by containers/image: it rejects every image",
					"use signedBy, or reject if that is the intent")
			case model.SigstoreSigned:
				others++
			default:
				others++
			}
		}
		if hasAccept && others > 0 {
			add(model.Info, "redundant-accept", pos, model.Target{List: ref, Requirement: -1},
				"insecureAcceptAnything next to other requirements adds nothing: all requirements must hold", "remove the insecureAcceptAnything entry")
		}
	})
	out = append(out, shadowWarnings(p)...)
	return out
}

// Strength orders requirement lists from the most to the least strict.
type StrengthLevel int

const (
	StrengthAcceptAll StrengthLevel = iota // accepts any image
	StrengthSigned                         // needs a signature
	StrengthReject                         // accepts nothing
)

// Strength classifies a requirement list: one reject rejects everything,
// any signature requirement requires signatures, else anything goes.
func Strength(reqs model.Requirements) StrengthLevel {
	s := StrengthAcceptAll
	for _, r := range reqs {
		switch r.Type {
		case model.Reject, model.SignedBaseLayer:
			return StrengthReject
		case model.SignedBy, model.SigstoreSigned:
			s = StrengthSigned
		}
	}
	return s
}

func (s StrengthLevel) String() string {
	switch s {
	case StrengthReject:
		return "rejects everything"
	case StrengthSigned:
		return "requires signatures"
	}
	return "accepts anything"
}

// DockerScopeParents returns the scopes the runtime would try after scope
// for an image under it, most specific first: parent namespaces, the
// host[:port], then *. wildcards of the host without its port.
func DockerScopeParents(scope string) []string {
	var out []string
	eachDockerScopeParent(scope, true, func(p string) bool {
		out = append(out, p)
		return true
	})
	return out
}

// eachDockerScopeParent calls fn with each scope DockerScopeParents
// lists, in its order, until fn returns false. Without wildcards it leaves
// out the *. forms, the only ones it must build: a check over every scope
// of a large policy that has no wildcard scope need not (issue 15).
func eachDockerScopeParent(scope string, wildcards bool, fn func(string) bool) {
	if scope == "" {
		return
	}
	if strings.HasPrefix(scope, "*.") {
		if wildcards {
			eachWildcard(scope[2:], fn)
		}
		return
	}
	name := scope
	// A tag or digest on the last component: the repository comes first.
	if i := strings.LastIndex(name, "@"); i > 0 {
		name = name[:i]
		if !fn(name) {
			return
		}
	} else if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") && strings.Contains(name, "/") {
		name = name[:i]
		if !fn(name) {
			return
		}
	}
	for {
		i := strings.LastIndex(name, "/")
		if i < 0 {
			break
		}
		name = name[:i]
		if !fn(name) {
			return
		}
	}
	if !wildcards {
		return
	}
	host := name
	if i := strings.LastIndex(host, ":"); i >= 0 {
		host = host[:i]
	}
	eachWildcard(host, fn)
}

func eachWildcard(host string, fn func(string) bool) {
	for {
		i := strings.Index(host, ".")
		if i < 0 {
			return
		}
		host = host[i+1:]
		if !fn("*." + host) {
			return
		}
	}
}

// shadowWarnings reports docker scopes that are more permissive than the
// nearest broader scope, which they override for the images under them.
func shadowWarnings(p *model.Policy) model.Diagnostics {
	t := p.Transport(model.TransportDocker)
	if t == nil {
		return nil
	}
	// The scope a parent name selects: the last of that name, as in the
	// runtime's map (repeated names are an error of their own); through
	// the transport's index when no name repeats.
	lookup := t.Scope
	if t.NamesRepeat() {
		byName := make(map[string]*model.Scope, len(t.Scopes))
		for _, s := range t.Scopes {
			byName[s.Name] = s
		}
		lookup = func(name string) *model.Scope { return byName[name] }
	}
	wildcards := t.HasWildcardScope()
	var out model.Diagnostics
	for _, s := range t.Scopes {
		if s.Name == "" {
			continue
		}
		eachDockerScopeParent(s.Name, wildcards, func(parent string) bool {
			ps := lookup(parent)
			if ps == nil {
				return true
			}
			if len(s.Requirements) > 0 && Strength(s.Requirements) < Strength(ps.Requirements) {
				tgt := model.Target{List: model.ScopeRef{Transport: t.Name, Scope: s.Name}, Requirement: -1}
				out = append(out, model.Diagnostic{
					Severity: model.Warning, Code: "scope-weaker-than-parent", Pos: s.Pos, Path: tgt.List.String(), Target: &tgt,
					Message: fmt.Sprintf("scope %q %s although the broader scope %q %s: for images under %q only this scope applies",
						s.Name, Strength(s.Requirements), parent, Strength(ps.Requirements), s.Name),
					Fix: "make sure this exception is intended; scopes are never combined",
				})
			}
			return false // only the nearest existing parent matters
		})
	}
	return out
}
