package verify

import (
	"fmt"
	"io"
	"strings"

	"github.com/kios/imgtrust/gpg"
)

// Glyphs used in the text trace; ASCII for the Linux console.
type glyphs struct{ ok, fail, info string }

func glyphSet(ascii bool) glyphs {
	if ascii {
		return glyphs{"[ok]", "[x]", "-"}
	}
	return glyphs{"✓", "✗", "·"}
}

// RenderText writes the verdict and the trace for people.
func RenderText(w io.Writer, r *Result, ascii bool) {
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
	fmt.Fprintf(w, "%s %s  %s\n", mark, verdict, r.Image)
	fmt.Fprintf(w, "  %s\n\n", r.Summary)
	for _, n := range t.Notes {
		fmt.Fprintf(w, "  %s %s\n", g.info, n)
	}
	fmt.Fprintf(w, "  policy      %s; runtime mechanism %s (%s)\n", orStr(t.Policy, "given"), t.Mechanism.Mechanism, t.Mechanism.Reason)
	var tried []string
	for _, s := range t.Scope.Tried {
		if s.Matched {
			tried = append(tried, s.Scope+" "+g.ok)
		} else {
			tried = append(tried, s.Scope)
		}
	}
	fmt.Fprintf(w, "  scopes      %s\n", strings.Join(tried, " → "))
	pos := t.Scope.Pos.String()
	fmt.Fprintf(w, "  rule        %s%s\n", t.Scope.List, parens(pos))
	if t.ManifestDigest != "" {
		fmt.Fprintf(w, "  manifest    %s\n", t.ManifestDigest)
	}
	if t.Lookaside != nil {
		fmt.Fprintf(w, "  look-aside  %s (%s)\n", t.Lookaside.BaseURL, orStr(t.Lookaside.Scope, "built-in default"))
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
			fmt.Fprintf(w, "\n  %s pull: %s\n", m, rr.Description)
		} else {
			fmt.Fprintf(w, "\n  %s requirement %d: %s\n", m, rr.Index+1, rr.Description)
		}
		fmt.Fprintf(w, "      %s\n", rr.Reason)
		for _, sc := range rr.Signatures {
			sm := g.fail
			if sc.Accepted {
				sm = g.ok
			}
			fmt.Fprintf(w, "      %s %s\n", sm, sc.Source)
			switch {
			case sc.Signer != "":
				fmt.Fprintf(w, "          signer   %s (%s)\n", gpg.GroupFingerprint(sc.Signer), sc.KeyFile)
			case sc.KeyFile != "":
				fmt.Fprintf(w, "          key      %s\n", sc.KeyFile)
			}
			if sc.ClaimedIdentity != "" {
				fmt.Fprintf(w, "          claims   %s, digest %s\n", sc.ClaimedIdentity, yesNo(sc.DigestMatches, "matches", "DOES NOT MATCH"))
			}
			if !sc.Accepted {
				fmt.Fprintf(w, "          why      %s\n", sc.Reason)
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
