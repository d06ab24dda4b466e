package policyio

import (
	"bytes"
	"fmt"

	"github.com/kios/imgtrust/model"
)

// MaxJSONDepth is how deep policy.json may nest. hujson parses
// recursively and a million nested brackets overflow the stack (a fatal
// error, not a panic); encoding/json, which the runtime uses, refuses
// anything deeper than 10,000 levels, so the same limit refuses nothing
// the runtime would load.
const MaxJSONDepth = 10000

// jsonTooDeep returns the offset of the first bracket or brace nested
// deeper than max, or -1. Strings and comments (hujson's // and /* */)
// are skipped, so the count is the parser's own.
func jsonTooDeep(src []byte, max int) int {
	depth := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		if !jsonStructural[c] {
			continue
		}
		switch c {
		case '"':
			if i = stringEnd(src, i); i < 0 {
				return -1 // unterminated: nothing after it nests
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

// jsonStructural marks the bytes the scanners of a whole file stop at:
// everything else (most of a policy, outside its strings) is passed over
// with one lookup (issue 15: the depth check and the skim read every byte
// of the staged text on each edit).
var jsonStructural = [256]bool{'"': true, '/': true, '[': true, '{': true, ']': true, '}': true}

// stringEnd returns the index of the quote closing the string opened at
// src[open], or -1 when it is not closed: a quote closes it when an even
// number of backslashes precedes it. bytes.IndexByte finds the quotes,
// instead of a loop over every byte of the string.
func stringEnd(src []byte, open int) int {
	for j := open + 1; ; {
		k := bytes.IndexByte(src[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		n := 0
		for p := q - 1; p > open && src[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q
		}
		j = q + 1
	}
}

// Bounds on what diagnostics cost: a one-line policy.json of megabytes
// with a problem every few bytes would otherwise copy the whole line into
// each of thousands of diagnostics.
const (
	// MaxDiagnostics is how many problems ParsePolicy reports one by
	// one; the rest are counted in one closing diagnostic.
	MaxDiagnostics = 200
	// maxSnippetWidth is how many bytes of the line a snippet shows on
	// each side of the column.
	maxSnippetWidth = 60
)

// omitted is the closing diagnostic for the problems beyond
// MaxDiagnostics. It takes the worst severity among them, so that a
// policy whose errors were all left out is still an error.
func omitted(file string, n int, worst model.Severity) model.Diagnostic {
	return model.Diagnostic{
		Severity: worst, Code: "more-problems", Pos: model.Pos{File: file},
		Message: fmt.Sprintf("%d more problem(s) not listed (imgtrust reports the first %d)", n, MaxDiagnostics),
		Fix:     "fix the ones listed, then run imgtrust lint again",
	}
}
