package termsafe

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// mode says which runes a caller keeps as they are.
type mode int

const (
	line  mode = iota // one value on one line: every control is escaped
	text              // our own multi-line text: \n and \t are kept
	quote             // String plus `"` and `\`, inside quotes: reads back exactly
)

// String returns s fit for one line of a terminal: C0 controls (\n and \t
// too, so a value cannot forge a line or a column), DEL, C1 controls, the
// bidi controls, the Unicode line and paragraph separators, and the
// invisible runes (format characters and default-ignorable code points:
// a zero-width space makes "/etc/gpg/k\u200b.gpg" look like
// "/etc/gpg/k.gpg") are written as escapes, and so is each byte that is
// not valid UTF-8. Everything else,
// backslashes included, is kept, so text that is already safe comes back
// unchanged and String(String(s)) == String(s): escaping twice on the way
// to the terminal does no harm.
func String(s string) string { return escape(s, line) }

// Text is String for multi-line text that imgtrust composed itself (a
// details pane, a trace): it keeps \n and \t, the text's own layout, and
// escapes everything else. A value from outside must go through String
// before it is put into such text, or a newline in it forges a line.
func Text(s string) string { return escape(s, text) }

// Quote returns s in double quotes, escaped as String does and with `"`
// and `\` escaped too, so that strconv.Unquote gives s back exactly: for
// logs that must be read back (the audit log).
func Quote(s string) string { return `"` + escape(s, quote) + `"` }

// IsSafe reports whether String would return s unchanged.
func IsSafe(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || unsafeRune(r) {
			return false
		}
		i += n
	}
	return true
}

// Unsafe reports whether a terminal would interpret r rather than draw
// it, or draw nothing for it: C0 and C1 controls, DEL, bidi controls
// (which reorder the text around them: U+202E shows "gpj.exe" for
// "exe.jpg"), the line and paragraph separators (which some viewers break
// lines at), every format character (Unicode category Cf: zero-width
// space, joiners, BOM, soft hyphen, tags...) and the other
// default-ignorable code points (variation selectors, Hangul fillers...),
// which draw as nothing, so that two names that look the same are the
// same. The zero-width joiner is escaped too: it only joins emoji, which
// no policy file, key user ID or registry name needs, and it hides in a
// name as well as any other invisible rune.
func Unsafe(r rune) bool { return unsafeRune(r) }

func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r < 0xad:
		return false // the common case: no table look-up
	case r == 0x2028, r == 0x2029: // LINE and PARAGRAPH SEPARATOR
		return true
	}
	// Cf holds the bidi controls (ALM, LRM, RLM, LRE…PDF, LRI…PDI).
	return unicode.Is(unicode.Cf, r) || defaultIgnorable(r)
}

// defaultIgnorable reports the default-ignorable code points that are not
// format characters (Unicode's DerivedCoreProperties, which Go's unicode
// package does not carry): renderers draw nothing for them.
func defaultIgnorable(r rune) bool {
	switch {
	case r == 0x034f, // COMBINING GRAPHEME JOINER
		r == 0x115f, r == 0x1160, r == 0x3164, r == 0xffa0, // Hangul fillers
		r == 0x17b4, r == 0x17b5, // Khmer inherent vowels
		r >= 0x180b && r <= 0x180f,   // Mongolian variation selectors, vowel separator
		r >= 0x2060 && r <= 0x206f,   // word joiner…, incl. unassigned
		r >= 0xfe00 && r <= 0xfe0f,   // variation selectors
		r >= 0xfff0 && r <= 0xfff8,   // unassigned specials
		r >= 0x1bca0 && r <= 0x1bca3, // shorthand format controls
		r >= 0x1d173 && r <= 0x1d17a, // musical format controls
		r >= 0xe0000 && r <= 0xe0fff: // tags, variation selectors supplement
		return true
	}
	return false
}

const hex = "0123456789abcdef"

func escape(s string, m mode) string {
	if m != quote && IsSafe(s) {
		return s // the common case allocates nothing
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			// Not UTF-8: the byte itself, so that no terminal decodes it
			// as an 8-bit C1 control.
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
		case m == text && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case m == quote && (r == '"' || r == '\\'):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && unsafeRune(r):
			b.WriteString(`\x`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		case unsafeRune(r) && r > 0xffff:
			// Go's form for a rune past the BMP (strconv.Unquote reads it).
			b.WriteString(`\U`)
			for shift := 28; shift >= 0; shift -= 4 {
				b.WriteByte(hex[(r>>shift)&0xf])
			}
		case unsafeRune(r):
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hex[(r>>shift)&0xf])
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func appendU(out []byte, r rune) []byte {
	return append(out, '\\', 'u', hex[(r>>12)&0xf], hex[(r>>8)&0xf], hex[(r>>4)&0xf], hex[r&0xf])
}

// JSON makes JSON that encoding/json wrote safe for a terminal without
// changing what it decodes to: encoding/json escapes C0 controls and
// U+2028/U+2029 but leaves DEL, C1 controls, bidi controls and the other
// invisible runes (Unsafe) raw inside strings. They can only be inside
// strings (JSON's syntax is ASCII), so each becomes a \uXXXX escape of
// the same rune (a surrogate pair past the BMP) and the document stays
// exact.
func JSON(b []byte) []byte {
	safe := true
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError && unsafeRune(r) && r >= 0x20 {
			safe = false
			break
		}
		i += n
	}
	if safe {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError && unsafeRune(r) && r >= 0x20 {
			if r > 0xffff {
				// JSON has no escape past the BMP: a surrogate pair.
				hi, lo := utf16.EncodeRune(r)
				out = appendU(appendU(out, hi), lo)
			} else {
				out = appendU(out, r)
			}
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}
