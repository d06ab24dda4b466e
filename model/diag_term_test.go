package model

import (
	"strings"
	"testing"

	"github.com/kios/imgtrust/termsafe"
)

func TestDiagnosticStringIsTerminalSafe(t *testing.T) {
	d := Diagnostic{
		Severity: Error, Pos: Pos{File: "/etc/containers/policy\u202e.json", Line: 3, Col: 5},
		Message: "unknown scope \"a\x1b]0;owned\x07b\"\nerror: forged line", Fix: "remove \u009b2J it",
		Related: &Pos{File: "x\x1b[1G", Line: 1, Col: 1},
	}
	got := d.String()
	for _, r := range got {
		if termsafe.Unsafe(r) && r != '\n' {
			t.Fatalf("String() holds %U: %q", r, got)
		}
	}
	if n := strings.Count(got, "\n"); n != 1 {
		t.Errorf("String() has %d newlines, want 1 (before the fix): %q", n, got)
	}
	for _, want := range []string{`policy\u202e.json:3:5`, `a\x1b]0;owned\x07b`, `\nerror: forged line`, `\u009b2J`, `see also x\x1b[1G:1:1`} {
		if !strings.Contains(got, want) {
			t.Errorf("String() = %q lacks %q", got, want)
		}
	}
}

func TestSnippetLinesKeepTheCaretAligned(t *testing.T) {
	tests := []struct {
		name, snippet string
		want          []string
	}{
		{"plain", "  \"x\": 1,\n       ^", []string{`  "x": 1,`, "       ^"}},
		{"ESC before the column", "\"a\x1b[2Jb\": ]\n          ^", []string{`"a\x1b[2Jb": ]`, "             ^"}},
		{"tab before the column", "\t\"k\": ]\n\t      ^", []string{`\t"k": ]`, "        ^"}},
		{"wide and multibyte characters", "\"例é\": ]\n         ^", []string{`"例é": ]`, "       ^"}},
		{"bidi after the column", "x: \u202e]\n   ^", []string{`x: \u202e]`, "   ^"}},
		{"caret at the end of the line", "ab\x07\n   ^", []string{`ab\x07`, "      ^"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diagnostic{Snippet: tt.snippet}.SnippetLines()
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("SnippetLines() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
	if got := (Diagnostic{}).SnippetLines(); got != nil {
		t.Errorf("no snippet gives %q", got)
	}
}
