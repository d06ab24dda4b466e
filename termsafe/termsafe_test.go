package termsafe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text is kept", "docker.io/library/busybox", "docker.io/library/busybox"},
		{"unicode letters are kept", "Jörg Müller <jm@例え.jp>", "Jörg Müller <jm@例え.jp>"},
		{"backslashes are kept", `C:\x1b`, `C:\x1b`},
		{"empty", "", ""},
		{"cursor to column 1 (fingerprint spoof)", "\x1b[1G0123 4567 89AB", `\x1b[1G0123 4567 89AB`},
		{"SGR", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"OSC 0 title with BEL", "\x1b]0;owned\x07", `\x1b]0;owned\x07`},
		{"OSC 52 clipboard with ST", "\x1b]52;c;ZWNobyBoaQ==\x1b\\", `\x1b]52;c;ZWNobyBoaQ==\x1b\`},
		{"OSC 8 hyperlink", "\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\", `\x1b]8;;http://evil/\x1b\click\x1b]8;;\x1b\`},
		{"DCS, APC, PM, SOS", "\x1bP1$r\x1b\\\x1b_a\x1b\\\x1b^p\x1b\\\x1bXs\x1b\\", `\x1bP1$r\x1b\\x1b_a\x1b\\x1b^p\x1b\\x1bXs\x1b\`},
		{"newline, CR, tab", "a\nb\rc\td", `a\nb\rc\td`},
		{"NUL, BEL, BS, DEL", "\x00\x07\x08\x7f", `\x00\x07\x08\x7f`},
		{"C1 CSI and NEL as runes", "\u009b1G\u0085", `\u009b1G\u0085`},
		{"8-bit C1 byte (invalid UTF-8)", "\x9b1G", `\x9b1G`},
		{"invalid UTF-8", "ok\xff\xfe", `ok\xff\xfe`},
		{"truncated rune", "caf\xc3", `caf\xc3`},
		{"RLO", "evil\u202egpj.exe", `evil\u202egpj.exe`},
		{"every bidi control", "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c", `\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c`},
		{"line and paragraph separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"replacement character itself is text", "\ufffd", "\ufffd"},
		{"emoji are kept", "👩💻", "👩💻"},
		{"zero-width joiner is escaped, in emoji too", "👩\u200d💻", `👩\u200d💻`},
		{"rune past the BMP in Go's form", "a\U000e0041b", `a\U000e0041b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if IsSafe(tt.in) != (tt.in == tt.want) {
				t.Errorf("IsSafe(%q) = %v", tt.in, IsSafe(tt.in))
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"line 1\n\tline 2", "line 1\n\tline 2"},
		{"a\r\nb", `a\r` + "\nb"},
		{"x\x1b[2Ky\n", `x\x1b[2Ky` + "\n"},
		{"\u202e\n", `\u202e` + "\n"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"a b", `"a b"`},
		{`q"\`, `"q\"\\"`},
		{"x\ny", `"x\ny"`},
		{"bell\x07", `"bell\x07"`},
		{"\u2028\u202e\u0085\x85", `"\u2028\u202e\u0085\x85"`},
	}
	for _, tt := range tests {
		got := Quote(tt.in)
		if got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if back, err := strconv.Unquote(got); err != nil || back != tt.in {
			t.Errorf("Unquote(%s) = %q, %v; want %q", got, back, err, tt.in)
		}
	}
}

func TestJSON(t *testing.T) {
	v := map[string]string{"scope": "a\u202eb\u0085c\x7fd\u2028e\x1bf\u2066", "plain": "<ok> & é"}
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	safe := JSON(raw)
	assertSafe(t, string(safe), "\n")
	var back map[string]string
	if err := json.Unmarshal(safe, &back); err != nil {
		t.Fatalf("JSON output does not parse: %v\n%s", err, safe)
	}
	for k := range v {
		if back[k] != v[k] {
			t.Errorf("%s: decoded %q, want %q (JSON must stay exact)", k, back[k], v[k])
		}
	}
	if plain := []byte(`{"a": "b"}`); !bytes.Equal(JSON(plain), plain) {
		t.Errorf("safe JSON changed: %s", JSON(plain))
	}
}

// assertSafe fails when s holds anything a terminal would interpret;
// allowed lists the C0 controls the caller keeps.
func assertSafe(t *testing.T, s, allowed string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("output is not UTF-8: %q", s)
	}
	for _, r := range s {
		if Unsafe(r) && !strings.ContainsRune(allowed, r) {
			t.Errorf("output holds %U: %q", r, s)
			return
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[1G", "\x1b]52;c;aGk=\x07", "\u202e", "\xff\xc3", "a\nb\tc", `back\slash "q"`, "\u009b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := String(s)
		assertSafe(t, got, "")
		if String(got) != got {
			t.Errorf("String is not idempotent on %q: %q then %q", s, got, String(got))
		}
		if IsSafe(s) != (got == s) {
			t.Errorf("IsSafe(%q) = %v but String gives %q", s, IsSafe(s), got)
		}
		assertSafe(t, Text(s), "\n\t")
		// Readable means recoverable: the escapes are Go's, so without
		// quotes or backslashes in the input they read back exactly, and
		// Quote always does.
		if !strings.ContainsAny(s, `"\`) {
			if back, err := strconv.Unquote(`"` + got + `"`); err != nil || back != s {
				t.Errorf("String(%q) = %q does not read back: %q, %v", s, got, back, err)
			}
		}
		q := Quote(s)
		assertSafe(t, q, "")
		if back, err := strconv.Unquote(q); err != nil || back != s {
			t.Errorf("Quote(%q) = %s does not read back: %q, %v", s, q, back, err)
		}
		// JSON stays exact and becomes safe.
		enc, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		js := JSON(enc)
		assertSafe(t, string(js), "")
		var dec, want string
		json.Unmarshal(enc, &want)
		if err := json.Unmarshal(js, &dec); err != nil || dec != want {
			t.Errorf("JSON(%s) = %s decodes to %q, %v; want %q", enc, js, dec, err, want)
		}
	})
}

func TestWriter(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	// "é" and "例" cut between writes stay characters; ESC and RLO are
	// escaped; newlines and tabs of the layout are kept.
	for _, chunk := range []string{"a\x1b[1Gb\tc\n", "\xc3", "\xa9 \xe4", "\xbe", "\x8b \u202e", "x\n", "\xe4\xbe"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `a\x1b[1Gb` + "\tc\n" + `é 例 \u202ex` + "\n" + `\xe4\xbe`
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// invisibles are the format characters (Cf) and other default-ignorable
// code points a terminal draws as nothing: one of each block.
var invisibles = []struct {
	name string
	r    rune
}{
	{"soft hyphen", 0x00ad},
	{"combining grapheme joiner", 0x034f},
	{"Arabic number sign", 0x0600},
	{"Arabic letter mark", 0x061c},
	{"Syriac abbreviation mark", 0x070f},
	{"Hangul choseong filler", 0x115f},
	{"Hangul jungseong filler", 0x1160},
	{"Khmer vowel inherent aq", 0x17b4},
	{"Mongolian free variation selector", 0x180b},
	{"Mongolian vowel separator", 0x180e},
	{"zero-width space", 0x200b},
	{"zero-width non-joiner", 0x200c},
	{"zero-width joiner", 0x200d},
	{"left-to-right mark", 0x200e},
	{"word joiner", 0x2060},
	{"invisible times", 0x2062},
	{"unassigned default-ignorable", 0x2065},
	{"inhibit symmetric swapping", 0x206a},
	{"Hangul filler", 0x3164},
	{"variation selector 16", 0xfe0f},
	{"byte order mark", 0xfeff},
	{"halfwidth Hangul filler", 0xffa0},
	{"interlinear annotation anchor", 0xfff9},
	{"shorthand format letter overlap", 0x1bca0},
	{"musical symbol begin beam", 0x1d173},
	{"language tag", 0xe0001},
	{"tag latin small a", 0xe0061},
	{"variation selector 256", 0xe01ef},
}

// TestInvisibleRunesAreEscaped: every invisible rune is shown as an
// escape in String, Text and Quote (which reads back exactly), and JSON
// escapes it without changing what the document decodes to.
func TestInvisibleRunesAreEscaped(t *testing.T) {
	for _, tt := range invisibles {
		t.Run(tt.name, func(t *testing.T) {
			in := "/etc/gpg/k" + string(tt.r) + ".gpg"
			want := fmt.Sprintf(`/etc/gpg/k\u%04x.gpg`, tt.r)
			if tt.r > 0xffff {
				want = fmt.Sprintf(`/etc/gpg/k\U%08x.gpg`, tt.r)
			}
			if got := String(in); got != want {
				t.Errorf("String = %q, want %q", got, want)
			}
			if got := Text(in + "\n"); got != want+"\n" {
				t.Errorf("Text = %q, want %q", got, want+"\n")
			}
			if IsSafe(in) || !Unsafe(tt.r) {
				t.Error("IsSafe/Unsafe say it is safe")
			}
			if back, err := strconv.Unquote(Quote(in)); err != nil || back != in {
				t.Errorf("Quote does not read back: %q, %v", back, err)
			}
			doc, _ := json.Marshal(in)
			safe := JSON(doc)
			var back string
			if err := json.Unmarshal(safe, &back); err != nil || back != in {
				t.Errorf("JSON changed the document: %s (%v)", safe, err)
			}
			if !IsSafe(string(safe)) {
				t.Errorf("JSON left it raw: %s", safe)
			}
		})
	}
}
