package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

func TestStep(t *testing.T) {
	even := func(i int) bool { return i%2 == 0 }
	none := func(int) bool { return false }
	tests := []struct {
		name       string
		n, cur, d  int
		ok         func(int) bool
		want, near int
	}{
		{"down to the next passing", 10, 2, 1, even, 4, 2},
		{"up to the previous passing", 10, 4, -1, even, 2, 4},
		{"stays at the last", 10, 8, 1, even, 8, 8},
		{"stays at the first", 10, 0, -1, even, 0, 0},
		{"a page down", 10, 0, 3, even, 6, 0},
		{"from a hidden entry down", 10, 3, 1, even, 4, 4},
		{"from a hidden entry up", 10, 3, -1, even, 2, 4},
		{"hidden last entry goes up", 10, 9, 1, even, 8, 8},
		{"nothing passes", 10, 3, 1, none, 3, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := step(tc.n, tc.cur, tc.d, tc.ok); got != tc.want {
				t.Errorf("step = %d, want %d", got, tc.want)
			}
			if got := nearest(tc.n, tc.cur, tc.ok); got != tc.near {
				t.Errorf("nearest = %d, want %d", got, tc.near)
			}
		})
	}
}

func TestFilterMatch(t *testing.T) {
	f := newFilter()
	tests := []struct {
		query string
		texts []string
		want  bool
	}{
		{"", []string{"anything"}, true},
		{"team", []string{"docker:registry.example.com/team"}, true},
		{"TEAM", []string{"docker:registry.example.com/team"}, true},
		{"team signed", []string{"docker:registry.example.com/team", "signed"}, true},
		{"team any", []string{"docker:registry.example.com/team", "signed"}, false},
		{"quay", []string{"docker:registry.example.com/team"}, false},
	}
	for _, tc := range tests {
		f.in.SetValue(tc.query)
		if got := f.match(tc.texts...); got != tc.want {
			t.Errorf("%q on %q: %v, want %v", tc.query, tc.texts, got, tc.want)
		}
	}
}

// filterPolicy has n scopes; every third one signed by a key file that does
// not exist, each of which is a problem.
func filterPolicy(n int) string {
	var b strings.Builder
	b.WriteString(`{"default":[{"type":"reject"}],"transports":{"docker":{`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		if i%3 == 0 {
			fmt.Fprintf(&b, `"registry%03d.example.com/team":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/missing%03d.gpg"}]`, i, i)
		} else {
			fmt.Fprintf(&b, `"registry%03d.example.com/team":[{"type":"insecureAcceptAnything"}]`, i)
		}
	}
	b.WriteString(`}}}`)
	return b.String()
}

// TestFilterEachView drives a real program on a node with 300 scopes, 100
// problems, 60 keys and 60 look-aside entries: / filters each list as the
// query is typed, shows the query and the count, and esc clears it.
func TestFilterEachView(t *testing.T) {
	tests := []struct {
		name, view, query string
		title, cleared    string // the list's title with the filter and after esc
		shown, hidden     string // a row that passes, one that does not
	}{
		{"scopes", "2", "registry12", "Scopes (10 of 300)", "Scopes (300)", "registry120.example.com/team", "registry130.example.com"},
		{"problems", "6", "missing29", "Problems (3 of 200)", "Problems (", "missing291.gpg", "missing282.gpg"},
		{"keys", "3", "user17", "Keys (1 of 61)", "Keys (61)", "user17@example.com", "user18@example.com"},
		{"look-aside", "4", "mirror4", "Look-aside (11 of 61)", "Look-aside (61)", "mirror4.example.com/ns", "mirror5.example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, keys, la, _ := testDeps(t, filterPolicy(300))
			for i := range 60 {
				keys.keys = append(keys.keys, KeyInfo{Fingerprint: fmt.Sprintf("%040X", i+1), UserID: fmt.Sprintf("user%d@example.com", i), Status: "ok", Path: fmt.Sprintf("/etc/gpg/user%d.gpg", i)})
				la.entries = append(la.entries, LookasideEntry{Scope: fmt.Sprintf("mirror%d.example.com/ns", i), URL: "https://sigs.example.com", File: "mirrors.yaml"})
			}
			m := New(d)
			m.modal = nil // not the setup offer
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40),
				teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII), tea.WithEnvironment([]string{"TERM=xterm-256color"})))
			tm.Type(tc.view)
			tm.Type("/")
			tm.Type(tc.query)
			// ctrl+c still quits while the query has the keyboard (nothing
			// is staged, so at once).
			tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
			final := tm.FinalModel(t, teatest.WithFinalTimeout(3*time.Second)).(*Model)
			s := screen(final)
			if !strings.Contains(s, tc.title) || !strings.Contains(s, "/ "+tc.query) || !strings.Contains(s, tc.shown) || strings.Contains(s, tc.hidden) {
				t.Fatalf("filtered by %q: want %q, %q and not %q:\n%s", tc.query, tc.title, tc.shown, tc.hidden, s)
			}
			// Incremental: one letter less, more passes.
			send(t, final, "backspace")
			if s := screen(final); strings.Contains(s, tc.title) || !strings.Contains(s, "/ "+tc.query[:len(tc.query)-1]) {
				t.Errorf("after backspace the list is not wider:\n%s", s)
			}
			send(t, final, "esc")
			if s := screen(final); !strings.Contains(s, tc.cleared) || strings.Contains(s, tc.title) || strings.Contains(s, "/ "+tc.query[:len(tc.query)-1]) {
				t.Errorf("esc did not clear the filter:\n%s", s)
			}
		})
	}
}

// paneText is the text of columns [from, to) of a screen, box borders and
// spaces dropped and lines joined: a wrapped name reads whole in it.
func paneText(s string, from, to int) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		r := []rune(l)
		if from >= len(r) {
			continue
		}
		b.WriteString(string(r[from:min(to, len(r))]))
	}
	return strings.NewReplacer("│", "", " ", "", "|", "").Replace(b.String())
}

// TestLongTextShownWhole: a scope name cut in the tree is whole in the
// rules pane, and a verification trace wraps rather than cutting, at the
// console's 80x24 and at 120 columns.
func TestLongTextShownWhole(t *testing.T) {
	long := "registry001.example.com/team/with/a/path/much/too/long/for/the/tree/pane/app"
	pol := `{"default":[{"type":"reject"}],"transports":{"docker":{"` + long + `":[{"type":"insecureAcceptAnything"}]}}}`
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			d, _, _, _ := testDeps(t, pol)
			m := New(d)
			m.modal = nil
			tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(sz[0], sz[1]),
				teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII), tea.WithEnvironment([]string{"TERM=linux"})))
			tm.Type("2jj")
			tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
			final := tm.FinalModel(t, teatest.WithFinalTimeout(3*time.Second)).(*Model)
			s := screen(final)
			leftW := 36
			if sz[0] >= 120 {
				leftW = 44
			}
			if strings.Contains(paneText(s, 0, leftW), long) {
				t.Fatalf("the name fits the tree: the test needs a longer one\n%s", s)
			}
			if !strings.Contains(paneText(s, leftW, sz[0]), "docker:"+long) {
				t.Errorf("the rules pane does not show the whole scope name:\n%s", s)
			}
			send(t, final, "5", "type:"+long+":1.0", "enter")
			s = screen(final)
			if strings.Contains(s, final.th.G.Ellipsis+"\n") || !strings.Contains(paneText(s, 0, sz[0]), "scopedocker:"+long) {
				t.Errorf("the trace is cut:\n%s", s)
			}
		})
	}
}

// TestFormCheckWraps: a field's check message longer than the form wraps
// under the field, whole, at the console width.
func TestFormCheckWraps(t *testing.T) {
	msg := `dockerReference "registry.example.com/team/app" has no tag or digest: exactReference needs one, such as registry.example.com/team/app:1.0 (the end of this message is its reason)`
	m, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	fd := textField("ref", "Signed reference", "registry.example.com/team/app", "")
	fd.check = func(*form) (string, bool) { return msg, false }
	m.modal = &form{title: "Edit rule", fields: []*field{fd}}
	s := screen(m)
	want := strings.ReplaceAll(msg, " ", "")
	if got := paneText(s, 0, 80); !strings.Contains(got, want) {
		t.Errorf("the check message is cut:\n%s", s)
	}
}
