package verify

import (
	"fmt"
	"strings"

	"github.com/kios/imgtrust/gpg"
)

// StepStatus marks a trace step.
type StepStatus int

const (
	StepInfo   StepStatus = iota // a fact: a note of the evaluation
	StepOK                       // a requirement or signature that accepted
	StepFailed                   // one that did not
	StepPlain                    // a detail line under the step above it, no mark
)

// Step is one line of a verification trace. Steps is the one description
// of a Result's trace: RenderText lays it out for the terminal and the
// TUI's verify view draws the same steps in its pane, so the two cannot
// tell different stories.
type Step struct {
	Status StepStatus
	// Depth nests a step under the one above it (a signature under its
	// requirement, the signer under its signature).
	Depth int
	// Label names a fact ("rule", "manifest", "signer"); "" for a
	// sentence.
	Label string
	Text  string
	// Gap asks for a blank line before the step: each requirement starts
	// a block of its own.
	Gap bool
}

// Steps is the trace of r, in order: notes, the policy and mechanism
// used, the scopes tried and the rule chosen, the manifest, the
// look-aside and the signatures found, then each requirement with its
// signatures, and the number of HTTP requests. Values are raw (from the
// reference, node files or servers): whoever draws them escapes them.
// ascii picks the mark of the matched scope for consoles without Unicode.
func (r *Result) Steps(ascii bool) []Step {
	g := glyphSet(ascii)
	var out []Step
	add := func(s Step) { out = append(out, s) }
	fact := func(label, format string, a ...any) {
		add(Step{Status: StepPlain, Label: label, Text: fmt.Sprintf(format, a...)})
	}
	pass := func(ok bool) StepStatus {
		if ok {
			return StepOK
		}
		return StepFailed
	}
	t := r.Trace
	for _, n := range t.Notes {
		add(Step{Status: StepInfo, Text: n})
	}
	fact("policy", "%s; runtime mechanism %s (%s)", orStr(t.Policy, "given"), t.Mechanism.Mechanism, t.Mechanism.Reason)
	var tried []string
	for _, s := range t.Scope.Tried {
		if s.Matched {
			tried = append(tried, s.Scope+" "+g.ok)
		} else {
			tried = append(tried, s.Scope)
		}
	}
	if len(tried) > 0 { // none when every source is blocked: no policy was read
		fact("scopes", "%s", strings.Join(tried, " "+g.arrow+" "))
		fact("rule", "%s%s", t.Scope.List.String(), parens(t.Scope.Pos.String()))
	}
	if t.RegistryEntry != "" {
		fact("registries", "[[registry]] prefix %s%s", t.RegistryEntry, parens(t.RegistryEntryPos.String()))
	}
	// The pull sources in the runtime's order: which mirror served the
	// manifest, and why the others did not.
	for _, s := range t.Sources {
		fact("source", "%s", sourceLine(s, g))
	}
	if t.ManifestDigest != "" {
		fact("manifest", "%s", t.ManifestDigest)
	}
	if t.Lookaside != nil {
		fact("look-aside", "%s (%s)%s", t.Lookaside.BaseURL, orStr(t.Lookaside.Scope, "built-in default"), mirrorNote(t))
	}
	if len(t.Signatures) > 0 || t.Lookaside != nil || t.Transport == "dir" {
		fact("signatures", "%d found", len(t.Signatures))
	}
	for _, rr := range t.Requirements {
		head := fmt.Sprintf("requirement %d: %s", rr.Index+1, rr.Description)
		if rr.Type == PullStep {
			head = "pull: " + rr.Description
		}
		add(Step{Status: pass(rr.Accepted), Text: head, Gap: true})
		add(Step{Status: StepPlain, Depth: 1, Text: rr.Reason})
		for _, sc := range rr.Signatures {
			add(Step{Status: pass(sc.Accepted), Depth: 1, Text: sc.Source})
			detail := func(label, format string, a ...any) {
				add(Step{Status: StepPlain, Depth: 2, Label: label, Text: fmt.Sprintf(format, a...)})
			}
			switch {
			case sc.Signer != "":
				detail("signer", "%s (%s)", gpg.GroupFingerprint(sc.Signer), sc.KeyFile)
			case sc.KeyFile != "":
				detail("key", "%s", sc.KeyFile)
			}
			if sc.ClaimedIdentity != "" {
				detail("claims", "%s, digest %s", sc.ClaimedIdentity, yesNo(sc.DigestMatches, "matches", "DOES NOT MATCH"))
			}
			if !sc.Accepted {
				detail("why", "%s", sc.Reason)
			}
		}
	}
	if t.HTTPRequests > 0 {
		add(Step{Status: StepPlain, Text: fmt.Sprintf("%d HTTP request(s)", t.HTTPRequests), Gap: true})
	}
	return out
}
