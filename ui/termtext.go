package ui

import (
	"errors"
	"strings"

	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/termsafe"
)

// Every value the TUI shows that came from a file, a key, a server or a
// person (scope names, user IDs, paths, URLs, diagnostics, errors, trace
// lines, diff lines) goes through safe where it is put into the frame: a
// user ID cannot move the cursor over a fingerprint, a URL cannot carry an
// OSC 8 hyperlink or SGR colours, and U+202E cannot reorder a line. The
// backends keep the exact values; only what is drawn is escaped.

// safe is termsafe.String: one value, shown on one line.
func safe(s string) string { return termsafe.String(s) }

// safeErr renders an error on one line, except the multi-line errors that
// policyio composes with each value already escaped (one line per refused
// rule or widening).
func safeErr(err error) string {
	var invalid *policyio.InvalidError
	var weaken *policyio.WeakenError
	if errors.As(err, &invalid) || errors.As(err, &weaken) {
		return termsafe.Text(err.Error())
	}
	return termsafe.String(err.Error())
}

// showBidi escapes the bidi controls and line separators in a text
// input's rendered view. The input itself drops C0 and C1 controls from
// what it holds, but draws bidi controls; the view also holds the input's
// own SGR styling, so only those runes, which styling never emits, are
// replaced.
func showBidi(view string) string {
	if termsafe.IsSafe(strings.ReplaceAll(view, "\x1b", "")) {
		return view
	}
	var b strings.Builder
	for _, r := range view {
		if r >= 0x80 && termsafe.Unsafe(r) {
			b.WriteString(termsafe.String(string(r)))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
