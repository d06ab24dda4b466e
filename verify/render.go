package verify

import (
	"fmt"
	"io"
	"strings"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/termsafe"
)

// Glyphs used in the text trace; ASCII for the Linux console.
type glyphs struct{ ok, fail, info, arrow string }

func glyphSet(ascii bool) glyphs {
	if ascii {
		return glyphs{"[ok]", "[x]", "-", "->"}
	}
	return glyphs{"✓", "✗", "·", "→"}
}

// RenderText writes the verdict and the trace for people. Every value in
// it came from the reference, the node's files or a server (an error body
// is part of a reason), so each goes through termsafe.String: a registry
// cannot set the window title, write the clipboard or print a forged
// "ACCEPTED" line. --json keeps the values exact.
func RenderText(w io.Writer, r *Result, ascii bool) {
	safe := termsafe.String
	if ascii {
		// Reasons abbreviate fingerprints with "…", which the Linux
		// console font lacks.
		safe = func(s string) string { return strings.ReplaceAll(termsafe.String(s), "…", "...") }
	}
	g := glyphSet(ascii)
	verdict := "REJECTED"
	mark := g.fail
	switch {
	case r.Incomplete:
		verdict, mark = "COULD NOT FINISH", g.fail
	case r.Accepted:
		verdict, mark = "ACCEPTED", g.ok
	}
	t := r.Trace
	fmt.Fprintf(w, "%s %s  %s\n", mark, verdict, safe(r.Image))
	fmt.Fprintf(w, "  %s\n\n", safe(r.Summary))
	for _, n := range t.Notes {
		fmt.Fprintf(w, "  %s %s\n", g.info, safe(n))
	}
	fmt.Fprintf(w, "  policy      %s; runtime mechanism %s (%s)\n", safe(orStr(t.Policy, "given")), t.Mechanism.Mechanism, safe(t.Mechanism.Reason))
	var tried []string
	for _, s := range t.Scope.Tried {
		if s.Matched {
			tried = append(tried, safe(s.Scope)+" "+g.ok)
		} else {
			tried = append(tried, safe(s.Scope))
		}
	}
	if len(tried) > 0 {
		fmt.Fprintf(w, "  scopes      %s\n", strings.Join(tried, " "+g.arrow+" "))
		pos := safe(t.Scope.Pos.String())
		fmt.Fprintf(w, "  rule        %s%s\n", safe(t.Scope.List.String()), parens(pos))
	}
	if t.RegistryEntry != "" {
		fmt.Fprintf(w, "  registries  [[registry]] prefix %s%s\n", safe(t.RegistryEntry), parens(safe(t.RegistryEntryPos.String())))
	}
	for i, s := range t.Sources {
		label := ""
		if i == 0 {
			label = "sources"
		}
		fmt.Fprintf(w, "  %-10s  %s\n", label, safe(sourceLine(s, g)))
	}
	if t.ManifestDigest != "" {
		fmt.Fprintf(w, "  manifest    %s\n", safe(t.ManifestDigest))
	}
	if t.Lookaside != nil {
		fmt.Fprintf(w, "  look-aside  %s (%s)%s\n", safe(t.Lookaside.BaseURL), safe(orStr(t.Lookaside.Scope, "built-in default")), safe(mirrorNote(t)))
	}
	if len(t.Signatures) > 0 || t.Lookaside != nil || t.Transport == "dir" {
		fmt.Fprintf(w, "  signatures  %d found\n", len(t.Signatures))
	}
	for _, rr := range t.Requirements {
		m := g.fail
		if rr.Accepted {
			m = g.ok
		}
		if rr.Type == PullStep {
			fmt.Fprintf(w, "\n  %s pull: %s\n", m, safe(rr.Description))
		} else {
			fmt.Fprintf(w, "\n  %s requirement %d: %s\n", m, rr.Index+1, safe(rr.Description))
		}
		fmt.Fprintf(w, "      %s\n", safe(rr.Reason))
		for _, sc := range rr.Signatures {
			sm := g.fail
			if sc.Accepted {
				sm = g.ok
			}
			fmt.Fprintf(w, "      %s %s\n", sm, safe(sc.Source))
			switch {
			case sc.Signer != "":
				fmt.Fprintf(w, "          signer   %s (%s)\n", safe(gpg.GroupFingerprint(sc.Signer)), safe(sc.KeyFile))
			case sc.KeyFile != "":
				fmt.Fprintf(w, "          key      %s\n", safe(sc.KeyFile))
			}
			if sc.ClaimedIdentity != "" {
				fmt.Fprintf(w, "          claims   %s, digest %s\n", safe(sc.ClaimedIdentity), yesNo(sc.DigestMatches, "matches", "DOES NOT MATCH"))
			}
			if !sc.Accepted {
				fmt.Fprintf(w, "          why      %s\n", safe(sc.Reason))
			}
		}
	}
	if t.HTTPRequests > 0 {
		fmt.Fprintf(w, "\n  %d HTTP request(s)\n", t.HTTPRequests)
	}
}

func parens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func orStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// sourceLine is one pull source as tried: its role, the reference, and
// what came of it.
func sourceLine(s SourceTry, g glyphs) string {
	role := "primary"
	if s.Mirror {
		role = "mirror "
	}
	if s.Insecure {
		role += " (insecure)"
	}
	switch {
	case s.Skipped != "":
		return fmt.Sprintf("%s %s %s skipped: %s", g.info, role, s.Reference, s.Skipped)
	case s.Used:
		return fmt.Sprintf("%s %s %s served the manifest", g.ok, role, s.Reference)
	case s.Error != "":
		return fmt.Sprintf("%s %s %s: %s", g.fail, role, s.Reference, s.Error)
	}
	return fmt.Sprintf("%s %s %s", g.info, role, s.Reference)
}

// mirrorNote says whose look-aside it is when a mirror served the image.
func mirrorNote(t Trace) string {
	if t.PulledFrom == "" {
		return ""
	}
	return ", chosen by the mirror's location " + t.PulledFrom
}
