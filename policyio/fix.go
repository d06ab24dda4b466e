package policyio

import (
	"encoding/json"
	"fmt"

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
	if off < 0 || off >= len(src) || src[off] != '"' {
		return nil, fmt.Errorf("no string at %s to replace", d.Pos)
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
