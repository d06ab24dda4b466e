package policyio

import (
	"unicode/utf8"

	"github.com/kios/imgtrust/model"
	"github.com/tailscale/hujson"
)

// The lazy path decodes a policy without building hujson's tree of the
// whole file: a skimmer walks the outer levels (the root object,
// "transports", each transport's scope map) over the bytes, and each
// value below them (a scope's requirement list, "default") is parsed by
// hujson alone, decoded and dropped. At 10,000 scopes the whole tree is
// 15 MB alive next to the model being built; one scope's tree is a few
// hundred bytes (issue 15: lint's peak memory).
//
// The skimmer only accepts plain JSON at the outer levels: a comment, a
// trailing comma, an escape in a key, a duplicate key or a value of the
// wrong kind there, or a syntax error anywhere, sends the whole file to
// the full path (hujson.Parse of everything), which reports them as it
// always has. TestLazyParseMatchesFull and FuzzLazyParseMatchesFull hold
// the two paths to the same policy and diagnostics.

// skimFallback is panicked by the lazy path when the file needs the full
// one; parsePolicy recovers it and starts over.
type skimFallback struct{}

// skimmer reads the outer levels of a JSON document.
type skimmer struct {
	src []byte
	i   int
}

func (s *skimmer) ws() {
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek reports whether the next byte after white space is c.
func (s *skimmer) peek(c byte) bool {
	s.ws()
	return s.i < len(s.src) && s.src[s.i] == c
}

// key reads a member name written without escapes.
func (s *skimmer) key() (name string, off int) {
	if !s.peek('"') {
		panic(skimFallback{})
	}
	off = s.i
	j := s.i + 1
	for ; j < len(s.src) && s.src[j] != '"'; j++ {
		if c := s.src[j]; c == '\\' || c < 0x20 {
			panic(skimFallback{})
		}
	}
	if j >= len(s.src) || !utf8.Valid(s.src[s.i+1:j]) {
		panic(skimFallback{})
	}
	s.i = j + 1
	return string(s.src[off+1 : j]), off
}

// object walks an object's members; each is called with the reader at the
// member's value and must move past it.
func (s *skimmer) object(each func(name string, off int)) {
	if !s.peek('{') {
		panic(skimFallback{})
	}
	s.i++
	if s.peek('}') {
		s.i++
		return
	}
	for {
		name, off := s.key()
		if !s.peek(':') {
			panic(skimFallback{})
		}
		s.i++
		s.ws()
		each(name, off)
		s.ws()
		if s.i >= len(s.src) {
			panic(skimFallback{})
		}
		switch s.src[s.i] {
		case ',': // a trailing comma fails in key: the full path reports it
			s.i++
		case '}':
			s.i++
			return
		default:
			panic(skimFallback{})
		}
	}
}

// value moves past one value and returns where it lies. It only finds the
// end (strings, comments and brackets); hujson.Parse of the span checks it.
func (s *skimmer) value() (start, end int) {
	start = s.i
	if s.i >= len(s.src) {
		panic(skimFallback{})
	}
	switch s.src[s.i] {
	case '"':
		s.skipString()
		return start, s.i
	case '{', '[':
		depth := 0
		for s.i < len(s.src) {
			if c := s.src[s.i]; !jsonStructural[c] {
				s.i++
				continue
			}
			switch s.src[s.i] {
			case '"':
				s.skipString()
				continue
			case '/':
				s.skipComment()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return start, s.i
				}
			}
			s.i++
		}
		panic(skimFallback{})
	}
	for s.i < len(s.src) {
		switch s.src[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', '/':
			if s.i == start {
				panic(skimFallback{})
			}
			return start, s.i
		}
		s.i++
	}
	return start, s.i
}

// skipString moves past the string literal the reader is at.
func (s *skimmer) skipString() {
	end := stringEnd(s.src, s.i)
	if end < 0 {
		panic(skimFallback{})
	}
	s.i = end + 1
}

// skipComment moves past the comment the reader is at (hujson's // and
// /* */, which the lazy path leaves to hujson inside a value).
func (s *skimmer) skipComment() {
	if s.i+1 >= len(s.src) {
		panic(skimFallback{})
	}
	switch s.src[s.i+1] {
	case '/':
		for s.i < len(s.src) && s.src[s.i] != '\n' {
			s.i++
		}
	case '*':
		for s.i += 2; s.i+1 < len(s.src); s.i++ {
			if s.src[s.i] == '*' && s.src[s.i+1] == '/' {
				s.i += 2
				return
			}
		}
		panic(skimFallback{})
	default:
		panic(skimFallback{})
	}
}

// lazyPolicy is the lazy path. It returns false when the file needs the
// full path, with the decoder as it was.
func (d *jsonDecoder) lazyPolicy() (pol *model.Policy, ok bool) {
	before := *d
	n0 := len(d.diags)
	defer func() {
		if r := recover(); r != nil {
			if _, fell := r.(skimFallback); !fell {
				panic(r)
			}
			*d = before
			pol, ok = nil, false
		}
	}()
	s := &skimmer{src: d.src}
	s.ws()
	rootOff := s.i
	var root []member
	s.object(func(name string, off int) {
		for _, m := range root {
			if m.name == name {
				panic(skimFallback{})
			}
		}
		m := member{name: name, nameOff: off}
		m.start, m.end = s.value()
		root = append(root, m)
	})
	if s.ws(); s.i != len(s.src) {
		panic(skimFallback{})
	}
	pol = d.policyMembers(root, rootOff)
	d.mergeExtras(n0)
	d.tookLazy = true
	return pol, true
}

// lazyValue parses a value the skimmer located: its offsets are made the
// file's, and its comments and trailing commas go to the extras, as the
// full path's checkExtras of the whole tree would have found them.
func (d *jsonDecoder) lazyValue(start, end int) *hujson.Value {
	v, err := hujson.Parse(d.src[start:end])
	if err != nil {
		panic(skimFallback{})
	}
	shiftOffsets(&v, start)
	d.inExtras = true
	d.checkExtras(&v)
	d.inExtras = false
	return &v
}

func shiftOffsets(v *hujson.Value, by int) {
	v.StartOffset += by
	v.EndOffset += by
	switch c := v.Value.(type) {
	case *hujson.Object:
		for i := range c.Members {
			shiftOffsets(&c.Members[i].Name, by)
			shiftOffsets(&c.Members[i].Value, by)
		}
	case *hujson.Array:
		for i := range c.Elements {
			shiftOffsets(&c.Elements[i], by)
		}
	}
}

// lazyTransports decodes the "transports" object straight from the bytes,
// one scope at a time.
func (d *jsonDecoder) lazyTransports(start int) []*model.Transport {
	s := &skimmer{src: d.src, i: start}
	var out []*model.Transport
	s.object(func(name string, off int) {
		for _, t := range out {
			if t.Name == name {
				panic(skimFallback{})
			}
		}
		if !s.peek('{') {
			panic(skimFallback{})
		}
		t, known, path := d.transport(name, off)
		seen := map[string]struct{}{}
		s.object(func(scope string, off int) {
			if _, dup := seen[scope]; dup {
				panic(skimFallback{})
			}
			seen[scope] = struct{}{}
			vs, ve := s.value()
			d.scope(t, known, path, member{name: scope, nameOff: off, start: vs, end: ve})
		})
		out = append(out, t)
	})
	return out
}

// mergeExtras puts the comments and trailing commas after the n0
// problems found before decoding (a byte-order mark) and before the rest,
// and keeps the MaxDiagnostics cap where the full path has it: it reports
// the extras of the whole tree before decoding anything.
func (d *jsonDecoder) mergeExtras(n0 int) {
	var out model.Diagnostics // nil when there is nothing, as on the full path
	omitted, worst := 0, model.Severity(0)
	extrasFrom, extrasTo := 0, 0
	for i, part := range []model.Diagnostics{d.diags[:n0], d.extras, d.diags[n0:]} {
		if i == 1 {
			extrasFrom = len(out)
		}
		for _, x := range part {
			if len(out) < MaxDiagnostics {
				out = append(out, x)
			} else {
				omitted++
				worst = max(worst, x.Severity)
			}
		}
		if i == 1 {
			extrasTo = len(out)
		}
	}
	// The fix that removes every comment and trailing comma is over the
	// whole file's, as the full path's checkExtras of the whole tree
	// offers it: lazyValue's checkExtras of one value sees only its own.
	d.addRemoveAllExtras(out[extrasFrom:extrasTo])
	for _, o := range []struct {
		n int
		w model.Severity
	}{{d.extrasOmitted, d.extrasWorst}, {d.omitted, d.omittedWorst}} {
		if o.n > 0 {
			omitted += o.n
			worst = max(worst, o.w)
		}
	}
	d.diags, d.omitted, d.omittedWorst = out, omitted, worst
	d.extras, d.extrasOmitted, d.extrasWorst = nil, 0, 0
}
