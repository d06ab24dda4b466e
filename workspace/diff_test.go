package workspace

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aymanbagabas/go-udiff"
)

// TestLineEdits: the diff computed without the shared first and last
// lines turns the old text into the new one and changes no more lines
// than the library's diff of the whole texts, for random line edits of
// random texts, including texts without a final newline, empty ones and
// equal ones.
func TestLineEdits(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "b", "{", "}", "\"x\": 1,", ""}
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(words[rnd.IntN(len(words))])
			b.WriteByte('\n')
		}
		s := b.String()
		if rnd.IntN(4) == 0 && len(s) > 0 {
			s = s[:len(s)-1] // no final newline
		}
		return s
	}
	for i := range 3000 {
		old := text(rnd.IntN(30))
		lines := strings.SplitAfter(old, "\n")
		for range rnd.IntN(4) {
			if len(lines) == 0 {
				break
			}
			j := rnd.IntN(len(lines))
			switch rnd.IntN(3) {
			case 0:
				lines = append(lines[:j], lines[j+1:]...)
			case 1:
				lines[j] = words[rnd.IntN(len(words))] + "\n"
			default:
				lines = append(lines[:j], append([]string{"new\n"}, lines[j:]...)...)
			}
		}
		cur := strings.Join(lines, "")
		if rnd.IntN(5) == 0 {
			cur = old
		}
		edits := lineEdits(old, cur)
		if got, err := udiff.Apply(old, edits); err != nil || got != cur {
			t.Fatalf("case %d: old %q new %q: the edits give %q (%v)", i, old, cur, got, err)
		}
		if got, want := changedLines(old, edits), changedLines(old, udiff.Lines(old, cur)); got > want {
			t.Fatalf("case %d: old %q new %q: %d lines changed, the whole-text diff changes %d", i, old, cur, got, want)
		}
		if d := unifiedDiff("a", "b", old, cur); (d == "") != (old == cur) {
			t.Fatalf("case %d: diff %q for old %q new %q", i, d, old, cur)
		}
	}
}

// changedLines counts the lines an edit list removes and inserts.
func changedLines(src string, edits []udiff.Edit) int {
	n := 0
	for _, e := range edits {
		n += strings.Count(src[e.Start:e.End], "\n") + strings.Count(e.New, "\n")
	}
	return n
}
