package policyio

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/kios/imgtrust/model"
)

// RenderCache is MarshalPolicy for a policy edited a scope at a time:
// indenting is most of rendering, and each edit changes a scope or two
// of thousands (issue 15). The indented text of each scope's list is
// kept, by the list's compact JSON, for the next call; a list no longer
// in the policy is forgotten. Apart from the time, Marshal is
// MarshalPolicy (TestRenderCacheMatchesMarshalPolicy,
// FuzzRenderCacheMatchesMarshalPolicy). The zero value is ready to use;
// not safe for concurrent use.
type RenderCache struct {
	lists map[string][]byte
	// last is the previous rendering's length, for the next's buffer.
	last int
}

// scopeIndent is the prefix of a scope's lines: root object, transports,
// transport.
const scopeIndent = "      "

// Marshal renders p as MarshalPolicy does.
func (c *RenderCache) Marshal(p *model.Policy) ([]byte, error) {
	def, err := indentList(p.Default, "  ")
	if err != nil {
		return nil, err
	}
	next := make(map[string][]byte, len(c.lists))
	var out bytes.Buffer
	out.Grow(c.last + c.last/8 + 256)
	out.WriteString("{\n  \"default\": ")
	out.Write(def)
	if len(p.Transports) > 0 {
		out.WriteString(",\n  \"transports\": {")
		var compact []byte
		for i, t := range p.Transports {
			if i > 0 {
				out.WriteByte(',')
			}
			out.WriteString("\n    ")
			if err := writeKey(&out, t.Name); err != nil {
				return nil, err
			}
			if len(t.Scopes) == 0 {
				out.WriteString("{}")
				continue
			}
			out.WriteByte('{')
			for j, s := range t.Scopes {
				if j > 0 {
					out.WriteByte(',')
				}
				out.WriteString("\n" + scopeIndent)
				if err := writeKey(&out, s.Name); err != nil {
					return nil, err
				}
				if compact, err = appendJSON(compact[:0], requirementsJSON(s.Requirements)); err != nil {
					return nil, fmt.Errorf("encoding policy: %s: %w", s.Name, err)
				}
				text, ok := next[string(compact)]
				if !ok {
					if text, ok = c.lists[string(compact)]; !ok {
						var b bytes.Buffer
						if err := json.Indent(&b, compact, scopeIndent, "  "); err != nil {
							return nil, fmt.Errorf("indenting policy: %w", err)
						}
						text = b.Bytes()
					}
					next[string(compact)] = text
				}
				out.Write(text)
			}
			out.WriteString("\n    }")
		}
		out.WriteString("\n  }")
	}
	out.WriteString("\n}\n")
	c.lists = next
	c.last = out.Len()
	return out.Bytes(), nil
}

// indentList is a requirement list as MarshalPolicy indents it at prefix.
func indentList(rs model.Requirements, prefix string) ([]byte, error) {
	raw, err := appendJSON(nil, requirementsJSON(rs))
	if err != nil {
		return nil, fmt.Errorf("encoding policy: %w", err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, prefix, "  "); err != nil {
		return nil, fmt.Errorf("indenting policy: %w", err)
	}
	return b.Bytes(), nil
}

// writeKey writes an object key and its separator as json.Indent does.
func writeKey(out *bytes.Buffer, k string) error {
	q, err := appendString(nil, k)
	if err != nil {
		return fmt.Errorf("encoding policy: %w", err)
	}
	out.Write(q)
	out.WriteString(": ")
	return nil
}
