package ui

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/termsafe"
)

// hostilePolicy has scope names and a key path with an OSC 8 hyperlink,
// ESC sequences, a C1 CSI and U+202E (JSON escapes in the file, real
// control characters once parsed).
const hostilePolicy = `{
  "default": [{"type": "reject"}],
  "transports": {
    "docker": {
      "ev\u202eil.example.com/\u001b]8;;http://evil.example/\u001b\\x": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/gpg/k\u001b[2J\u202e.gpg"}],
      "registry.example.com/\u009b31m": [{"type": "insecureAcceptAnything"}],
      "registry.k8s.io": [{"type": "insecureAcceptAnything"}]
    }
  }
}
`

// hostileVerifier answers as a verifier would after a hostile registry:
// its error body (OSC 0 title, OSC 52 clipboard, a forged line) is in the
// summary and the trace.
type hostileVerifier struct{}

func (hostileVerifier) Verify(ctx context.Context, p *model.Policy, ref string) (VerifyResult, error) {
	body := "\x1b]0;owned\x07\x1b]52;c;aGk=\x07\nACCEPTED forged"
	return VerifyResult{Ref: ref, Scope: "docker:ev\u202eil\x1b[2J", Summary: "could not finish: " + body,
		Trace: []TraceStep{{Failed: true, Text: "GET manifest: unexpected status code 500: " + body}}}, nil
}

var sgrStyle = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// assertFrameSafe fails when a frame holds anything a terminal would
// interpret other than the TUI's own SGR styling and newlines.
func assertFrameSafe(t *testing.T, what, frame string) {
	t.Helper()
	plain := sgrStyle.ReplaceAllString(frame, "")
	for _, r := range plain {
		if r != '\n' && termsafe.Unsafe(r) {
			t.Errorf("%s: raw %U in the frame:\n%s", what, r, plain)
			return
		}
	}
	if strings.Contains(plain, "\nACCEPTED forged") {
		t.Errorf("%s: a value forged a line:\n%s", what, plain)
	}
}

func TestHostileTextIsEscapedInEveryView(t *testing.T) {
	m, keys, la, _ := newTestModel(t, hostilePolicy, 120, 40)
	m.deps.Verifier = hostileVerifier{}
	keys.keys[0].UserID = "\x1b[1GAAAA BBBB CCCC DDDD \x1b[8m"
	keys.keys[0].Details = "user ID \x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"
	keys.keys[0].Path = "/etc/gpg/k\u202e.gpg"
	la.entries = append(la.entries, LookasideRow{Scope: "reg\u202eistry.example.com\x1b[31m", URL: "https://sigs.example/\x1b]8;;http://evil/\x1b\\x\u202e", File: "a\x1b[2J.yaml"})
	la.diags = model.Diagnostics{{Severity: model.Warning, Pos: model.Pos{File: "a\x1b[2J.yaml", Line: 1, Col: 1}, Message: "scope \x1b]0;t\x07 is odd"}}
	m.keys.reload(m)
	m.la.reload(m)

	frame := func(what string) string {
		t.Helper()
		f := m.View().Content
		assertFrameSafe(t, what, f)
		return sgrStyle.ReplaceAllString(f, "")
	}
	frame("overview")

	send(t, m, "2")
	for i := 0; i < 5; i++ {
		frame("policy tree row")
		send(t, m, "j")
	}
	send(t, m, "1", "2", "j", "j")
	if f := frame("policy tree"); !strings.Contains(f, `ev\u202eil.example.com/\x1b]8;;`) {
		t.Errorf("the hostile scope is not shown escaped:\n%s", f)
	}
	send(t, m, "d")
	frame("delete scope dialog")
	send(t, m, "n", "right")
	frame("rules")
	send(t, m, "d")
	frame("delete rule dialog")
	send(t, m, "n", "left")

	send(t, m, "3")
	if f := frame("keys"); !strings.Contains(f, keys.keys[0].Fingerprint) || !strings.Contains(f, `\x1b[1GAAAA BBBB CCCC DDDD \x1b[8m`) {
		t.Errorf("keys view must show the real fingerprint and the escaped user ID:\n%s", f)
	}
	send(t, m, "d")
	frame("remove key dialog")
	send(t, m, "n")

	send(t, m, "4")
	if f := frame("look-aside"); !strings.Contains(f, `reg\u202eistry.example.com\x1b[31m`) {
		t.Errorf("look-aside view must show the scope escaped:\n%s", f)
	}
	send(t, m, "j", "d")
	frame("remove look-aside dialog")
	send(t, m, "n", "e")
	frame("edit look-aside form")
	send(t, m, "esc")

	send(t, m, "5", "type:registry.example.com/app\u202e", "enter")
	if f := frame("verify"); !strings.Contains(f, `\x1b]52;c;aGk=\x07`) {
		t.Errorf("verify view must show the error body escaped:\n%s", f)
	}

	send(t, m, "esc", "6")
	for i := range m.problems {
		frame("problem " + m.problems[i].Code)
		send(t, m, "j")
	}

	send(t, m, "2", "j", "j", "j", "d", "y", "ctrl+s")
	frame("save dialog with the diff")
}

func TestProblemsSnippetWithESCKeepsTheCaret(t *testing.T) {
	m, _, _, _ := newTestModel(t, "/* \x1b]0;owned\x07 */ {\"default\": [{\"type\": \"reject\"}]]\n", 120, 40)
	send(t, m, "6")
	f := m.View().Content
	assertFrameSafe(t, "problems", f)
	lines := strings.Split(sgrStyle.ReplaceAllString(f, ""), "\n")
	for i, l := range lines[:len(lines)-1] {
		if at := strings.Index(l, `/* \x1b]0;owned\x07 */`); at >= 0 {
			if caret, want := strings.IndexByte(lines[i+1], '^'), strings.LastIndex(l, "]"); caret != want {
				t.Errorf("caret at %d, want %d:\n%s\n%s", caret, want, l, lines[i+1])
			}
			return
		}
	}
	t.Errorf("no escaped snippet in the Problems view:\n%s", f)
}

func TestGuardFrameKeepsStylingOnly(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain\ntext", "plain\ntext"},
		{"\x1b[1;31mred\x1b[0m \x1b[38;2;1;2;3mrgb\x1b[m \x1b[4:3mcurly\x1b[24m", "\x1b[1;31mred\x1b[0m \x1b[38;2;1;2;3mrgb\x1b[m \x1b[4:3mcurly\x1b[24m"},
		{"\x1b[1Gfake", `\x1b[1Gfake`},
		{"\x1b]8;;http://e/\x1b\\x", `\x1b]8;;http://e/\x1b\x`},
		{"\x1b]0;t\x07", `\x1b]0;t\x07`},
		{"a\u202eb\u009bc\xffd\te", `a\u202eb\u009bc\xffd\te`},
		{"\x1b[31", `\x1b[31`},
		{"✓ é 例", "✓ é 例"},
	}
	for _, tt := range tests {
		if got := guardFrame(tt.in); got != tt.want {
			t.Errorf("guardFrame(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// BenchmarkGuardFrame measures the last guard on a full 120x40 frame of
// the policy view (it runs once per frame).
func BenchmarkGuardFrame(b *testing.B) {
	m, _, _, _ := newTestModel(b, testPolicy, 120, 40)
	m.switchView(vPolicy)
	frame := m.render()
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		guardFrame(frame)
	}
}

// TestSafeClipsHugeValues: a value drawn in the frame is cut to shownMax
// bytes at a rune boundary, marked, before it is escaped: a 5 MB docker
// scope (valid for the runtime) was measured and wrapped whole each frame.
func TestSafeClipsHugeValues(t *testing.T) {
	tests := []struct {
		name, in string
		clipped  bool
	}{
		{"short", "docker.io/library/busybox", false},
		{"exactly the bound", strings.Repeat("x", shownMax), false},
		{"huge ASCII", "a.example.com/" + strings.Repeat("x", 5<<20), true},
		{"huge, a rune across the bound", strings.Repeat("x", shownMax-1) + strings.Repeat("é", 1000), true},
		{"huge escapes", strings.Repeat("\x1b[2J", 1<<20), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := safe(tt.in)
			if !utf8.ValidString(got) {
				t.Fatalf("cut inside a rune: %q", got[len(got)-8:])
			}
			if !tt.clipped {
				if got != termsafe.String(tt.in) {
					t.Errorf("a value within the bound changed: %q", got)
				}
				return
			}
			if !strings.HasSuffix(got, "...") || len(got) > 6*shownMax+3 {
				t.Errorf("not clipped: %d bytes, ends %q", len(got), got[max(0, len(got)-8):])
			}
			if !strings.HasPrefix(tt.in, strings.TrimSuffix(got, "...")) && termsafe.IsSafe(tt.in) {
				t.Errorf("the clipped value is not the value's start")
			}
		})
	}
}
