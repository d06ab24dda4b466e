package policyio

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/kios/imgtrust/model"
	"github.com/tailscale/hujson"
)

// ApplyReplacement applies a diagnostic's quick fix to the text it was
// found in: the JSON string token at d.Pos (a key or a value) is replaced
// by d.Replacement, quoted. The caller parses the result again; nothing
// here decides whether the fix is right, only where it goes.
func ApplyReplacement(src []byte, d model.Diagnostic) ([]byte, error) {
	if d.Replacement == "" {
		return nil, fmt.Errorf("no quick fix for this problem")
	}
	dec := &jsonDecoder{src: src}
	off := offsetOfPos(dec, d.Pos)
	if off < 0 || off >= len(src) {
		return nil, fmt.Errorf("no token at %s to replace", d.Pos)
	}
	if src[off] != '"' {
		return replacePlainScalar(src, off, d)
	}
	end := off + 1
	for end < len(src) && src[end] != '"' {
		if src[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(src) {
		return nil, fmt.Errorf("unterminated string at %s", d.Pos)
	}
	q, err := json.Marshal(d.Replacement)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(src)+len(q))
	out = append(out, src[:off]...)
	out = append(out, q...)
	return append(out, src[end+1:]...), nil
}

// replacePlainScalar is ApplyReplacement for a YAML plain scalar (a
// registries.d key such as lookasid): the token runs to the ':' of a key
// or the end of the value. A replacement that is not itself plain-safe is
// quoted.
func replacePlainScalar(src []byte, off int, d model.Diagnostic) ([]byte, error) {
	end := off
	for end < len(src) && !strings.ContainsRune(": \t\r\n#", rune(src[end])) {
		end++
	}
	if end == off {
		return nil, fmt.Errorf("no token at %s to replace", d.Pos)
	}
	repl := d.Replacement
	if strings.Trim(repl, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/") != "" {
		q, err := json.Marshal(repl)
		if err != nil {
			return nil, err
		}
		repl = string(q)
	}
	out := make([]byte, 0, len(src)+len(repl))
	out = append(out, src[:off]...)
	out = append(out, repl...)
	return append(out, src[end:]...), nil
}

// StripComments is the fix with one right answer for every comment and
// trailing comma of a policy: the runtime's encoding/json accepts neither.
// Comments become spaces and newlines (hujson's Standardize), so every
// other byte keeps its line and column; trailing commas go. Text that is
// not hujson (a syntax error) is returned with the error.
func StripComments(src []byte) ([]byte, error) {
	v, err := hujson.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("fix the syntax error first: %w", err)
	}
	v.Standardize()
	return v.Pack(), nil
}

// ApplyFix applies one quick fix (see model.QuickFix) to the text its
// diagnostic was found in. The edits must lie inside src and not overlap;
// they are applied together, so that a fix of several edits (keep
// keyPaths: remove keyPath and keyData) is one step.
func ApplyFix(src []byte, fix model.QuickFix) ([]byte, error) {
	if len(fix.Edits) == 0 {
		return nil, fmt.Errorf("the quick fix %q changes nothing", fix.Title)
	}
	edits := slices.Clone(fix.Edits)
	slices.SortFunc(edits, func(a, b model.TextEdit) int { return cmp.Compare(a.Start, b.Start) })
	out := make([]byte, 0, len(src)+64)
	at := 0
	for _, e := range edits {
		if e.Start < at || e.End < e.Start || e.End > len(src) {
			return nil, fmt.Errorf("the quick fix %q does not fit this text (it changed since it was checked)", fix.Title)
		}
		out = append(out, src[at:e.Start]...)
		out = append(out, e.New...)
		at = e.End
	}
	return append(out, src[at:]...), nil
}

// ApplyDiagnosticFix applies d's quick fix number i (Fixes) to src, or its
// Replacement when it has no edits.
func ApplyDiagnosticFix(src []byte, d model.Diagnostic, i int) ([]byte, error) {
	if len(d.Fixes) == 0 {
		return ApplyReplacement(src, d)
	}
	if i < 0 || i >= len(d.Fixes) {
		return nil, fmt.Errorf("no quick fix number %d for this problem", i+1)
	}
	return ApplyFix(src, d.Fixes[i])
}

// stringTokenEnd returns the offset just past the JSON string starting at
// off, or -1.
func stringTokenEnd(src []byte, off int) int {
	if off < 0 || off >= len(src) || src[off] != '"' {
		return -1
	}
	for i := off + 1; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		case '\n':
			return -1
		}
	}
	return -1
}

// replacementFix is the quick fix of a diagnostic's Replacement: the
// string token at off (a key or a value) becomes repl. A renamed key
// changes two nodes, the old key and the new one; a value, its own.
func replacementFix(src []byte, off int, path, repl string) []model.QuickFix {
	end := stringTokenEnd(src, off)
	if end < 0 {
		return nil
	}
	q, err := json.Marshal(repl)
	if err != nil {
		return nil
	}
	nodes := []string{path}
	isKey := false
	for i := end; i < len(src); i++ {
		if c := src[i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			isKey = c == ':'
			break
		}
	}
	if isKey {
		old := litString(hujson.Literal(src[off:end]))
		nodes = append(nodes, joinPath(parentPath(path, old), repl))
	}
	title := fmt.Sprintf("write %s", q)
	if isKey {
		title = fmt.Sprintf("rename the key to %s", q)
	}
	return []model.QuickFix{{Title: title, Edits: []model.TextEdit{{Start: off, End: end, New: string(q)}}, Nodes: nodes}}
}

// parentPath is path without its last key name (see joinPath).
func parentPath(path, name string) string {
	for _, suffix := range []string{"." + name, strings.TrimPrefix(joinPath("x", name), "x")} {
		if p, ok := strings.CutSuffix(path, suffix); ok && p != path {
			return p
		}
	}
	if path == name {
		return ""
	}
	return path
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

func lineStart(src []byte, off int) int { return bytes.LastIndexByte(src[:off], '\n') + 1 }

func lineEnd(src []byte, off int) int {
	if i := bytes.IndexByte(src[off:], '\n'); i >= 0 {
		return off + i
	}
	return len(src)
}

// removeSpan is the edit that deletes [start, end) from src, and with it
// the line it leaves blank: a removed comment or member should not leave
// an empty line behind. Nothing outside the span but blanks goes.
func removeSpan(src []byte, start, end int) model.TextEdit {
	ls, le := lineStart(src, start), lineEnd(src, end)
	if isBlank(src[ls:start]) && isBlank(src[end:le]) {
		if le < len(src) {
			le++ // the newline
		} else if ls > 0 {
			ls-- // last line: take the newline before it
		}
		return model.TextEdit{Start: ls, End: le}
	}
	if isBlank(src[end:le]) {
		// Trailing: take the blanks before it on its line too.
		for start > ls && (src[start-1] == ' ' || src[start-1] == '\t') {
			start--
		}
		end = le
	}
	return model.TextEdit{Start: start, End: end}
}

// commaAfter is the offset of the comma that follows a value, or -1.
func commaAfter(src []byte, v *hujson.Value) int {
	off := v.EndOffset + len(v.AfterExtra)
	if off < len(src) && src[off] == ',' {
		return off
	}
	return -1
}

// removeMembersEdits deletes the members of obj whose indexes are in del,
// with their commas, keeping every other byte (comments included): what
// is left is the same object without them.
func removeMembersEdits(src []byte, obj *hujson.Object, del []int) []model.TextEdit {
	n := len(obj.Members)
	gone := make([]bool, n)
	for _, i := range del {
		if i >= 0 && i < n {
			gone[i] = true
		}
	}
	lastKept := -1
	for i := range n {
		if !gone[i] {
			lastKept = i
		}
	}
	var edits []model.TextEdit
	for i := 0; i < n; i++ {
		if !gone[i] {
			continue
		}
		m := &obj.Members[i]
		if i > lastKept {
			// This member and every one after it go: so does the comma
			// after the last kept member (a trailing comma would be an
			// error), unless the object keeps a trailing comma already.
			last := &obj.Members[n-1].Value
			end := last.EndOffset
			if c := commaAfter(src, last); c >= 0 {
				end = c + 1
			}
			if lastKept < 0 {
				edits = append(edits, removeSpan(src, m.Name.StartOffset, end))
			} else {
				kept := &obj.Members[lastKept].Value
				start := commaAfter(src, kept)
				if start < 0 {
					start = kept.EndOffset
				}
				if c := commaAfter(src, last); c >= 0 {
					// Keep the object's trailing comma as it was: only the
					// members go.
					edits = append(edits, removeSpan(src, m.Name.StartOffset, end))
				} else {
					edits = append(edits, model.TextEdit{Start: start, End: end})
				}
			}
			break
		}
		c := commaAfter(src, &m.Value)
		if c < 0 {
			continue // hujson always has a comma between members
		}
		e := removeSpan(src, m.Name.StartOffset, c+1)
		if e.Start == m.Name.StartOffset {
			// Sharing its line: take the blanks after the comma too.
			for e.End < len(src) && (src[e.End] == ' ' || src[e.End] == '\t') {
				e.End++
			}
		}
		edits = append(edits, e)
	}
	return edits
}
