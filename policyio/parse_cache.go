package policyio

import (
	"bytes"

	"github.com/kios/imgtrust/model"
)

// ParseCache re-validates only what changed between two texts of a
// policy: each scope whose own bytes (its member, name through value) are
// the same as in the previous text parsed through the cache takes its
// requirements and diagnostics from that parse, moved by the lines it
// moved and, on its first line, by the columns, instead of being decoded
// again. A staged edit of a 10,000-scope policy patches the text and
// parses it to show its problems at their staged positions; most of its
// scopes did not change, even on a file that is one line (issue 15).
//
// Parse gives what ParsePolicy gives for the same text
// (TestParseCacheMatchesParsePolicy, FuzzParseCacheMatchesParsePolicy).
// The cache holds the previous text; a policy it returns must not be
// changed (the workspace only reads it): an unchanged scope at the same
// place is the same *model.Scope in both. The zero value is ready to use;
// it is not safe for concurrent use.
type ParseCache struct {
	file   string
	data   []byte
	scopes map[scopeKey]cachedScope
	// hits counts the scopes taken from the cache (tests).
	hits int
}

type scopeKey struct{ transport, scope string }

// cachedScope is one scope of the previous text: its member
// data[start:end], whose name starts at line, col, and what decoding it
// gave.
type cachedScope struct {
	start, end, line, col int
	scope                 *model.Scope
	diags                 model.Diagnostics
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

// shift moves positions of a scope found at line, col to where it now
// is: every line by dLine, and the first line's columns by dCol (the
// later lines start inside the member, whose bytes are the same).
type shift struct{ line, dLine, dCol int }

func (s shift) none() bool { return s.dLine == 0 && s.dCol == 0 }

func (s shift) pos(p model.Pos) model.Pos {
	if p.Line <= 0 {
		return p
	}
	if p.Line == s.line {
		p.Col += s.dCol
	}
	p.Line += s.dLine
	return p
}

// cachedScope decodes a scope from the cache when its bytes are
// unchanged; false: decode it (then remember it with remember).
func (d *jsonDecoder) cachedScope(t *model.Transport, sm member) bool {
	prev, found := d.cache.scopes[scopeKey{t.Name, sm.name}]
	if !found || prev.end-prev.start != sm.end-sm.nameOff || !bytes.Equal(d.cache.data[prev.start:prev.end], d.src[sm.nameOff:sm.end]) {
		return false
	}
	at := d.pos(sm.nameOff)
	sh := shift{line: prev.line, dLine: at.Line - prev.line, dCol: at.Col - prev.col}
	if prev.hasFixes && (!sh.none() || sm.nameOff != prev.start) {
		// Quick fixes are byte edits of the text and name lines in their
		// titles: they hold only where they were found.
		return false
	}
	s := prev.scope // where it was: shared, as returned policies are read-only
	if !sh.none() {
		s = shiftScope(prev.scope, sh)
	}
	diags := prev.diags
	if len(diags) > 0 {
		// A snippet shows the line around the problem, and bytes of that
		// line outside the member may have changed: each is cut again
		// from this text.
		diags = make(model.Diagnostics, len(prev.diags))
		for i, x := range prev.diags {
			x = shiftDiag(x, sh)
			if x.Snippet != "" {
				x.Snippet = d.snippet(offsetOfPos(d, x.Pos))
			}
			diags[i] = x
			d.add(x)
		}
	}
	t.Scopes = append(t.Scopes, s)
	d.hits++
	d.remember(t, sm, cachedScope{start: sm.nameOff, end: sm.end, line: at.Line, col: at.Col, scope: s, diags: diags, hasFixes: prev.hasFixes})
	return true
}

// remember records a decoded scope for the next parse.
func (d *jsonDecoder) remember(t *model.Transport, sm member, cs cachedScope) {
	if d.nextScopes == nil {
		// As many as the last parse had: a map grown scope by scope
		// rehashes 10,000 keys a few times on each edit.
		d.nextScopes = make(map[scopeKey]cachedScope, len(d.cache.scopes))
	}
	for _, x := range cs.diags {
		cs.hasFixes = cs.hasFixes || len(x.Fixes) > 0
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

func shiftDiag(x model.Diagnostic, sh shift) model.Diagnostic {
	x.Pos = sh.pos(x.Pos)
	if x.Related != nil && x.Related.Line > 0 {
		r := sh.pos(*x.Related)
		x.Related = &r
	}
	return x
}

// shiftScope copies a scope (the previous policy keeps its own) with its
// positions moved.
func shiftScope(s *model.Scope, sh shift) *model.Scope {
	out := &model.Scope{Name: s.Name, Pos: sh.pos(s.Pos)}
	if s.Requirements != nil {
		out.Requirements = make(model.Requirements, len(s.Requirements))
	}
	for i, r := range s.Requirements {
		c := r.Clone()
		c.Pos = sh.pos(c.Pos)
		for j, f := range c.FieldPos {
			p := sh.pos(model.Pos{Line: int(f.Line), Col: int(f.Col)})
			c.FieldPos[j].Line, c.FieldPos[j].Col = int32(p.Line), int32(p.Col)
		}
		if c.SignedIdentity != nil {
			c.SignedIdentity.Pos = sh.pos(c.SignedIdentity.Pos)
		}
		if c.BaseLayerIdentity != nil {
			c.BaseLayerIdentity.Pos = sh.pos(c.BaseLayerIdentity.Pos)
		}
		out.Requirements[i] = c
	}
	return out
}
