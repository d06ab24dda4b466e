package policyio

import "strings"

// suggest returns the candidate closest to s, for did-you-mean hints, or ""
// when nothing is close enough to be a plausible typo.
func suggest(s string, candidates []string) string {
	best, bestDist := "", 1<<30
	for _, c := range candidates {
		if strings.EqualFold(s, c) {
			return c
		}
		dist := levenshtein(strings.ToLower(s), strings.ToLower(c))
		if dist < bestDist {
			best, bestDist = c, dist
		}
	}
	// Allow about one edit in three characters, at least two.
	limit := max(2, len(s)/3)
	if bestDist <= limit {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Suggest is suggest for callers outside the package (the CLI's
// did-you-mean for commands and flags), so that one notion of "a plausible
// typo" serves both.
func Suggest(s string, candidates []string) string { return suggest(s, candidates) }
