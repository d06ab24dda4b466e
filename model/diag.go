package model

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/clipperhouse/displaywidth"
	"github.com/kios/imgtrust/termsafe"
)

// Pos locates a node in a source file. Line and Col are 1-based; a zero Line
// means the position is unknown (for example a node created in the TUI).
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"column,omitempty"`
}

// IsZero reports whether no position is known.
func (p Pos) IsZero() bool { return p.Line == 0 }

func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return ""
	case p.Line == 0:
		return p.File
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Severity orders diagnostics. An Error is something the runtime refuses
// (every pull on the node then fails); a Warning is accepted by the runtime
// but risky or useless; Info is advice.
type Severity int

const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	default:
		return "info"
	}
}

// MarshalText makes severities readable in --json output.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts the names MarshalText writes.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	case "info":
		*s = Info
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Diagnostic is one problem found in a file. Code is a stable identifier
// that scripts and the TUI's quick fixes can key on; Path names the node in
// the document ("transports.docker.example.com[0].signedIdentity.type").
type Diagnostic struct {
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Pos      Pos      `json:"pos"`
	Path     string   `json:"path,omitempty"`
	Message  string   `json:"message"`
	// Fix is a suggested remedy in words ("did you mean matchRepository?").
	Fix string `json:"fix,omitempty"`
	// Snippet is the offending source line with a caret under the column,
	// when the source is known.
	Snippet string `json:"snippet,omitempty"`
	// Related points at another place that is part of the same problem,
	// for example the first occurrence of a duplicated key.
	Related *Pos `json:"related,omitempty"`
	// Replacement, when set, is the literal text that would fix the problem
	// at Pos (used by quick fixes: a corrected type name, say).
	Replacement string `json:"replacement,omitempty"`
	// Fixes are the quick fixes for the problem as edits of the text it
	// was found in; more than one is a choice the admin makes (keep
	// keyPath, keyPaths or keyData). Offsets are only valid for that
	// exact text, so they are not part of --json.
	Fixes []QuickFix `json:"-"`
	// Runtime is what containers/image itself says about an error, so
	// that an admin can match it with the message in CRI-O's log.
	Runtime string `json:"runtime,omitempty"`
	// Target names the policy node the diagnostic is about, for jumping
	// to it in the TUI; nil for problems outside the policy model.
	Target *Target `json:"target,omitempty"`
}

// QuickFix is one way to repair a problem: edits of the text, and the
// document nodes they change (paths as in Diagnostic.Path; none for a
// comment or a comma), so that a fix can be checked to change only what
// it names.
type QuickFix struct {
	Title string
	Edits []TextEdit
	Nodes []string
}

// TextEdit replaces the bytes [Start, End) of a text with New.
type TextEdit struct {
	Start, End int
	New        string
}

// Target locates a diagnostic in the policy model rather than in the
// text: a requirement list, optionally one requirement and one field.
type Target struct {
	List ScopeRef `json:"list"`
	// Requirement is the index in the list, -1 for the list itself.
	Requirement int    `json:"requirement"`
	Field       string `json:"field,omitempty"`
}

// String renders "file:line:col: severity: message (fix)" for people.
// Messages quote scope names, key paths, URLs and values from the file, so
// every part goes through termsafe.String: a crafted value cannot drive
// the terminal or forge a line (the only newline is the one before the
// fix). --json keeps the fields exact.
func (d Diagnostic) String() string {
	var b strings.Builder
	if p := d.Pos.String(); p != "" {
		b.WriteString(termsafe.String(p))
		b.WriteString(": ")
	}
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	b.WriteString(termsafe.String(d.Message))
	if d.Related != nil && d.Related.String() != "" {
		fmt.Fprintf(&b, " (see also %s)", termsafe.String(d.Related.String()))
	}
	if d.Fix != "" {
		b.WriteString("\n  fix: ")
		b.WriteString(termsafe.String(d.Fix))
	}
	return b.String()
}

// SnippetLines returns the snippet for a terminal: the source line with
// everything a terminal would interpret escaped (an ESC in a string of
// policy.json shows as \x1b), and the caret under the same character of the
// escaped line. The caret is placed by display width, so escapes, tabs
// (shown as \t) and wide characters before it keep it aligned.
func (d Diagnostic) SnippetLines() []string {
	if d.Snippet == "" {
		return nil
	}
	src, caretLine, ok := strings.Cut(d.Snippet, "\n")
	// The caret line has one space or tab per byte of the source line
	// before the column (see policyio's snippet).
	col := strings.IndexByte(caretLine, '^')
	if !ok || col < 0 || col > len(src) || strings.Contains(caretLine, "\n") {
		return strings.Split(termsafe.Text(d.Snippet), "\n")
	}
	before := termsafe.String(src[:col])
	return []string{before + termsafe.String(src[col:]), strings.Repeat(" ", displaywidth.String(before)) + "^"}
}

// Diagnostics is a list of findings with helpers for the usual questions.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an Error.
func (ds Diagnostics) HasErrors() bool { return ds.Count(Error) > 0 }

// Count returns how many diagnostics have severity s.
func (ds Diagnostics) Count(s Severity) int {
	n := 0
	for _, d := range ds {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// Sorted returns a copy ordered by severity (errors first), then file,
// line and column, so that output is stable.
func (ds Diagnostics) Sorted() Diagnostics {
	// Sort positions, not the diagnostics: a Diagnostic is large, and a
	// large policy can have one per scope.
	perm := make([]int, len(ds))
	for i := range perm {
		perm[i] = i
	}
	// A stable order, through the index as the last key: pdqsort is
	// O(n log n) and takes an already sorted run in one pass, where
	// SortStableFunc's merges cost 13% of a staged edit at 10,000 scopes
	// (issue 15).
	slices.SortFunc(perm, func(i, j int) int {
		a, b := &ds[i], &ds[j]
		if a.Severity != b.Severity {
			return cmp.Compare(b.Severity, a.Severity)
		}
		if c := strings.Compare(a.Pos.File, b.Pos.File); c != 0 {
			return c
		}
		if a.Pos.Line != b.Pos.Line {
			return cmp.Compare(a.Pos.Line, b.Pos.Line)
		}
		if a.Pos.Col != b.Pos.Col {
			return cmp.Compare(a.Pos.Col, b.Pos.Col)
		}
		return cmp.Compare(i, j)
	})
	if len(ds) == 0 {
		return nil
	}
	out := make(Diagnostics, len(ds))
	for i, p := range perm {
		out[i] = ds[p]
	}
	return out
}

// InFile returns the diagnostics located in file.
func (ds Diagnostics) InFile(file string) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Pos.File == file {
			out = append(out, d)
		}
	}
	return out
}
