package verify

import (
	"fmt"
	"strings"

	"github.com/kios/imgtrust/gpg"
)

// StepStatus marks a trace step.
type StepStatus int

const (
	StepInfo   StepStatus = iota // a fact: the manifest, the look-aside
	StepOK                       // a requirement or signature that accepted
	StepFailed                   // one that did not
)

// Step is one line of the compact trace: what a narrow pane (the TUI's
// verify view) shows, in order, indented by Depth. RenderText is the
// long form of the same Result for the terminal.
type Step struct {
	Status StepStatus
	Depth  int
	Text   string
}

// Steps is the compact trace of r: notes, the rule and the scopes tried,
// the manifest, the look-aside, each requirement with its signatures, and
// the mechanism and policy used.
func (r *Result) Steps() []Step {
	var out []Step
	step := func(st StepStatus, depth int, format string, a ...any) {
		out = append(out, Step{Status: st, Depth: depth, Text: fmt.Sprintf(format, a...)})
	}
	pass := func(ok bool) StepStatus {
		if ok {
			return StepOK
		}
		return StepFailed
	}
	t := r.Trace
	for _, n := range t.Notes {
		step(StepInfo, 0, "%s", n)
	}
	var tried []string
	for _, s := range t.Scope.Tried {
		tried = append(tried, s.Scope)
	}
	if len(tried) > 0 {
		step(StepOK, 0, "rule %s (tried %s)", t.Scope.List, strings.Join(tried, ", "))
	}
	if t.RegistryEntry != "" {
		step(StepInfo, 0, "registries.conf entry %s", t.RegistryEntry)
	}
	for _, s := range t.Sources {
		st := StepInfo
		switch {
		case s.Used:
			st = StepOK
		case s.Error != "":
			st = StepFailed
		}
		role := "primary"
		if s.Mirror {
			role = "mirror"
		}
		switch {
		case s.Skipped != "":
			step(st, 1, "%s %s skipped: %s", role, s.Reference, s.Skipped)
		case s.Used:
			step(st, 1, "%s %s served the manifest", role, s.Reference)
		default:
			step(st, 1, "%s %s: %s", role, s.Reference, orStr(s.Error, "not tried"))
		}
	}
	if t.ManifestDigest != "" {
		step(StepInfo, 0, "manifest %s", t.ManifestDigest)
	}
	if la := t.Lookaside; la != nil {
		step(StepInfo, 0, "look-aside %s (%s)%s, %d signature(s)", la.BaseURL, orStr(la.Scope, "-"), mirrorNote(t), len(t.Signatures))
	}
	for _, rr := range t.Requirements {
		step(pass(rr.Accepted), 0, "%s: %s", rr.Description, rr.Reason)
		for _, sc := range rr.Signatures {
			who := ""
			switch {
			case sc.Signer != "":
				who = fmt.Sprintf("signer %s (%s), claims %s: ", gpg.ShortFingerprint(sc.Signer), sc.KeyFile, orStr(sc.ClaimedIdentity, "-"))
			case sc.KeyFile != "": // sigstore: a key or certificate, no OpenPGP signer
				who = fmt.Sprintf("verified with %s, claims %s: ", sc.KeyFile, orStr(sc.ClaimedIdentity, "-"))
			}
			step(pass(sc.Accepted), 1, "%s%s", who, sc.Reason)
		}
	}
	step(StepInfo, 0, "runtime mechanism %s; policy %s", t.Mechanism.Mechanism, t.Policy)
	return out
}
