package ui

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/termsafe"
)

// Every value the TUI shows that came from a file, a key, a server or a
// person (scope names, user IDs, paths, URLs, diagnostics, errors, trace
// lines, diff lines) goes through safe where it is put into the frame: a
// user ID cannot move the cursor over a fingerprint, a URL cannot carry an
// OSC 8 hyperlink or SGR colours, and U+202E cannot reorder a line. The
// backends keep the exact values; only what is drawn is escaped.

// safe is termsafe.String: one value, shown on one line, at most
// shownMax bytes of it.
func safe(s string) string { return termsafe.String(clipShown(s)) }

// shownMax bounds one value drawn in the frame. No pane shows more than a
// few thousand cells of it, while the width, truncation and wrapping of a
// value cost time in its whole length: a docker scope may be any string
// (the runtime validates none), and one of 5 MB took seconds a frame.
// The raw editor (E) shows the text whole.
const shownMax = 8 << 10

// clipShown cuts s to shownMax bytes at a rune boundary, marked with an
// ASCII ellipsis (the mark must read the same under TERM=linux).
func clipShown(s string) string {
	if len(s) <= shownMax {
		return s
	}
	cut := shownMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// safeErr renders an error on one line, except the multi-line errors that
// policyio composes with each value already escaped (one line per refused
// rule or widening).
func safeErr(err error) string {
	var invalid *policyio.InvalidError
	var weaken *policyio.WeakenError
	if errors.As(err, &invalid) || errors.As(err, &weaken) {
		return termsafe.Text(err.Error())
	}
	return safe(err.Error())
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

// guardFrame is the TUI's last guard, as termsafe.Writer is the CLI's:
// the frame keeps its own SGR styling (CSI … m, all lipgloss emits), and
// any other escape sequence, control or bidi rune left in it, which only a
// value a view forgot to escape can bring, is shown escaped. SGR from a
// value cannot be told from the frame's own here, so views still escape
// every value.
func guardFrame(s string) string {
	var b strings.Builder
	start := 0 // s[start:i] is safe and not yet written
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f || c == '\n':
			i++
			continue
		case c == 0x1b:
			if n := sgrLen(s[i:]); n > 0 {
				i += n
				continue
			}
		case c >= 0x80:
			r, n := utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || n > 1) && !termsafe.Unsafe(r) {
				i += n
				continue
			}
		}
		// Something to escape: the first time, make room for the frame.
		if b.Cap() == 0 {
			b.Grow(len(s) + 16)
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		b.WriteString(s[start:i])
		b.WriteString(termsafe.String(s[i : i+n]))
		i += n
		start = i
	}
	if start == 0 {
		return s // the usual frame: nothing to escape, nothing copied
	}
	b.WriteString(s[start:])
	return b.String()
}

// sgrLen is the length of the SGR sequence s starts with, or 0.
func sgrLen(s string) int {
	if len(s) < 3 || s[1] != '[' {
		return 0
	}
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9' || c == ';' || c == ':':
		case c == 'm':
			return i + 1
		default:
			return 0
		}
	}
	return 0
}
