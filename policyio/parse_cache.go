package policyio

import (
	"bytes"

	"github.com/kios/imgtrust/model"
)

// ParseCache re-validates only what changed between two texts of a
// policy: each scope whose lines are the same as in the previous text
// parsed through the cache takes its requirements and diagnostics from
// that parse, moved by the lines it moved, instead of being decoded
// again. A staged edit of a 10,000-scope policy renders the whole policy
// and parses it to show its problems at their staged positions; most of
// its scopes did not change (issue 15).
//
// Parse gives what ParsePolicy gives for the same text
// (TestParseCacheMatchesParsePolicy, FuzzParseCacheMatchesParsePolicy).
// The cache holds the previous text; a policy it returns must not be
// changed (the workspace only reads it): an unchanged scope on the same
// lines is the same *model.Scope in both. The zero value is ready to use;
// it is not safe for concurrent use.
type ParseCache struct {
	file   string
	data   []byte
	scopes map[scopeKey]cachedScope
	// hits counts the scopes taken from the cache (tests).
	hits int
}

type scopeKey struct{ transport, scope string }

// cachedScope is one scope of the previous text: its lines
// data[start:end], which start on line line, and what decoding them gave.
type cachedScope struct {
	start, end, line int
	scope            *model.Scope
	diags            model.Diagnostics
	// hasFixes: a diagnostic has quick fixes (see cachedScope).
	hasFixes bool
}

// Parse is ParsePolicy with the scopes that did not change taken from the
// previous parse.
func (c *ParseCache) Parse(file string, data []byte) (*model.Policy, model.Diagnostics) {
	d := &jsonDecoder{file: file, src: data, cache: c}
	if c.file != file {
		c.scopes = nil // positions name the file: nothing carries over
	}
	pol, diags := parsePolicy(d)
	c.file, c.data, c.scopes = file, data, d.nextScopes
	if d.tookLazy {
		c.hits += d.hits
	}
	return pol, diags
}

// cachedScope decodes a scope from the cache when its lines are unchanged;
// false: decode it (then remember it with rememberScope).
func (d *jsonDecoder) cachedScope(t *model.Transport, sm member) (lineStart, lineEnd int, ok bool) {
	lineStart = bytes.LastIndexByte(d.src[:sm.nameOff], '\n') + 1
	lineEnd = len(d.src)
	if i := bytes.IndexByte(d.src[sm.end:], '\n'); i >= 0 {
		lineEnd = sm.end + i + 1
	}
	prev, found := d.cache.scopes[scopeKey{t.Name, sm.name}]
	if !found || !bytes.Equal(d.cache.data[prev.start:prev.end], d.src[lineStart:lineEnd]) {
		return lineStart, lineEnd, false
	}
	line := d.pos(lineStart).Line
	delta := line - prev.line
	if prev.hasFixes && (delta != 0 || lineStart != prev.start) {
		// Quick fixes are byte edits of the text and name lines in their
		// titles: they hold only where they were found.
		return lineStart, lineEnd, false
	}
	s := prev.scope // where it was: shared, as returned policies are read-only
	if delta != 0 {
		s = shiftScope(prev.scope, delta)
	}
	for _, x := range prev.diags {
		d.add(shiftDiag(x, delta))
	}
	t.Scopes = append(t.Scopes, s)
	d.hits++
	d.remember(t, sm, cachedScope{start: lineStart, end: lineEnd, line: line, scope: s, diags: prev.diags, hasFixes: prev.hasFixes}, delta)
	return lineStart, lineEnd, true
}

// remember records a decoded scope for the next parse; delta moves its
// diagnostics (kept as first decoded) to where the scope now is.
func (d *jsonDecoder) remember(t *model.Transport, sm member, cs cachedScope, delta int) {
	if d.nextScopes == nil {
		d.nextScopes = map[scopeKey]cachedScope{}
	}
	for _, x := range cs.diags {
		cs.hasFixes = cs.hasFixes || len(x.Fixes) > 0
	}
	if delta != 0 {
		moved := make(model.Diagnostics, len(cs.diags))
		for i, x := range cs.diags {
			moved[i] = shiftDiag(x, delta)
		}
		cs.diags = moved
	}
	d.nextScopes[scopeKey{t.Name, sm.name}] = cs
}

// add appends a finished diagnostic under the MaxDiagnostics cap, as
// report does.
func (d *jsonDecoder) add(x model.Diagnostic) {
	if len(d.diags) >= MaxDiagnostics {
		d.omitted++
		d.omittedWorst = max(d.omittedWorst, x.Severity)
		return
	}
	d.diags = append(d.diags, x)
}

func shiftDiag(x model.Diagnostic, delta int) model.Diagnostic {
	if x.Pos.Line > 0 {
		x.Pos.Line += delta
	}
	if x.Related != nil && x.Related.Line > 0 {
		r := *x.Related
		r.Line += delta
		x.Related = &r
	}
	return x
}

// shiftScope copies a scope (the previous policy keeps its own) with its
// positions moved by delta lines.
func shiftScope(s *model.Scope, delta int) *model.Scope {
	out := &model.Scope{Name: s.Name, Pos: shiftPos(s.Pos, delta)}
	if s.Requirements != nil {
		out.Requirements = make(model.Requirements, len(s.Requirements))
	}
	for i, r := range s.Requirements {
		c := r.Clone()
		c.Pos = shiftPos(c.Pos, delta)
		for j := range c.FieldPos {
			c.FieldPos[j].Line += int32(delta)
		}
		if c.SignedIdentity != nil {
			c.SignedIdentity.Pos = shiftPos(c.SignedIdentity.Pos, delta)
		}
		if c.BaseLayerIdentity != nil {
			c.BaseLayerIdentity.Pos = shiftPos(c.BaseLayerIdentity.Pos, delta)
		}
		out.Requirements[i] = c
	}
	return out
}

func shiftPos(p model.Pos, delta int) model.Pos {
	if p.Line > 0 {
		p.Line += delta
	}
	return p
}
