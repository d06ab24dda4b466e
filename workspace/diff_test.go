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

// TestWindowedDiffMatchesFull: the diff computed on the lines around the
// edits is, byte for byte, the library's unified diff of the whole old
// text with the same edits (hunk headers included), for random edits of
// random texts long enough that the window starts and ends inside them.
func TestWindowedDiffMatchesFull(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	words := []string{"a", "b", "{", "}", "\"x\": 1,", "", "@@ -1 +1 @@"}
	for i := range 3000 {
		n := rnd.IntN(60)
		var b strings.Builder
		for range n {
			b.WriteString(words[rnd.IntN(len(words))])
			b.WriteByte('\n')
		}
		old := b.String()
		if rnd.IntN(4) == 0 && len(old) > 0 {
			old = old[:len(old)-1]
		}
		lines := strings.SplitAfter(old, "\n")
		for range 1 + rnd.IntN(5) {
			if len(lines) == 0 {
				lines = append(lines, "new\n")
				continue
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
		want, err := udiff.ToUnified("a", "b", old, lineEdits(old, cur), udiff.DefaultContextLines)
		if err != nil {
			t.Fatal(err)
		}
		if got := unifiedDiff("a", "b", old, cur); got != want {
			t.Fatalf("case %d: old %q new %q:\ngot:\n%s\nwant:\n%s", i, old, cur, got, want)
		}
	}
}

// commonSuffixLinesByLines is commonSuffixLines as the walk over whole
// lines from the end that it replaced: the definition it must keep.
func commonSuffixLinesByLines(a, b string) int {
	lastLine := func(s string) string {
		if s == "" {
			return ""
		}
		return s[strings.LastIndexByte(s[:len(s)-1], '\n')+1:]
	}
	n := 0
	for {
		la, lb := lastLine(a[:len(a)-n]), lastLine(b[:len(b)-n])
		if la == "" || la != lb || len(la) == len(a)-n && len(lb) != len(b)-n || len(lb) == len(b)-n && len(la) != len(a)-n {
			if la != "" && la == lb && len(la) == len(a)-n && len(lb) == len(b)-n {
				n += len(la)
			}
			return n
		}
		n += len(la)
	}
}

func commonPrefixLinesByBytes(a, b string) int {
	i := 0
	for i < min(len(a), len(b)) && a[i] == b[i] {
		i++
	}
	return strings.LastIndexByte(a[:i], '\n') + 1
}

func sameCommonEnds(t *testing.T, a, b string) {
	t.Helper()
	if got, want := commonSuffixLines(a, b), commonSuffixLinesByLines(a, b); got != want {
		t.Fatalf("commonSuffixLines(%q, %q) = %d, want %d", a, b, got, want)
	}
	if got, want := commonPrefixLines(a, b), commonPrefixLinesByBytes(a, b); got != want {
		t.Fatalf("commonPrefixLines(%q, %q) = %d, want %d", a, b, got, want)
	}
}

// TestCommonEndsMatchLineWalks: the block-wise common ends are those of
// the walks over lines and bytes, for texts long enough that whole 64-byte
// blocks match (long lines, short ones, no final newline, one text the
// other's end, equal texts).
func TestCommonEndsMatchLineWalks(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	words := []string{"a", "\n", strings.Repeat("x", 70), strings.Repeat("y\n", 40), "{\n", "}", "\"k\": 1,\n"}
	text := func() string {
		var b strings.Builder
		for range rnd.IntN(12) {
			b.WriteString(words[rnd.IntN(len(words))])
		}
		return b.String()
	}
	for range 20000 {
		shared := text()
		a, b := text()+shared, text()+shared
		if rnd.IntN(6) == 0 {
			b = a
		}
		if rnd.IntN(6) == 0 {
			b = shared
		}
		sameCommonEnds(t, a, b)
		sameCommonEnds(t, shared+text(), shared+text())
	}
}

// FuzzCommonEndsMatchLineWalks: whatever the texts.
func FuzzCommonEndsMatchLineWalks(f *testing.F) {
	f.Add("a\nb\n", "c\nb\n")
	f.Add(strings.Repeat("x", 200)+"\ny", "z"+strings.Repeat("x", 200)+"\ny")
	f.Fuzz(func(t *testing.T, a, b string) { sameCommonEnds(t, a, b) })
}
