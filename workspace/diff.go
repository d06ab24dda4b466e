package workspace

import (
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// unifiedDiff is a unified diff of old and new, computed on the part that
// differs: an edit of a large policy changes a few lines, and finding the
// common lines of two 2 MB texts costs more than the rest of the edit.
func unifiedDiff(oldLabel, newLabel, old, new string) string {
	out, err := udiff.ToUnified(oldLabel, newLabel, old, lineEdits(old, new), udiff.DefaultContextLines)
	if err != nil {
		// The edits come from the texts themselves; fall back to the
		// library's own path rather than show nothing.
		return udiff.Unified(oldLabel, newLabel, old, new)
	}
	return out
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
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return strings.LastIndexByte(a[:i], '\n') + 1
}

// commonSuffixLines is the length of the whole lines (each ending in a
// newline, the last one possibly without) that a and b end with.
func commonSuffixLines(a, b string) int {
	n := 0
	for {
		la, lb := lastLine(a[:len(a)-n]), lastLine(b[:len(b)-n])
		if la == "" || la != lb || len(la) == len(a)-n && len(lb) != len(b)-n || len(lb) == len(b)-n && len(la) != len(a)-n {
			// Stop at a differing line, and never take a whole text as a
			// suffix of another one's middle line.
			if la != "" && la == lb && len(la) == len(a)-n && len(lb) == len(b)-n {
				n += len(la)
			}
			return n
		}
		n += len(la)
	}
}

// lastLine is the last line of s with its newline: the text after the
// newline before the final character.
func lastLine(s string) string {
	if s == "" {
		return ""
	}
	return s[strings.LastIndexByte(s[:len(s)-1], '\n')+1:]
}
