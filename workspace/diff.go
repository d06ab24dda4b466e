package workspace

import (
	"strconv"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// unifiedDiff is a unified diff of old and new, computed on the part that
// differs: an edit of a large policy changes a few lines, and finding the
// common lines of two 2 MB texts costs more than the rest of the edit.
// udiff also splits the whole text into lines and counts the lines before
// each edit, so it is given only the lines the hunks show (the edits with
// their context), and the hunks' line numbers are moved by the lines
// before them (TestWindowedDiffMatchesFull).
func unifiedDiff(oldLabel, newLabel, old, new string) string {
	edits := lineEdits(old, new)
	if len(edits) == 0 {
		return ""
	}
	ctx := udiff.DefaultContextLines
	start := linesBefore(old, edits[0].Start, ctx)
	end := linesAfter(old, edits[len(edits)-1].End, ctx)
	for i := range edits {
		edits[i].Start -= start
		edits[i].End -= start
	}
	out, err := udiff.ToUnified(oldLabel, newLabel, old[start:end], edits, ctx)
	if err != nil {
		// The edits come from the texts themselves; fall back to the
		// library's own path rather than show nothing.
		return udiff.Unified(oldLabel, newLabel, old, new)
	}
	if n := strings.Count(old[:start], "\n"); n > 0 {
		out = shiftHunks(out, n)
	}
	return out
}

// linesBefore is the start of the line n lines before the one holding off.
func linesBefore(s string, off, n int) int {
	i := strings.LastIndexByte(s[:off], '\n') + 1
	for ; n > 0 && i > 0; n-- {
		i = strings.LastIndexByte(s[:i-1], '\n') + 1
	}
	return i
}

// linesAfter is the end of the n lines from off (off itself when it is
// not at a line start is first moved to the end of its line).
func linesAfter(s string, off, n int) int {
	i := off
	if i > 0 && i < len(s) && s[i-1] != '\n' {
		n++
	}
	for ; n > 0 && i < len(s); n-- {
		if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
			i += j + 1
		} else {
			i = len(s)
		}
	}
	return i
}

// shiftHunks adds n to the first line of each side in the hunk headers
// ("@@ -A,B +C,D @@", the counts optional) of a unified diff.
func shiftHunks(diff string, n int) string {
	var b strings.Builder
	b.Grow(len(diff) + 16)
	for line := range strings.SplitAfterSeq(diff, "\n") {
		rest, ok := strings.CutPrefix(line, "@@ -")
		if !ok {
			b.WriteString(line)
			continue
		}
		from, rest, _ := strings.Cut(rest, " +")
		to, rest, _ := strings.Cut(rest, " @@")
		b.WriteString("@@ -" + shiftRange(from, n) + " +" + shiftRange(to, n) + " @@" + rest)
	}
	return b.String()
}

// shiftRange moves "A" or "A,B" by n lines.
func shiftRange(r string, n int) string {
	first, count, hasCount := strings.Cut(r, ",")
	a, err := strconv.Atoi(first)
	if err != nil {
		return r
	}
	if hasCount {
		return strconv.Itoa(a+n) + "," + count
	}
	return strconv.Itoa(a + n)
}

// lineEdits is udiff.Lines(old, new) with the whole lines both texts
// share at the start and at the end left out of the line diff.
func lineEdits(old, new string) []udiff.Edit {
	p := commonPrefixLines(old, new)
	s := commonSuffixLines(old[p:], new[p:])
	edits := udiff.Lines(old[p:len(old)-s], new[p:len(new)-s])
	for i := range edits {
		edits[i].Start += p
		edits[i].End += p
	}
	return edits
}

// commonPrefixLines is the length of the whole lines (each ending in a
// newline) that a and b start with.
func commonPrefixLines(a, b string) int {
	return strings.LastIndexByte(a[:commonPrefixLen(a, b)], '\n') + 1
}

// commonSuffixLines is the length of the whole lines (each ending in a
// newline, the last one possibly without) that a and b end with: the
// lines after the first newline in their common bytes, or both texts
// when they are equal — never a whole text as the end of the other's
// middle line, nor the whole of one text as lines of the other.
func commonSuffixLines(a, b string) int {
	k := commonSuffixLen(a, b)
	if k == len(a) && k == len(b) {
		return k
	}
	q := strings.IndexByte(a[len(a)-k:], '\n')
	if q < 0 {
		return 0
	}
	return k - q - 1
}

// The common ends are found a block at a time (a string comparison of
// 64 bytes is one vectorised memequal): the texts of a staged edit of a
// large policy are megabytes that differ in a few lines (issue 15).
const diffBlock = 64

func commonPrefixLen(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i+diffBlock <= n && a[i:i+diffBlock] == b[i:i+diffBlock] {
		i += diffBlock
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

func commonSuffixLen(a, b string) int {
	n := min(len(a), len(b))
	k := 0
	for k+diffBlock <= n && a[len(a)-k-diffBlock:len(a)-k] == b[len(b)-k-diffBlock:len(b)-k] {
		k += diffBlock
	}
	for k < n && a[len(a)-k-1] == b[len(b)-k-1] {
		k++
	}
	return k
}
