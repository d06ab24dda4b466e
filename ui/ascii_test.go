package ui

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// nonASCII returns the first non-ASCII runes of s with their lines.
func nonASCII(s string) []string {
	var out []string
	for i, l := range strings.Split(s, "\n") {
		for _, r := range l {
			if r >= utf8.RuneSelf {
				out = append(out, fmt.Sprintf("line %d %q: %q", i+1, r, l))
				break
			}
		}
	}
	return out
}

// Under --ascii (and TERM=linux, which sets it) no screen of the TUI holds
// a rune the console font may lack: every view, its help screen, the
// editor, a quick-fix choice and the save review, on the kiOS guide's
// policy (snippets cut with an ellipsis, problems of every kind).
func TestASCIIScreensHaveNoUnicode(t *testing.T) {
	d, _, _, _ := testDeps(t, guideRepairedText(t))
	d.ASCII = true
	m := sized(New(d), 80, 24)
	m.modal = nil
	check := func(what string) {
		t.Helper()
		if bad := nonASCII(screen(m)); len(bad) > 0 {
			t.Errorf("%s: %v", what, bad)
		}
	}
	for v := range numViews {
		send(t, m, fmt.Sprint(int(v)+1))
		check(viewNames[v])
		if v == vVerify {
			send(t, m, "esc")
		}
		send(t, m, "?")
		check(viewNames[v] + " help")
		send(t, m, "esc")
	}
	send(t, m, "6")
	for i := range m.problems {
		m.prob.cursor = i
		check("problem " + m.problems[i].Code)
	}
	selectProblem(t, m, "signedby-many-keys")
	send(t, m, "f")
	check("fix choice")
	send(t, m, "esc", "2", "E")
	check("editor")
	send(t, m, "type:x", "ctrl+s")
	check("review")
	send(t, m, "esc", "u", "5", "type:registry.k8s.io/pause:3.10", "enter")
	check("verify result")
	send(t, m, "esc", "w")
	for i := 0; i < 8 && m.wiz != nil; i++ {
		check(fmt.Sprintf("wizard step %d", i))
		send(t, m, "enter")
	}
}
