package policyio

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/kios/imgtrust/model"
)

// PatchPolicy writes the policy to as an edit of prev, a text of the
// policy from (from is what prev parses to): only what differs between
// the two is rewritten — a scope's requirement list or "default", a scope
// or transport added, removed or moved — and every other byte of prev
// (the untouched scopes, their layout, the order of the root's keys)
// stays as it was. A file written by hand or by another tool then shows
// an edit of one scope as the lines of that scope, not as a re-indented
// file; a file in MarshalPolicy's layout gives MarshalPolicy's text
// (TestPatchPolicyCanonicalIsMarshalPolicy).
//
// New text takes the layout of its neighbours as far as it can be
// inferred: their separators, indentation and key separator, on one line
// when they are. ok is false when prev cannot be patched safely (it is not
// plain JSON at the outer levels, a key appears twice, from does not match
// it); the caller then renders the policy (MarshalPolicy). The caller must
// also parse the result and check that it gives to (SamePolicy): the patch
// trusts from to describe prev.
func PatchPolicy(prev []byte, from, to *model.Policy) (out []byte, ok bool) {
	if from == nil || to == nil {
		return nil, false
	}
	root, ok := skimSpans(prev)
	if !ok {
		return nil, false
	}
	p := &patcher{src: prev, nl: "\n"}
	if i := bytes.IndexByte(prev, '\n'); i > 0 && prev[i-1] == '\r' {
		p.nl = "\r\n" // as the first line ends
	}
	p.unit = indentUnit(prev)
	p.kv = ": "
	if len(root.members) > 0 {
		m := root.members[0]
		p.kv = string(prev[m.nameOff+len(m.name)+2 : m.valStart])
	}
	p.sample = p.firstSample(root)
	p.comma = p.firstComma(root)
	defer func() {
		if r := recover(); r != nil {
			if _, fell := r.(skimFallback); !fell {
				panic(r)
			}
			out, ok = nil, false
		}
	}()
	var b bytes.Buffer
	b.Grow(len(prev) + len(prev)/16 + 256)
	b.Write(prev[:root.open])
	p.root(&b, root, from, to)
	b.Write(prev[root.close+1:])
	return b.Bytes(), true
}

// objSpan is where an object and its members are in a text.
type objSpan struct {
	open, close int // the offsets of { and }
	members     []memSpan
}

// memSpan is one member: its name (written without escapes) at nameOff,
// its value at [valStart, valEnd); obj holds the value's members for the
// levels the patch descends into ("transports" and each transport).
type memSpan struct {
	name                      string
	nameOff, valStart, valEnd int
	obj                       *objSpan
}

// skimSpans locates the outer levels of a policy text with the lazy
// path's skimmer: false for anything it would send to the full path.
func skimSpans(src []byte) (root *objSpan, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, fell := r.(skimFallback); !fell {
				panic(r)
			}
			root, ok = nil, false
		}
	}()
	s := &skimmer{src: src}
	root = s.spans(0)
	if s.ws(); s.i != len(src) {
		return nil, false
	}
	return root, true
}

// spans reads an object at level 0 (the root), 1 (transports) or 2 (a
// transport's scopes).
func (s *skimmer) spans(level int) *objSpan {
	if !s.peek('{') {
		panic(skimFallback{})
	}
	o := &objSpan{open: s.i}
	var seen map[string]struct{}
	s.object(func(name string, off int) {
		if level < 2 {
			// Few names here; a scope's duplicate the caller finds by
			// matching the scopes of from one by one.
			if seen == nil {
				seen = map[string]struct{}{}
			}
			if _, dup := seen[name]; dup {
				panic(skimFallback{})
			}
			seen[name] = struct{}{}
		}
		m := memSpan{name: name, nameOff: off, valStart: s.i}
		switch {
		case level == 1 || (level == 0 && name == "transports"):
			m.obj = s.spans(level + 1)
			m.valEnd = s.i
		default:
			_, m.valEnd = s.value()
		}
		o.members = append(o.members, m)
	})
	o.close = s.i - 1
	return o
}

// indentUnit is the file's indentation step: the white space that starts
// its first indented line ("" when it is one line).
func indentUnit(src []byte) string {
	for i := bytes.IndexByte(src, '\n'); i >= 0 && i+1 < len(src); {
		j := i + 1
		for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
			j++
		}
		if j > i+1 && j < len(src) && src[j] != '\n' && src[j] != '\r' {
			return string(src[i+1 : j])
		}
		k := bytes.IndexByte(src[j:], '\n')
		if k < 0 {
			break
		}
		i = j + k
	}
	if bytes.IndexByte(bytes.TrimRight(src, " \t\r\n"), '\n') < 0 {
		return ""
	}
	return "  "
}

type patcher struct {
	src []byte
	// nl is the file's line end; unit its indentation step ("" for a
	// file on one line); kv the root's first separator of a key and its
	// value; sample a requirement list of the file, for the layout of
	// lists written where none is near.
	nl, unit, kv string
	sample       []byte
	// comma is what separates two members on one line.
	comma string
	// lineStarts are the offsets of the lines of src, built on first use.
	lineStarts []int
}

// firstComma is the first separator of two members on one line in the
// file, or ",".
func (p *patcher) firstComma(root *objSpan) string {
	found := ","
	var walk func(o *objSpan) bool
	walk = func(o *objSpan) bool {
		for i, m := range o.members {
			if i > 0 {
				if sep := p.src[o.members[i-1].valEnd:m.nameOff]; bytes.IndexByte(sep, '\n') < 0 {
					found = string(sep)
					return true
				}
			}
			if m.obj != nil && walk(m.obj) {
				return true
			}
		}
		return false
	}
	walk(root)
	return found
}

// firstSample is the first requirement list of the file with something
// in it ("[]" says nothing of a layout).
func (p *patcher) firstSample(root *objSpan) []byte {
	var found []byte
	var walk func(o *objSpan)
	walk = func(o *objSpan) {
		for _, m := range o.members {
			if found != nil {
				return
			}
			if m.obj != nil {
				walk(m.obj)
			} else if v := p.src[m.valStart:m.valEnd]; isSample(v) {
				found = v
			}
		}
	}
	walk(root)
	return found
}

func isSample(v []byte) bool { return len(v) > 2 && v[0] == '[' }

// item is one member of an object as the patch writes it: old is its
// index among the object's members in the text (-1: new); value is its
// new value, nil to keep the text's.
type item struct {
	old   int
	name  string
	value []byte
	// nested writes the value in place of value (an object the patch
	// descends into: written straight into the output, not copied).
	nested func(b *bytes.Buffer)
}

func (p *patcher) root(b *bytes.Buffer, o *objSpan, from, to *model.Policy) {
	var items []item
	haveDefault := false
	for i, m := range o.members {
		switch m.name {
		case "default":
			haveDefault = true
			it := item{old: i, name: m.name}
			if !SameRequirements(from.Default, to.Default) {
				it.value = p.list(to.Default, p.lineIndent(m.nameOff), p.src[m.valStart:m.valEnd])
			}
			items = append(items, it)
		case "transports":
			if len(to.Transports) == 0 && len(from.Transports) > 0 {
				continue // MarshalPolicy writes no "transports" then
			}
			items = append(items, item{old: i, name: m.name, nested: func(b *bytes.Buffer) { p.transports(b, m, from.Transports, to.Transports) }})
		default:
			// A key the model does not hold: the text cannot say the
			// same as the model.
			panic(skimFallback{})
		}
	}
	if !haveDefault {
		panic(skimFallback{})
	}
	if len(from.Transports) == 0 && len(to.Transports) > 0 && !hasMember(o, "transports") {
		indent := p.memberIndent(o, len(o.members))
		items = append(items, item{old: -1, name: "transports", value: p.newTransports(to.Transports, indent)})
	}
	p.object(b, o, items, p.lineIndent(o.open))
}

func hasMember(o *objSpan, name string) bool {
	for _, m := range o.members {
		if m.name == name {
			return true
		}
	}
	return false
}

// transports writes the value of the "transports" member m.
func (p *patcher) transports(b *bytes.Buffer, m memSpan, from, to []*model.Transport) {
	o := m.obj
	if len(o.members) != len(from) {
		panic(skimFallback{})
	}
	for i, t := range from {
		if t.Name != o.members[i].name {
			panic(skimFallback{})
		}
	}
	indent := p.lineIndent(o.open)
	items := make([]item, 0, len(to))
	for _, t := range to {
		i := transportIndex(from, t.Name)
		if i < 0 {
			items = append(items, item{old: -1, name: t.Name, value: p.newScopes(t.Scopes, p.memberIndent(o, len(items)))})
			continue
		}
		m, ft := o.members[i], from[i]
		items = append(items, item{old: i, name: t.Name, nested: func(b *bytes.Buffer) { p.scopes(b, m, ft, t) }})
	}
	p.object(b, o, items, indent)
}

func transportIndex(ts []*model.Transport, name string) int {
	for i, t := range ts {
		if t.Name == name {
			return i
		}
	}
	return -1
}

// scopes writes the value of transport member m: from is the transport
// the text holds, to the one to write.
func (p *patcher) scopes(b *bytes.Buffer, m memSpan, from, to *model.Transport) {
	o := m.obj
	if len(o.members) != len(from.Scopes) {
		panic(skimFallback{})
	}
	for i, s := range from.Scopes {
		if s.Name != o.members[i].name {
			panic(skimFallback{})
		}
	}
	// Scopes are matched by name: near where the last one was found (an
	// edit adds, removes or moves one or two), through a map only once
	// the orders part further.
	var byName map[string]int
	off := 0
	index := func(k int, name string) int {
		if byName == nil {
			for _, d := range [...]int{off, off + 1, off - 1, off + 2, off - 2} {
				if i := k + d; i >= 0 && i < len(from.Scopes) && from.Scopes[i].Name == name {
					off = d
					return i
				}
			}
			byName = make(map[string]int, len(from.Scopes))
			for i, s := range from.Scopes {
				if _, dup := byName[s.Name]; dup {
					panic(skimFallback{})
				}
				byName[s.Name] = i
			}
		}
		if i, ok := byName[name]; ok {
			return i
		}
		return -1
	}
	items := make([]item, 0, len(to.Scopes))
	for k, s := range to.Scopes {
		i := index(k, s.Name)
		if i < 0 {
			items = append(items, item{old: -1, name: s.Name})
			continue
		}
		it := item{old: i, name: s.Name}
		if !SameRequirements(from.Scopes[i].Requirements, s.Requirements) {
			mm := o.members[i]
			it.value = p.list(s.Requirements, p.lineIndent(mm.nameOff), p.src[mm.valStart:mm.valEnd])
		}
		items = append(items, it)
	}
	// New scopes take the layout of the list before them, else after.
	for k := range items {
		if items[k].old >= 0 {
			continue
		}
		sample := p.neighbourSample(o, items, k)
		items[k].value = p.list(to.Scopes[k].Requirements, p.memberIndent(o, k), sample)
	}
	p.object(b, o, items, p.lineIndent(o.open))
}

// neighbourSample is the text of the nearest old list to item k with
// something in it, or the file's sample.
func (p *patcher) neighbourSample(o *objSpan, items []item, k int) []byte {
	for d := 1; d < len(items); d++ {
		for _, j := range []int{k - d, k + d} {
			if j >= 0 && j < len(items) && items[j].old >= 0 {
				m := o.members[items[j].old]
				if v := p.src[m.valStart:m.valEnd]; isSample(v) {
					return v
				}
			}
		}
		if d > 8 {
			break
		}
	}
	for _, m := range o.members {
		if v := p.src[m.valStart:m.valEnd]; isSample(v) {
			return v
		}
	}
	return p.sample
}

// object writes an object of the text with the given members: the text
// between two members that were next to each other stays, other members
// are joined as the object's first members are.
func (p *patcher) object(b *bytes.Buffer, o *objSpan, items []item, indent string) {
	ms := o.members
	if len(items) == 0 {
		if len(ms) == 0 {
			b.Write(p.src[o.open : o.close+1])
		} else {
			b.WriteString("{}")
		}
		return
	}
	if len(ms) > 0 {
		b.Write(p.src[o.open:ms[0].nameOff])
	} else {
		b.WriteByte('{')
		b.WriteString(p.emptyLead(indent))
	}
	for k, it := range items {
		if k > 0 {
			b.WriteString(p.sep(o, items[k-1], it, indent))
		}
		if it.old >= 0 {
			m := ms[it.old]
			b.Write(p.src[m.nameOff:m.valStart])
			switch {
			case it.nested != nil:
				it.nested(b)
			case it.value != nil:
				b.Write(it.value)
			default:
				b.Write(p.src[m.valStart:m.valEnd])
			}
			continue
		}
		q, err := appendString(nil, it.name)
		if err != nil {
			panic(skimFallback{})
		}
		b.Write(q)
		b.WriteString(p.memberKV(o))
		b.Write(it.value)
	}
	if len(ms) > 0 {
		b.Write(p.src[ms[len(ms)-1].valEnd : o.close+1])
	} else {
		if p.unit != "" {
			b.WriteString(p.nl + indent)
		}
		b.WriteByte('}')
	}
}

// sep is the text between two members a and b.
func (p *patcher) sep(o *objSpan, a, b item, indent string) string {
	ms := o.members
	between := func(i int) string { return string(p.src[ms[i].valEnd:ms[i+1].nameOff]) }
	switch {
	case a.old >= 0 && b.old == a.old+1:
		return between(a.old)
	case a.old >= 0 && a.old+1 < len(ms):
		return between(a.old)
	case b.old > 0:
		return between(b.old - 1)
	case len(ms) >= 2:
		return between(0)
	case len(ms) == 1:
		if lead := p.src[o.open+1 : ms[0].nameOff]; bytes.IndexByte(lead, '\n') >= 0 {
			return "," + string(lead)
		}
	case p.unit != "":
		return "," + p.emptyLead(indent)
	}
	return p.comma
}

// emptyLead is what goes between { and the first member of an object that
// had none, at indent.
func (p *patcher) emptyLead(indent string) string {
	if p.unit == "" {
		return ""
	}
	return p.nl + indent + p.unit
}

// memberKV is the separator of a key and its value in o.
func (p *patcher) memberKV(o *objSpan) string {
	if len(o.members) > 0 {
		m := o.members[0]
		return string(p.src[m.nameOff+len(m.name)+2 : m.valStart])
	}
	return p.kv
}

// memberIndent is the indentation of a member written as item k of o.
func (p *patcher) memberIndent(o *objSpan, k int) string {
	if len(o.members) == 0 {
		return p.lineIndent(o.open) + p.unit
	}
	m := o.members[min(k, len(o.members)-1)]
	return p.lineIndent(m.nameOff)
}

// lineIndent is the white space that starts the line holding off.
func (p *patcher) lineIndent(off int) string {
	// From a table of line starts: a scan back costs the whole file on a
	// file that is one line, for each list an edit rewrites.
	if p.lineStarts == nil {
		p.lineStarts = []int{0}
		for i, c := range p.src {
			if c == '\n' {
				p.lineStarts = append(p.lineStarts, i+1)
			}
		}
	}
	line, _ := slices.BinarySearch(p.lineStarts, off+1)
	start := p.lineStarts[line-1]
	end := start
	for end < off && (p.src[end] == ' ' || p.src[end] == '\t') {
		end++
	}
	return string(p.src[start:end])
}

// list renders a requirement list at indent in the layout of sample, a
// list of the text: on one line when it is (with a space after each : and
// , when it has them), else indented as MarshalPolicy indents.
func (p *patcher) list(rs model.Requirements, indent string, sample []byte) []byte {
	compact, err := appendJSON(nil, requirementsJSON(rs))
	if err != nil {
		panic(skimFallback{})
	}
	return p.value(compact, indent, sample)
}

func (p *patcher) value(compact []byte, indent string, sample []byte) []byte {
	if !isSample(sample) {
		sample = p.sample
	}
	oneLine := p.unit == "" || (sample != nil && bytes.IndexByte(sample, '\n') < 0)
	if oneLine {
		if sample != nil && bytes.Contains(sample, []byte(`": `)) {
			return spaced(compact)
		}
		return compact
	}
	var b bytes.Buffer
	if err := json.Indent(&b, compact, indent, p.unit); err != nil {
		panic(skimFallback{})
	}
	if p.nl != "\n" {
		return bytes.ReplaceAll(b.Bytes(), []byte("\n"), []byte(p.nl))
	}
	return b.Bytes()
}

// spaced puts a space after each : and , of compact JSON outside strings.
func spaced(compact []byte) []byte {
	out := make([]byte, 0, len(compact)+len(compact)/4)
	inStr, esc := false, false
	for _, c := range compact {
		out = append(out, c)
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case !inStr && (c == ':' || c == ','):
			out = append(out, ' ')
		}
	}
	return out
}

// newScopes renders the scope object of a new transport at indent.
func (p *patcher) newScopes(scopes []*model.Scope, indent string) []byte {
	fields := make([][2][]byte, len(scopes))
	for i, s := range scopes {
		fields[i] = [2][]byte{[]byte(s.Name), p.list(s.Requirements, indent+p.unit, nil)}
	}
	return p.newObject(fields, indent)
}

// newTransports renders a "transports" value at indent.
func (p *patcher) newTransports(ts []*model.Transport, indent string) []byte {
	fields := make([][2][]byte, len(ts))
	for i, t := range ts {
		fields[i] = [2][]byte{[]byte(t.Name), p.newScopes(t.Scopes, indent+p.unit)}
	}
	return p.newObject(fields, indent)
}

// newObject renders an object of name and value pairs at indent, as the
// file's root object is laid out.
func (p *patcher) newObject(fields [][2][]byte, indent string) []byte {
	if len(fields) == 0 {
		return []byte("{}")
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			if p.unit == "" {
				b.WriteString(p.comma)
			} else {
				b.WriteByte(',')
			}
		}
		if p.unit != "" {
			b.WriteString(p.nl + indent + p.unit)
		}
		q, err := appendString(nil, string(f[0]))
		if err != nil {
			panic(skimFallback{})
		}
		b.Write(q)
		b.WriteString(p.kv)
		b.Write(f[1])
	}
	if p.unit != "" {
		b.WriteString(p.nl + indent)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// SamePolicy reports whether a and b say the same, positions aside: the
// same default, transports and scopes in the same order with the same
// requirements (SameRequirements). Two policies that are the same render
// to the same MarshalPolicy text.
func SamePolicy(a, b *model.Policy) bool {
	if a == nil || b == nil {
		return a == b
	}
	if !SameRequirements(a.Default, b.Default) || len(a.Transports) != len(b.Transports) {
		return false
	}
	for i, ta := range a.Transports {
		tb := b.Transports[i]
		if ta.Name != tb.Name || len(ta.Scopes) != len(tb.Scopes) {
			return false
		}
		for j, sa := range ta.Scopes {
			sb := tb.Scopes[j]
			if sa.Name != sb.Name || !SameRequirements(sa.Requirements, sb.Requirements) {
				return false
			}
		}
	}
	return true
}

// SameRequirements reports whether two requirement lists say the same,
// positions aside. It is stricter than their texts (an empty list and a
// missing one are the same, as MarshalPolicy writes both as []; fields a
// type does not write still count): a difference it sees costs a rewrite
// of the list, one it missed would lose an edit (TestSameRequirementsIsText).
func SameRequirements(a, b model.Requirements) bool {
	if len(a) != len(b) {
		return false
	}
	for i, ra := range a {
		if !sameRequirement(ra, b[i]) {
			return false
		}
	}
	return true
}

func sameRequirement(a, b *model.Requirement) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Type == b.Type && a.KeyType == b.KeyType && a.KeyPath == b.KeyPath &&
		emptyKeyPathWritten(a) == emptyKeyPathWritten(b) &&
		sameStrings(a.KeyPaths, b.KeyPaths) && sameBytes(a.KeyData, b.KeyData) &&
		sameIdentity(a.SignedIdentity, b.SignedIdentity) && sameIdentity(a.BaseLayerIdentity, b.BaseLayerIdentity) &&
		sameBytesList(a.KeyDatas, b.KeyDatas) && sameFulcio(a.Fulcio, b.Fulcio) && samePKI(a.PKI, b.PKI) &&
		a.RekorPublicKeyPath == b.RekorPublicKeyPath && sameStrings(a.RekorPublicKeyPaths, b.RekorPublicKeyPaths) &&
		sameBytes(a.RekorPublicKeyData, b.RekorPublicKeyData) && sameBytesList(a.RekorPublicKeyDatas, b.RekorPublicKeyDatas)
}

// emptyKeyPathWritten: an empty keyPath that was in the file is written
// (requirementFields).
func emptyKeyPathWritten(r *model.Requirement) bool {
	return r.Type == model.SignedBy && r.KeyPath == "" && r.HasField("keyPath")
}

// sameStrings, sameBytes, sameBytesList: nil (absent) is not the same as
// empty.
func sameStrings(a, b []string) bool {
	return sameList(a, b, func(x, y string) bool { return x == y })
}

func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

func sameBytesList(a, b [][]byte) bool { return sameList(a, b, sameBytes) }

func sameList[T any](a, b []T, same func(x, y T) bool) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if !same(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sameIdentity(a, b *model.Identity) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Type == b.Type && a.DockerReference == b.DockerReference && a.DockerRepository == b.DockerRepository &&
		a.Prefix == b.Prefix && a.SignedPrefix == b.SignedPrefix
}

func sameFulcio(a, b *model.Fulcio) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.CAPath == b.CAPath && sameBytes(a.CAData, b.CAData) && a.OIDCIssuer == b.OIDCIssuer &&
		a.SubjectEmail == b.SubjectEmail && a.BuildSignerURI == b.BuildSignerURI
}

func samePKI(a, b *model.PKI) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.CARootsPath == b.CARootsPath && sameBytes(a.CARootsData, b.CARootsData) &&
		a.CAIntermediatesPath == b.CAIntermediatesPath && sameBytes(a.CAIntermediatesData, b.CAIntermediatesData) &&
		a.SubjectEmail == b.SubjectEmail && a.SubjectHostname == b.SubjectHostname
}

// TextOnlyProblems reports whether diags hold a problem of the text that
// the model cannot hold (a comment, a trailing comma, a duplicate or
// unknown key, a value of the wrong kind, …): a text with one says more
// than its policy, and a patch of it would keep what a rendering drops.
func TextOnlyProblems(diags model.Diagnostics) bool {
	for _, d := range diags {
		switch d.Code {
		case "comment", "trailing-comma", "bom", "duplicate-key", "unknown-key", "wrong-type", "json-not-object",
			"bad-base64", "syntax", "too-deep", "empty", "more-problems", "internal":
			return true
		}
	}
	return false
}

// Rendered is a staged policy's text and what it parses to.
type Rendered struct {
	Data  []byte
	Pol   *model.Policy
	Diags model.Diagnostics
	// Patched: Data is prev patched (PatchPolicy), not a rendering.
	Patched bool
}

// RenderEdit gives the text of to, the policy from edited: prev patched
// (PatchPolicy) when that text parses, through parse, to to and holds
// nothing its policy does not (TextOnlyProblems), else render(to)
// (MarshalPolicy, or a RenderCache's Marshal) as parse reads it. Neither
// a text that would say something else than to nor one that would keep
// what the model drops is ever returned (FuzzRenderEditSafetyNet).
func RenderEdit(prev []byte, from, to *model.Policy,
	parse func([]byte) (*model.Policy, model.Diagnostics), render func(*model.Policy) ([]byte, error)) (Rendered, error) {
	if prev != nil {
		if data, ok := PatchPolicy(prev, from, to); ok {
			pol, diags := parse(data)
			if pol != nil && SamePolicy(pol, to) && !TextOnlyProblems(diags) {
				return Rendered{Data: data, Pol: pol, Diags: diags, Patched: true}, nil
			}
		}
	}
	data, err := render(to)
	if err != nil {
		return Rendered{}, err
	}
	pol, diags := parse(data)
	return Rendered{Data: data, Pol: pol, Diags: diags}, nil
}
