package policyio

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/kios/imgtrust/model"
	"github.com/tailscale/hujson"
)

// ParsePolicy reads policy.json content. file labels positions in the
// diagnostics. It reports every problem it can find, not only the first:
// each Error alone makes containers/image refuse the file. The returned
// policy is nil only when the text is not even hujson (a syntax error);
// otherwise it holds whatever could be understood, so that the TUI can
// show and repair it.
func ParsePolicy(file string, data []byte) (*model.Policy, model.Diagnostics) {
	return parsePolicy(&jsonDecoder{file: file, src: data})
}

// parsePolicy runs a decoder set up by ParsePolicy or a test.
func parsePolicy(d *jsonDecoder) (*model.Policy, model.Diagnostics) {
	data := d.src
	pol := d.parsePolicy(data)
	if len(d.diags) > MaxDiagnostics { // the linter's, after the decoder's
		for _, x := range d.diags[MaxDiagnostics:] {
			d.omitted++
			d.omittedWorst = max(d.omittedWorst, x.Severity)
		}
		d.diags = d.diags[:MaxDiagnostics]
	}
	if d.omitted > 0 {
		d.diags = append(d.diags, omitted(d.file, d.omitted, d.omittedWorst))
	}
	return pol, d.diags
}

func (d *jsonDecoder) parsePolicy(data []byte) *model.Policy {
	src := data
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		d.report(problem{
			sev: model.Error, code: "bom", off: 0,
			msg:     "the file starts with a UTF-8 byte-order mark, which JSON does not allow",
			fix:     "save the file as UTF-8 without BOM",
			runtime: "invalid character 'ï' looking for beginning of value",
		})
		// Blank the BOM out (same length keeps offsets right).
		src = append([]byte("   "), src[3:]...)
		d.src = src
	}
	if len(bytes.TrimSpace(src)) == 0 {
		d.report(problem{
			sev: model.Error, code: "empty", off: 0,
			msg:     "policy.json is empty",
			fix:     `write at least {"default": [{"type": "reject"}]} (or run the setup wizard: imgtrust, then w)`,
			runtime: "unexpected end of JSON input",
		})
		return nil
	}
	if off := jsonTooDeep(src, MaxJSONDepth); off >= 0 {
		d.report(problem{
			sev: model.Error, code: "too-deep", off: off,
			msg:     fmt.Sprintf("policy.json nests more than %d levels deep", MaxJSONDepth),
			fix:     "a policy nests a few levels; this file is not one",
			runtime: "exceeded max depth",
		})
		return nil
	}
	if !d.full {
		if pol, ok := d.lazyPolicy(); ok {
			d.diags = append(d.diags, lintPolicy(pol)...)
			return pol
		}
	}
	root, err := hujson.Parse(src)
	if err != nil {
		d.syntaxError(err)
		return nil
	}
	d.checkExtras(&root)
	pol := d.policy(&root)
	d.diags = append(d.diags, lintPolicy(pol)...)
	return pol
}

var hujsonErrRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^hujson: line (\d+), column (\d+): (.*)$`) })

// syntaxError turns hujson's error into a diagnostic at its position,
// with a hint about the bracket that was probably meant.
func (d *jsonDecoder) syntaxError(err error) {
	m := hujsonErrRE().FindStringSubmatch(err.Error())
	off := len(d.src)
	msg := err.Error()
	if m != nil {
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		off = offsetOf(d.src, line, col)
		msg = m[3]
	}
	fix, edit := bracketHint(d.src, off)
	if fix == "" {
		fix = "fix the JSON syntax here; imgtrust reports the rest of the file once it parses"
	}
	var fixes []model.QuickFix
	if edit != nil {
		fixes = []model.QuickFix{{Title: fix, Edits: []model.TextEdit{*edit}}}
	}
	d.report(problem{
		sev: model.Error, code: "syntax", off: off,
		msg:     "JSON syntax error: " + msg,
		fix:     fix,
		runtime: "the runtime refuses the file with an encoding/json syntax error",
		fixes:   fixes,
	})
}

func offsetOf(src []byte, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	return min(off+col-1, len(src))
}

// bracketHint explains a closing bracket that does not match the one
// opened: the usual cause of a syntax error in a hand-edited policy. The
// edit, when there is one, is the fix with one right answer (the bracket
// that closes what is open, the missing comma).
func bracketHint(src []byte, errOff int) (string, *model.TextEdit) {
	if errOff >= len(src) {
		return "the file ends early: a closing } or ] is missing", nil
	}
	c := src[errOff]
	if c != '}' && c != ']' {
		if c == '"' || c == '{' || c == '[' {
			// The comma goes right after the previous value.
			at := errOff
			for at > 0 && strings.ContainsRune(" \t\r\n", rune(src[at-1])) {
				at--
			}
			return "a comma is missing before this value", &model.TextEdit{Start: at, End: at, New: ","}
		}
		return "", nil
	}
	var stack []int
	inStr, esc := false, false
	for i := 0; i < errOff; i++ {
		b := src[i]
		switch {
		case inStr:
			if esc {
				esc = false
			} else if b == '\\' {
				esc = true
			} else if b == '"' {
				inStr = false
			}
		case b == '"':
			inStr = true
		case b == '/' && i+1 < errOff && src[i+1] == '/':
			for i < errOff && src[i] != '\n' {
				i++
			}
		case b == '/' && i+1 < errOff && src[i+1] == '*':
			end := bytes.Index(src[i+2:errOff], []byte("*/"))
			if end < 0 {
				return "", nil
			}
			i += end + 3
		case b == '{' || b == '[':
			stack = append(stack, i)
		case b == '}' || b == ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	if len(stack) == 0 {
		return fmt.Sprintf("this %q closes nothing: remove it", c), &model.TextEdit{Start: errOff, End: errOff + 1}
	}
	open := stack[len(stack)-1]
	want := byte('}')
	if src[open] == '[' {
		want = ']'
	}
	if want == c {
		return "", nil
	}
	line := 1 + bytes.Count(src[:open], []byte("\n"))
	col := 1 + open - (bytes.LastIndexByte(src[:open], '\n') + 1)
	return fmt.Sprintf("the %q opened at line %d, column %d is not closed: write %q here instead of %q", src[open], line, col, want, c),
		&model.TextEdit{Start: errOff, End: errOff + 1, New: string(want)}
}

func (d *jsonDecoder) policy(root *hujson.Value) *model.Policy {
	members, ok := d.object(root, "", nil, nil)
	if !ok {
		return &model.Policy{}
	}
	return d.policyMembers(members, root.StartOffset)
}

// value returns a member's value, parsing it first on the lazy path.
func (d *jsonDecoder) value(m member) *hujson.Value {
	if m.val != nil {
		return m.val
	}
	return d.lazyValue(m.start, m.end)
}

// policyMembers decodes the root object's members; rootOff is where the
// object starts.
func (d *jsonDecoder) policyMembers(members []member, rootOff int) *model.Policy {
	pol := &model.Policy{}
	var haveDefault bool
	for _, m := range members {
		switch m.name {
		case "default":
			haveDefault = true
			pol.DefaultPos = d.pos(m.nameOff)
			ref := model.ScopeRef{IsDefault: true}
			pol.Default = d.requirementList(d.value(m), "default", ref)
		case "transports":
			if m.val == nil && d.src[m.start] == '{' {
				pol.Transports = d.lazyTransports(m.start)
			} else {
				pol.Transports = d.transports(d.value(m))
			}
		default:
			if m.val == nil {
				d.value(m) // the full path checks its syntax and comments too
			}
			d.unknownKey(m, "", []string{"default", "transports"}, nil, "")
		}
	}
	if !haveDefault {
		d.report(problem{
			sev: model.Error, code: "default-missing", off: rootOff,
			msg:     `the policy has no "default" requirement list`,
			fix:     `add "default": [{"type": "reject"}] — images matched by no scope are then refused`,
			runtime: "Default policy is missing",
			target:  &model.Target{List: model.ScopeRef{IsDefault: true}, Requirement: -1},
		})
	}
	return pol
}

func (d *jsonDecoder) transports(v *hujson.Value) []*model.Transport {
	members, ok := d.object(v, "transports", nil, nil)
	if !ok {
		return nil
	}
	var out []*model.Transport
	for _, m := range members {
		t, known, path := d.transport(m.name, m.nameOff)
		scopes, ok := d.object(m.val, path, nil, nil)
		if ok {
			for _, sm := range scopes {
				d.scope(t, known, path, sm)
			}
		}
		out = append(out, t)
	}
	return out
}

// transport starts a transport section: known tells whether the runtime
// consults it, path is its JSON path.
func (d *jsonDecoder) transport(name string, nameOff int) (t *model.Transport, known bool, path string) {
	t = &model.Transport{Name: name, Pos: d.pos(nameOff)}
	known = slices.Contains(model.KnownTransports, name)
	if !known {
		fix := "the runtime ignores this section entirely: its scopes never apply"
		repl := ""
		if s := suggest(name, model.KnownTransports); s != "" {
			fix = fmt.Sprintf("did you mean %q? As written, the runtime silently ignores this section", s)
			repl = s
		}
		d.report(problem{
			sev: model.Warning, code: "unknown-transport", off: nameOff, path: joinPath("transports", name),
			msg: fmt.Sprintf("unknown transport %q: containers/image accepts the name but never consults it", name),
			fix: fix, repl: repl,
		})
	}
	return t, known, joinPath("transports", name)
}

// scope decodes one scope of a transport.
func (d *jsonDecoder) scope(t *model.Transport, known bool, path string, sm member) {
	ref := model.ScopeRef{Transport: t.Name, Scope: sm.name}
	spath := joinPath(path, sm.name)
	// A scope from the lazy path, not in the extras' way (comments and
	// trailing commas are reported apart) nor at the cap, can be cached.
	cacheable := d.cache != nil && sm.val == nil
	if cacheable && d.cachedScope(t, sm) {
		return
	}
	n0, omitted0, extras0 := len(d.diags), d.omitted, len(d.extras)+d.extrasOmitted
	if known {
		d.checkScope(t.Name, sm, spath)
	}
	s := &model.Scope{Name: sm.name, Pos: d.pos(sm.nameOff)}
	s.Requirements = d.requirementList(d.value(sm), spath, ref)
	t.Scopes = append(t.Scopes, s)
	if cacheable && d.omitted == omitted0 && len(d.extras)+d.extrasOmitted == extras0 {
		at := d.pos(sm.nameOff)
		d.remember(t, sm, cachedScope{start: sm.nameOff, end: sm.end, line: at.Line, col: at.Col, scope: s, diags: d.diags[n0:len(d.diags):len(d.diags)]})
	}
}

func (d *jsonDecoder) requirementList(v *hujson.Value, path string, ref model.ScopeRef) model.Requirements {
	listTarget := &model.Target{List: ref, Requirement: -1}
	switch v.Value.Kind() {
	case 'n':
		d.emptyList(v, path, listTarget)
		return nil
	case '[':
	default:
		d.report(problem{
			sev: model.Error, code: "wrong-type", off: v.StartOffset, path: path, target: listTarget,
			msg:     fmt.Sprintf("%s must be an array of requirements, not %s", path, kindName(v)),
			fix:     `write the requirements in [ ], e.g. [{"type": "reject"}]`,
			runtime: fmt.Sprintf("json: cannot unmarshal %s into Go value of type []json.RawMessage", kindName(v)),
		})
		return nil
	}
	arr := v.Value.(*hujson.Array)
	if len(arr.Elements) == 0 {
		d.emptyList(v, path, listTarget)
		return model.Requirements{}
	}
	out := make(model.Requirements, 0, len(arr.Elements))
	for i := range arr.Elements {
		tgt := model.Target{List: ref, Requirement: i}
		if r := d.requirement(&arr.Elements[i], path+"["+strconv.Itoa(i)+"]", tgt); r != nil {
			out = append(out, r)
		}
	}
	return out
}

func (d *jsonDecoder) emptyList(v *hujson.Value, path string, tgt *model.Target) {
	d.report(problem{
		sev: model.Error, code: "empty-requirements", off: v.StartOffset, path: path, target: tgt,
		msg:     fmt.Sprintf("%s has no requirements", path),
		fix:     `give at least one requirement, e.g. [{"type": "reject"}]; to accept anything say so with {"type": "insecureAcceptAnything"}`,
		runtime: "List of verification policy requirements must not be empty",
	})
}

// decodeStdBase64 decodes like encoding/json does for []byte.
func decodeStdBase64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(s)
}
