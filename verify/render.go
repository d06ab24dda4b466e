package verify

import (
	"fmt"
	"io"
	"strings"

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
	fmt.Fprintf(w, "%s %s  %s\n", mark, verdict, safe(r.Image))
	fmt.Fprintf(w, "  %s\n\n", safe(r.Summary))
	for _, st := range r.Steps(ascii) {
		if st.Gap {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s%s%s\n", strings.Repeat(" ", 2+4*st.Depth), stepMark(st.Status, g), stepLabel(st)+safe(st.Text))
	}
}

// stepMark is the mark before a step and the space after it; detail
// lines have none.
func stepMark(s StepStatus, g glyphs) string {
	switch s {
	case StepOK:
		return g.ok + " "
	case StepFailed:
		return g.fail + " "
	case StepInfo:
		return g.info + " "
	}
	return ""
}

// stepLabel pads a fact's label into a column: the top-level facts
// ("look-aside", "signatures") are wider than a signature's ("signer").
func stepLabel(st Step) string {
	if st.Label == "" {
		return ""
	}
	if st.Depth == 0 {
		return fmt.Sprintf("%-11s ", st.Label)
	}
	return fmt.Sprintf("%-8s ", st.Label)
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
		role = "mirror"
	}
	if s.Insecure {
		role += " (insecure)"
	}
	// The outcome before the reference: a narrow pane cuts the line's end.
	switch {
	case s.Skipped != "":
		return fmt.Sprintf("%s %s skipped (%s): %s", g.info, role, s.Skipped, s.Reference)
	case s.Used:
		return fmt.Sprintf("%s %s served the manifest: %s", g.ok, role, s.Reference)
	case s.Error != "":
		return fmt.Sprintf("%s %s failed: %s: %s", g.fail, role, s.Reference, s.Error)
	}
	return fmt.Sprintf("%s %s not tried: %s", g.info, role, s.Reference)
}

// mirrorNote says whose look-aside it is when a mirror served the image.
func mirrorNote(t Trace) string {
	if t.PulledFrom == "" {
		return ""
	}
	return ", chosen by the mirror's location " + t.PulledFrom
}
