package policyio

import (
	"bytes"
	"testing"
)

// jsonTooDeepByBytes is the depth check as a loop over every byte: the
// definition the scanner with its table and bytes.IndexByte must keep.
func jsonTooDeepByBytes(src []byte, max int) int {
	depth := 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '"':
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				for i < len(src) && src[i] != '\n' {
					i++
				}
			} else if i+1 < len(src) && src[i+1] == '*' {
				for i += 2; i+1 < len(src) && !(src[i] == '*' && src[i+1] == '/'); i++ {
				}
				i++
			}
		case '[', '{':
			if depth++; depth > max {
				return i
			}
		case ']', '}':
			depth--
		}
	}
	return -1
}

// lineStartsByBytes is lineStarts as a loop over every byte.
func lineStartsByBytes(src []byte) []int {
	out := []int{0}
	for i, c := range src {
		if c == '\n' {
			out = append(out, i+1)
		}
	}
	return out
}

func scanSeeds() [][]byte {
	out := lazySeeds()
	for _, s := range []string{
		``, `"`, `"\`, `"\"`, `"\\"`, `"\\\"`, `"\\\\"[[`, `[[[`, `[["]"]]`, `[/*[*/[`, `[//[` + "\n[", `[/*`,
		`{"a\\": [[1]], "b\"[": [[[2]]]}`, "{\"a\": \"x\ny\"}\n\n", `["\u005b", "\\", "\\\\\""]`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// TestScannersMatchByteLoops: the depth check and the line table give
// what the loops over every byte give, at every depth limit that matters.
func TestScannersMatchByteLoops(t *testing.T) {
	for _, data := range scanSeeds() {
		sameScans(t, data)
	}
}

func sameScans(t *testing.T, data []byte) {
	t.Helper()
	for _, max := range []int{0, 1, 2, 3, MaxJSONDepth} {
		if got, want := jsonTooDeep(data, max), jsonTooDeepByBytes(data, max); got != want {
			t.Fatalf("jsonTooDeep(%q, %d) = %d, want %d", data, max, got, want)
		}
	}
	got, want := lineStarts(data), lineStartsByBytes(data)
	if len(got) != len(want) {
		t.Fatalf("lineStarts(%q): %v, want %v", data, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("lineStarts(%q): %v, want %v", data, got, want)
		}
	}
	// stringEnd agrees with a forward scan from every quote.
	for i := bytes.IndexByte(data, '"'); i >= 0; {
		want := -1
		for j := i + 1; j < len(data); j++ {
			if data[j] == '\\' {
				j++
				continue
			}
			if data[j] == '"' {
				want = j
				break
			}
		}
		if got := stringEnd(data, i); got != want {
			t.Fatalf("stringEnd(%q, %d) = %d, want %d", data, i, got, want)
		}
		next := bytes.IndexByte(data[i+1:], '"')
		if next < 0 {
			break
		}
		i += 1 + next
	}
}

// FuzzScannersMatchByteLoops: whatever the input.
func FuzzScannersMatchByteLoops(f *testing.F) {
	for _, s := range scanSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameScans(t, data) })
}
