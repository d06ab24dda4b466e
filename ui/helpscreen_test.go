package ui

import (
	"fmt"
	"regexp"

	"strings"
	"testing"

	"charm.land/bubbles/v2/key"
)

// The help screen lists every key of the current view (both panes of the
// Policy view: K/J reorder rules) with the global ones, and fits 80x24:
// its last line, how to close it, is on screen.
func TestHelpScreenListsEveryKeyAndFits(t *testing.T) {
	for _, ascii := range []bool{false, true} {
		d, _, _, _ := testDeps(t, testPolicy)
		d.ASCII = ascii
		m := sized(New(d), 80, 24)
		m.modal = nil
		for v := range numViews {
			send(t, m, fmt.Sprint(int(v)+1))
			if v == vVerify {
				send(t, m, "esc") // the input has the keyboard: ? is a letter there
			}
			send(t, m, "?")
			s := screen(m)
			if !strings.Contains(s, "esc or ? closes this help") || strings.Contains(s, "more keys than fit") {
				t.Errorf("%s (ascii %v): the help does not fit 80x24:\n%s", viewNames[v], ascii, s)
			}
			var want []key.Binding
			for _, sec := range m.viewHelp() {
				want = append(want, sec.keys...)
			}
			want = append(append(want, m.globalBindings()...), m.km.Views[:]...)
			for _, k := range want {
				re := regexp.MustCompile(regexp.QuoteMeta(m.asciiArrows(k.Help().Key)) + `\s+` + regexp.QuoteMeta(k.Help().Desc))
				if !re.MatchString(s) {
					t.Errorf("%s: the help lacks %s %s:\n%s", viewNames[v], k.Help().Key, k.Help().Desc, s)
				}
			}
			if v == vPolicy {
				for _, k := range []string{"K", "J", "move up", "move down", "add rule", "add scope", "E"} {
					if !strings.Contains(s, k) {
						t.Errorf("Policy help lacks %q:\n%s", k, s)
					}
				}
			}
			send(t, m, "esc")
		}
	}
}
