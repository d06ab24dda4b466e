package policyio

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kios/imgtrust/model"
	"github.com/tailscale/hujson"
)

// jsonDecoder walks a hujson syntax tree and records diagnostics with
// positions. hujson tolerates comments, trailing commas and duplicate keys,
// which lets us locate all of them; containers/image refuses every one, so
// each becomes an error.
type jsonDecoder struct {
	file  string
	src   []byte
	diags model.Diagnostics
	// lineStarts holds the offset of each line's first byte, built on
	// first use, so that positions cost a binary search, not a scan.
	lineStarts []int
	// omitted counts the problems beyond MaxDiagnostics, omittedWorst
	// their worst severity.
	omitted      int
	omittedWorst model.Severity

	// The lazy path (skim.go) keeps comments and trailing commas apart
	// while it decodes, and puts them first at the end, as the full path
	// finds them all before decoding.
	inExtras      bool
	extras        model.Diagnostics
	extrasOmitted int
	extrasWorst   model.Severity
	// full skips the lazy path, tookLazy says it was taken (tests
	// compare the two).
	full, tookLazy bool
	// cache, when set, holds the previous parse's scopes (ParseCache);
	// nextScopes collects this parse's for the next one.
	cache      *ParseCache
	nextScopes map[scopeKey]cachedScope
	hits       int
}

// member is one key of a JSON object, with its unescaped name.
type member struct {
	name    string
	nameOff int
	val     *hujson.Value
	// start and end locate a value the lazy path has not parsed yet (val
	// is then nil).
	start, end int
}

// fieldList holds a requirement's accepted members: a handful, so a scan
// is cheaper than a map for each of thousands of requirements.
type fieldList []member

func (fl fieldList) get(name string) (*hujson.Value, bool) {
	for _, m := range fl {
		if m.name == name {
			return m.val, true
		}
	}
	return nil, false
}

func (d *jsonDecoder) pos(off int) model.Pos {
	if off < 0 {
		return model.Pos{File: d.file}
	}
	if off > len(d.src) {
		off = len(d.src)
	}
	if d.lineStarts == nil {
		d.lineStarts = lineStarts(d.src)
	}
	line, _ := slices.BinarySearch(d.lineStarts, off+1)
	return model.Pos{File: d.file, Line: line, Col: 1 + off - d.lineStarts[line-1]}
}

// lineStarts is the offset of each line of src: one allocation of the
// right size, the newlines found by bytes.IndexByte (a staged edit of a
// large policy needs them for the whole text).
func lineStarts(src []byte) []int {
	out := make([]int, 1, 1+bytes.Count(src, []byte{'\n'}))
	for i := 0; ; {
		j := bytes.IndexByte(src[i:], '\n')
		if j < 0 {
			return out
		}
		i += j + 1
		out = append(out, i)
	}
}

// snippet returns the source line holding off with a caret under it.
func (d *jsonDecoder) snippet(off int) string {
	if off < 0 || off > len(d.src) {
		return ""
	}
	// The line's ends from the table: a scan for them costs the whole
	// file on a file that is one line, for each problem.
	n := d.pos(off).Line
	start, end := d.lineStarts[n-1], len(d.src)
	if n < len(d.lineStarts) {
		end = d.lineStarts[n] - 1
	}
	// A long line is cut around the column (at UTF-8 boundaries), so
	// that a snippet costs the same on a one-line megabyte file.
	lead, trail := "", ""
	if off-start > maxSnippetWidth {
		start = runeStart(d.src, off-maxSnippetWidth)
		lead = "…"
	}
	if end-off > maxSnippetWidth {
		end = runeStart(d.src, off+maxSnippetWidth)
		trail = "…"
	}
	line := lead + strings.TrimRight(string(d.src[start:end]), "\r") + trail
	caret := make([]byte, 0, off-start+1+len(lead))
	if lead != "" {
		caret = append(caret, ' ')
	}
	for _, c := range d.src[start:off] {
		if c == '\t' {
			caret = append(caret, '\t')
		} else {
			caret = append(caret, ' ')
		}
	}
	return line + "\n" + string(caret) + "^"
}

// runeStart moves i back to the start of the UTF-8 sequence it is in.
func runeStart(b []byte, i int) int {
	for i > 0 && i < len(b) && b[i]&0xC0 == 0x80 {
		i--
	}
	return i
}

// problem is a diagnostic under construction.
type problem struct {
	sev     model.Severity
	code    string
	off     int
	path    string
	msg     string
	fix     string
	runtime string
	target  *model.Target
	related *int
	repl    string
	// fixes are the quick fixes as edits of d.src; a repl without fixes
	// becomes the fix that writes it.
	fixes []model.QuickFix
}

func (d *jsonDecoder) report(p problem) {
	list, omitted, worst := &d.diags, &d.omitted, &d.omittedWorst
	if d.inExtras {
		list, omitted, worst = &d.extras, &d.extrasOmitted, &d.extrasWorst
	}
	if len(*list) >= MaxDiagnostics {
		*omitted++
		*worst = max(*worst, p.sev)
		return
	}
	diag := model.Diagnostic{
		Severity:    p.sev,
		Code:        p.code,
		Pos:         d.pos(p.off),
		Path:        p.path,
		Message:     p.msg,
		Fix:         p.fix,
		Runtime:     p.runtime,
		Target:      p.target,
		Replacement: p.repl,
	}
	if p.off >= 0 {
		diag.Snippet = d.snippet(p.off)
	}
	diag.Fixes = p.fixes
	if p.repl != "" && len(p.fixes) == 0 {
		diag.Fixes = replacementFix(d.src, p.off, p.path, p.repl)
	}
	if p.related != nil {
		rp := d.pos(*p.related)
		diag.Related = &rp
	}
	*list = append(*list, diag)
}

// kindName is how encoding/json names a JSON value kind in its
// "cannot unmarshal" messages.
func kindName(v *hujson.Value) string {
	switch v.Value.Kind() {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "value"
}

// tokenForRuntime renders a value the way ParanoidUnmarshalJSONObject
// prints the unexpected token (%#v of the json.Token).
func tokenForRuntime(v *hujson.Value) string {
	switch v.Value.Kind() {
	case 'n':
		return "<nil>"
	case '[':
		return "91"
	case '"':
		return fmt.Sprintf("%q", litString(v.Value))
	case 't':
		return "true"
	case 'f':
		return "false"
	case '0':
		return string(v.Value.(hujson.Literal))
	}
	return "?"
}

// object returns the members of an object value, reporting a non-object
// and duplicate keys. Duplicates are left out of the result (the first
// occurrence is kept) after being reported at both places.
func (d *jsonDecoder) object(v *hujson.Value, path string, tgt *model.Target, dupFix func(name string, m member) (fix, repl string)) ([]member, bool) {
	return d.objectInto(nil, v, path, tgt, dupFix)
}

// objectInto is object with the members stored in buf when they fit: the
// caller's array for the small, numerous objects (requirements, identities).
func (d *jsonDecoder) objectInto(buf []member, v *hujson.Value, path string, tgt *model.Target, dupFix func(name string, m member) (fix, repl string)) ([]member, bool) {
	obj, ok := v.Value.(*hujson.Object)
	firstIndex := func(name string) int {
		for i := range obj.Members {
			if litString(obj.Members[i].Name.Value) == name {
				return i
			}
		}
		return -1
	}
	if !ok {
		d.report(problem{
			sev: model.Error, code: "json-not-object", off: v.StartOffset, path: path, target: tgt,
			msg:     fmt.Sprintf("%s must be a JSON object, not %s", pathLabel(path), kindName(v)),
			runtime: "JSON object expected, got " + tokenForRuntime(v),
		})
		return nil, false
	}
	// Small objects (requirements, identities) are checked for duplicates
	// by a scan; only big ones (scope maps) pay for a map.
	var seen map[string]int
	if len(obj.Members) > 8 {
		seen = make(map[string]int, len(obj.Members))
	}
	out := buf[:0]
	if cap(out) < len(obj.Members) {
		out = make([]member, 0, len(obj.Members))
	}
	for i := range obj.Members {
		m := &obj.Members[i]
		name := litString(m.Name.Value)
		mem := member{name: name, nameOff: m.Name.StartOffset, val: &m.Value}
		first, dup := -1, false
		if seen != nil {
			first, dup = seen[name]
		} else {
			for _, prev := range out {
				if prev.name == name {
					first, dup = prev.nameOff, true
					break
				}
			}
		}
		if dup {
			fix := fmt.Sprintf("keep one %q; the runtime refuses duplicate keys instead of taking the last one", name)
			repl := ""
			if dupFix != nil {
				if f, r := dupFix(name, mem); f != "" {
					fix, repl = f, r
				}
			}
			var fixes []model.QuickFix
			if repl == "" {
				// Which one is right is the admin's call: offer both.
				np := joinPath(path, name)
				fi := firstIndex(name)
				fixes = []model.QuickFix{
					{Title: fmt.Sprintf("remove this %q (line %d)", name, d.pos(mem.nameOff).Line),
						Edits: removeMembersEdits(d.src, obj, []int{i}), Nodes: []string{np}},
					{Title: fmt.Sprintf("remove the first %q (line %d)", name, d.pos(first).Line),
						Edits: removeMembersEdits(d.src, obj, []int{fi}), Nodes: []string{np}},
				}
			}
			d.report(problem{
				sev: model.Error, code: "duplicate-key", off: mem.nameOff, path: joinPath(path, name), target: tgt,
				msg:     fmt.Sprintf("duplicate key %q in %s", name, pathLabel(path)),
				fix:     fix,
				repl:    repl,
				fixes:   fixes,
				runtime: fmt.Sprintf("Duplicate key %q", name),
				related: &first,
			})
			continue
		}
		if seen != nil {
			seen[name] = mem.nameOff
		}
		out = append(out, mem)
	}
	return out, true
}

// unknownKey reports a key that containers/image does not accept here.
func (d *jsonDecoder) unknownKey(m member, path string, allowed []string, tgt *model.Target, extraFix string) {
	fix := extraFix
	repl := ""
	if fix == "" {
		if s := suggest(m.name, allowed); s != "" {
			fix = fmt.Sprintf("did you mean %q?", s)
			repl = s
		} else {
			fix = "allowed keys here: " + strings.Join(allowed, ", ")
		}
	}
	d.report(problem{
		sev: model.Error, code: "unknown-key", off: m.nameOff, path: joinPath(path, m.name), target: tgt,
		msg:     fmt.Sprintf("unknown key %q in %s", m.name, pathLabel(path)),
		fix:     fix,
		repl:    repl,
		runtime: fmt.Sprintf("Unknown key %q", m.name),
	})
}

// str decodes a value into a Go string as encoding/json would: null is
// "", anything but a string is an error.
func (d *jsonDecoder) str(v *hujson.Value, path string, tgt *model.Target) (string, bool) {
	switch v.Value.Kind() {
	case '"':
		return litString(v.Value), true
	case 'n':
		return "", true
	}
	d.typeMismatch(v, path, "a string", "string", tgt)
	return "", false
}

// strList decodes an array of strings; null gives a nil slice.
func (d *jsonDecoder) strList(v *hujson.Value, path string, tgt *model.Target) ([]string, bool) {
	switch v.Value.Kind() {
	case 'n':
		return nil, true
	case '[':
	default:
		d.typeMismatch(v, path, "an array of strings", "[]string", tgt)
		return nil, false
	}
	arr := v.Value.(*hujson.Array)
	out := make([]string, 0, len(arr.Elements))
	ok := true
	for i := range arr.Elements {
		s, good := d.str(&arr.Elements[i], fmt.Sprintf("%s[%d]", path, i), tgt)
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

// base64 decodes a []byte field as encoding/json does: standard alphabet,
// padding required, CR and LF ignored; null gives nil.
func (d *jsonDecoder) base64(v *hujson.Value, path string, tgt *model.Target) ([]byte, bool) {
	switch v.Value.Kind() {
	case 'n':
		return nil, true
	case '"':
	default:
		d.typeMismatch(v, path, "a base64 string", "[]uint8", tgt)
		return nil, false
	}
	s := litString(v.Value)
	b, err := decodeStdBase64(s)
	if err != nil {
		d.report(problem{
			sev: model.Error, code: "bad-base64", off: v.StartOffset, path: path, target: tgt,
			msg:     fmt.Sprintf("%s is not valid base64: %v", pathLabel(path), err),
			fix:     "encode the key file with `base64 -w0 FILE` (standard alphabet, with = padding)",
			runtime: err.Error(),
		})
		return nil, false
	}
	return b, true
}

func (d *jsonDecoder) base64List(v *hujson.Value, path string, tgt *model.Target) ([][]byte, bool) {
	switch v.Value.Kind() {
	case 'n':
		return nil, true
	case '[':
	default:
		d.typeMismatch(v, path, "an array of base64 strings", "[][]uint8", tgt)
		return nil, false
	}
	arr := v.Value.(*hujson.Array)
	out := make([][]byte, 0, len(arr.Elements))
	ok := true
	for i := range arr.Elements {
		b, good := d.base64(&arr.Elements[i], fmt.Sprintf("%s[%d]", path, i), tgt)
		ok = ok && good
		out = append(out, b)
	}
	return out, ok
}

func (d *jsonDecoder) typeMismatch(v *hujson.Value, path, want, goType string, tgt *model.Target) {
	d.report(problem{
		sev: model.Error, code: "wrong-type", off: v.StartOffset, path: path, target: tgt,
		msg:     fmt.Sprintf("%s must be %s, not %s", pathLabel(path), want, kindName(v)),
		runtime: fmt.Sprintf("json: cannot unmarshal %s into Go value of type %s", kindName(v), goType),
	})
}

// checkExtras reports comments, trailing commas and a byte-order mark:
// hujson accepts them, encoding/json (and so the runtime) does not.
func (d *jsonDecoder) checkExtras(root *hujson.Value) {
	var visit func(v *hujson.Value)
	visit = func(v *hujson.Value) {
		d.commentsIn(v.BeforeExtra, v.StartOffset-len(v.BeforeExtra))
		d.commentsIn(v.AfterExtra, v.EndOffset)
		switch c := v.Value.(type) {
		case *hujson.Object:
			for i := range c.Members {
				visit(&c.Members[i].Name)
				visit(&c.Members[i].Value)
			}
			d.closingExtra(c.AfterExtra, v.EndOffset-1)
			if n := len(c.Members); n > 0 && c.Members[n-1].Value.AfterExtra != nil {
				d.trailingComma(&c.Members[n-1].Value, "object")
			}
		case *hujson.Array:
			for i := range c.Elements {
				visit(&c.Elements[i])
			}
			d.closingExtra(c.AfterExtra, v.EndOffset-1)
			if n := len(c.Elements); n > 0 && c.Elements[n-1].AfterExtra != nil {
				d.trailingComma(&c.Elements[n-1], "array")
			}
		}
	}
	from := len(d.diags)
	visit(root)
	d.addRemoveAllExtras(d.diags[from:])
}

// addRemoveAllExtras offers, on each comment and trailing comma, the fix
// that removes all of them at once (one right answer: the runtime accepts
// none). Only the comments and commas found go; nothing else changes.
func (d *jsonDecoder) addRemoveAllExtras(found model.Diagnostics) {
	if len(found) < 2 {
		return
	}
	var all model.QuickFix
	all.Title = fmt.Sprintf("remove every comment and trailing comma (%d)", len(found))
	for _, x := range found {
		if len(x.Fixes) == 1 {
			all.Edits = append(all.Edits, x.Fixes[0].Edits...)
		}
	}
	for i := range found {
		found[i].Fixes = append(found[i].Fixes, all)
	}
}

// closingExtra handles the extra before a closing brace or bracket, which
// hujson keeps on the composite; closeOff is the offset of that brace.
func (d *jsonDecoder) closingExtra(extra hujson.Extra, closeOff int) {
	d.commentsIn(extra, closeOff-len(extra))
}

func (d *jsonDecoder) trailingComma(last *hujson.Value, what string) {
	off := last.EndOffset + len(last.AfterExtra)
	// AfterExtra stops before the comma; skip to it defensively.
	for off < len(d.src) && d.src[off] != ',' {
		off++
	}
	d.report(problem{
		sev: model.Error, code: "trailing-comma", off: off,
		msg:     fmt.Sprintf("trailing comma after the last element of an %s: JSON does not allow it, and containers/image refuses the file", what),
		fix:     "remove this comma",
		runtime: trailingCommaRuntime(what),
		fixes:   []model.QuickFix{{Title: "remove this comma", Edits: []model.TextEdit{{Start: off, End: off + 1}}}},
	})
}

func trailingCommaRuntime(what string) string {
	if what == "object" {
		return "invalid character '}' looking for beginning of object key string"
	}
	return "invalid character ']' looking for beginning of value"
}

// commentsIn reports each comment in an extra that starts at offset base.
func (d *jsonDecoder) commentsIn(extra hujson.Extra, base int) {
	for i := 0; i < len(extra); i++ {
		if extra[i] != '/' || i+1 >= len(extra) {
			continue
		}
		var end int
		switch extra[i+1] {
		case '/':
			end = bytes.IndexByte(extra[i:], '\n')
		case '*':
			end = bytes.Index(extra[i+2:], []byte("*/"))
			if end >= 0 {
				end += 4
			}
		default:
			continue
		}
		if end < 0 {
			end = len(extra) - i
		}
		d.report(problem{
			sev: model.Error, code: "comment", off: base + i,
			msg:     "comment: JSON has no comments, and containers/image refuses the whole file (every pull on the node fails)",
			fix:     "remove the comment; imgtrust writes the file without comments, so keep notes elsewhere",
			runtime: "invalid character '/' looking for beginning of object key string",
			fixes:   []model.QuickFix{{Title: "remove this comment", Edits: []model.TextEdit{removeSpan(d.src, base+i, base+i+end)}}},
		})
		i += end - 1
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	if strings.ContainsAny(key, "./[]\" ") || key == "" {
		// Every scope name comes here: quoting by hand when Go would
		// quote it the same way keeps it to one allocation.
		if plainQuotable(key) {
			return path + `["` + key + `"]`
		}
		return path + "[" + strconv.Quote(key) + "]"
	}
	return path + "." + key
}

// plainQuotable reports whether strconv.Quote(s) is s between quotes.
func plainQuotable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func pathLabel(path string) string {
	if path == "" {
		return "the policy"
	}
	return path
}

// litString unquotes a JSON string literal, skipping encoding/json for
// the common case of a string without escapes.
func litString(v hujson.ValueTrimmed) string {
	l := v.(hujson.Literal)
	if len(l) >= 2 && bytes.IndexByte(l, '\\') < 0 && utf8.Valid(l) {
		return string(l[1 : len(l)-1])
	}
	return l.String()
}

// intern returns the known string equal to s, so that the model of a big
// policy holds one "signedBy" instead of one per requirement.
func intern[S ~string](s S, known []S) S {
	if i := slices.Index(known, s); i >= 0 {
		return known[i]
	}
	return s
}
