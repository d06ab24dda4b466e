package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// asciiMarks spells the marks imgtrust prints in ASCII, for consoles whose
// font lacks them (the Linux console, TERM=linux) and for --ascii.
var asciiMarks = map[rune]string{
	'✓': "ok", '✗': "x", '…': "...", '→': "->", '←': "<-", '↑': "up", '↓': "down",
	'·': "-", '›': ">", '•': "*", '—': "-", '–': "-", '‘': "'", '’': "'", '“': `"`, '”': `"`,
	'⚠': "!", '×': "x", '≥': ">=", '≤': "<=",
}

// asciiWriter writes text with every non-ASCII rune made ASCII: a mark
// from asciiMarks, anything else (a user ID's accent, a file's byte) as a
// \u escape, so that nothing is lost and nothing is drawn as a box.
type asciiWriter struct {
	w       io.Writer
	pending []byte // an incomplete UTF-8 sequence from the last Write
}

func (a *asciiWriter) Write(p []byte) (int, error) {
	n := len(p)
	buf := append(a.pending, p...)
	a.pending = nil
	var b strings.Builder
	for i := 0; i < len(buf); {
		c := buf[i]
		if c < utf8.RuneSelf {
			b.WriteByte(c)
			i++
			continue
		}
		if !utf8.FullRune(buf[i:]) {
			a.pending = append([]byte(nil), buf[i:]...)
			break
		}
		r, size := utf8.DecodeRune(buf[i:])
		switch s, ok := asciiMarks[r]; {
		case ok:
			b.WriteString(s)
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	if _, err := io.WriteString(a.w, b.String()); err != nil {
		return 0, err
	}
	return n, nil
}

// Flush writes what is left of an incomplete sequence, escaped.
func (a *asciiWriter) Flush() {
	for _, c := range a.pending {
		fmt.Fprintf(a.w, `\x%02x`, c)
	}
	a.pending = nil
}

// wantsASCII reports whether the output is for a console without the
// marks: --ascii anywhere in args, or TERM=linux. --json keeps its exact
// text: it is for programs, not for a console font.
func wantsASCII(args []string, getenv func(string) string) bool {
	ascii := getenv("TERM") == "linux"
	for _, a := range args {
		switch a {
		case "--", "-":
			return ascii
		case "--json", "-json", "--json=true", "-json=true":
			return false
		case "--ascii", "-ascii", "--ascii=true", "-ascii=true":
			ascii = true
		}
	}
	return ascii
}
