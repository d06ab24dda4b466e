package policyio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
)

func parseOK(t testing.TB, text string) *model.Policy {
	t.Helper()
	p, diags := ParsePolicy("p", []byte(text))
	if p == nil || diags.HasErrors() {
		t.Fatalf("test policy does not parse:\n%s\n%s", text, dump(diags))
	}
	return p
}

func reqs(text string) model.Requirements {
	p, _ := ParsePolicy("r", []byte(`{"default":`+text+`}`))
	return p.Default
}

// patchEdits are the edits of the model a staged change makes, by kind.
var patchEdits = []struct {
	name string
	edit func(p *model.Policy)
}{
	{"a scope changed", func(p *model.Policy) {
		p.Transports[0].Scopes[1].Requirements = reqs(`[{"type":"insecureAcceptAnything"}]`)
	}},
	{"a scope added last", func(p *model.Policy) {
		t := p.Transports[0]
		t.Scopes = append(t.Scopes, &model.Scope{Name: "d.example.com", Requirements: reqs(`[{"type":"reject"}]`)})
	}},
	{"a scope added first", func(p *model.Policy) {
		t := p.Transports[0]
		t.Scopes = append([]*model.Scope{{Name: "d.example.com", Requirements: reqs(`[{"type":"reject"}]`)}}, t.Scopes...)
	}},
	{"a scope removed", func(p *model.Policy) { p.RemoveScope("docker", "b.example.com") }},
	{"the last scope removed", func(p *model.Policy) { p.RemoveScope("docker", "c.example.com") }},
	{"a scope moved up", func(p *model.Policy) {
		s := p.Transports[0].Scopes
		s[1], s[2] = s[2], s[1]
	}},
	{"the default changed", func(p *model.Policy) { p.Default = reqs(`[{"type":"insecureAcceptAnything"}]`) }},
	{"a transport added", func(p *model.Policy) {
		p.Transports = append(p.Transports, &model.Transport{Name: "atomic", Scopes: []*model.Scope{{Name: "e.example.com", Requirements: reqs(`[{"type":"reject"}]`)}}})
	}},
	{"the transport removed", func(p *model.Policy) { p.Transports = nil }},
}

// layout writes the test policy (default, and scopes of docker) in one
// hand-written style; scope and list write one scope and one list in it.
type layout struct {
	name string
	doc  func(def string, transports ...string) string
	// transport writes a transport with its scopes.
	transport func(name string, scopes ...string) string
	scope     func(name string, list model.Requirements) string
	list      func(rs model.Requirements, indent string) string
}

func compactList(rs model.Requirements) string {
	b, err := appendJSON(nil, requirementsJSON(rs))
	if err != nil {
		panic(err)
	}
	return string(b)
}

func indentedList(rs model.Requirements, prefix, unit string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(compactList(rs)), prefix, unit); err != nil {
		panic(err)
	}
	return b.String()
}

func layouts() []layout {
	oneLine := layout{name: "one line (jq -c)",
		doc: func(def string, ts ...string) string {
			if len(ts) == 0 {
				return `{"default":` + def + "}\n"
			}
			return `{"default":` + def + `,"transports":{` + strings.Join(ts, ",") + "}}\n"
		},
		transport: func(name string, scopes ...string) string {
			return fmt.Sprintf("%q:{%s}", name, strings.Join(scopes, ","))
		},
		list: func(rs model.Requirements, _ string) string { return compactList(rs) },
	}
	oneLine.scope = func(name string, rs model.Requirements) string {
		return fmt.Sprintf("%q:%s", name, oneLine.list(rs, ""))
	}

	// Two-space indentation, each list on its scope's line with spaces.
	twoSpace := layout{name: "2-space, lists on one line",
		doc: func(def string, ts ...string) string {
			if len(ts) == 0 {
				return "{\n  \"default\": " + def + "\n}\n"
			}
			return "{\n  \"default\": " + def + ",\n  \"transports\": {\n" + strings.Join(ts, ",\n") + "\n  }\n}\n"
		},
		transport: func(name string, scopes ...string) string {
			return fmt.Sprintf("    %q: {\n%s\n    }", name, strings.Join(scopes, ",\n"))
		},
		list: func(rs model.Requirements, _ string) string { return string(spaced([]byte(compactList(rs)))) },
	}
	twoSpace.scope = func(name string, rs model.Requirements) string {
		return fmt.Sprintf("      %q: %s", name, twoSpace.list(rs, ""))
	}

	tabs := layout{name: "tabs",
		doc: func(def string, ts ...string) string {
			if len(ts) == 0 {
				return "{\n\t\"default\": " + def + "\n}\n"
			}
			return "{\n\t\"default\": " + def + ",\n\t\"transports\": {\n" + strings.Join(ts, ",\n") + "\n\t}\n}\n"
		},
		transport: func(name string, scopes ...string) string {
			return fmt.Sprintf("\t\t%q: {\n%s\n\t\t}", name, strings.Join(scopes, ",\n"))
		},
		list: func(rs model.Requirements, indent string) string { return indentedList(rs, indent, "\t") },
	}
	tabs.scope = func(name string, rs model.Requirements) string {
		return fmt.Sprintf("\t\t\t%q: %s", name, tabs.list(rs, "\t\t\t"))
	}

	crlf := layout{name: "CRLF, 4 spaces"}
	crlf.list = func(rs model.Requirements, indent string) string {
		return strings.ReplaceAll(indentedList(rs, indent, "    "), "\n", "\r\n")
	}
	crlf.doc = func(def string, ts ...string) string {
		if len(ts) == 0 {
			return "{\r\n    \"default\": " + def + "\r\n}\r\n"
		}
		return "{\r\n    \"default\": " + def + ",\r\n    \"transports\": {\r\n" + strings.Join(ts, ",\r\n") + "\r\n    }\r\n}\r\n"
	}
	crlf.transport = func(name string, scopes ...string) string {
		return fmt.Sprintf("        %q: {\r\n%s\r\n        }", name, strings.Join(scopes, ",\r\n"))
	}
	crlf.scope = func(name string, rs model.Requirements) string {
		return fmt.Sprintf("            %q: %s", name, crlf.list(rs, "            "))
	}
	return []layout{oneLine, twoSpace, tabs, crlf}
}

// write is the policy p in layout l, as a hand-written file would be.
func (l layout) write(p *model.Policy, defIndent string) string {
	var ts []string
	for _, t := range p.Transports {
		var ss []string
		for _, s := range t.Scopes {
			ss = append(ss, l.scope(s.Name, s.Requirements))
		}
		ts = append(ts, l.transport(t.Name, ss...))
	}
	return l.doc(l.list(p.Default, defIndent), ts...)
}

func patchBase() *model.Policy {
	return &model.Policy{
		Default: reqs(`[{"type":"reject"}]`),
		Transports: []*model.Transport{{Name: "docker", Scopes: []*model.Scope{
			{Name: "a.example.com", Requirements: reqs(`[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/pki/a.gpg","signedIdentity":{"type":"matchRepository"}}]`)},
			{Name: "b.example.com", Requirements: reqs(`[{"type":"signedBy","keyType":"GPGKeys","keyPaths":["/etc/pki/b.gpg","/etc/pki/c.gpg"]}]`)},
			{Name: "c.example.com", Requirements: reqs(`[{"type":"reject"}]`)},
		}}},
	}
}

// TestPatchPolicyLayouts: each kind of edit of a file in a hand-written
// layout rewrites only what it changed, and what it writes takes the
// file's layout: the whole patched file is the layout's text of the
// edited policy.
func TestPatchPolicyLayouts(t *testing.T) {
	defIndent := map[string]string{"tabs": "\t", "CRLF, 4 spaces": "    "}
	for _, l := range layouts() {
		for _, e := range patchEdits {
			t.Run(l.name+"/"+e.name, func(t *testing.T) {
				from := patchBase()
				prev := l.write(from, defIndent[l.name])
				parsed := parseOK(t, prev)
				if !SamePolicy(parsed, from) {
					t.Fatalf("the layout's text is not the policy:\n%s", prev)
				}
				to := from.Clone()
				e.edit(to)
				want := l.write(to, defIndent[l.name])
				got, ok := PatchPolicy([]byte(prev), parsed, to)
				if !ok {
					t.Fatalf("not patched:\n%s", prev)
				}
				if string(got) != want {
					t.Fatalf("patched:\n%q\nwant:\n%q", got, want)
				}
				r, err := RenderEdit([]byte(prev), parsed, to, func(b []byte) (*model.Policy, model.Diagnostics) { return ParsePolicy("p", b) }, MarshalPolicy)
				if err != nil || !r.Patched || string(r.Data) != want {
					t.Fatalf("RenderEdit: patched %v, err %v:\n%s", r.Patched, err, r.Data)
				}
			})
		}
	}
}

// TestPatchPolicyFallsBack: a text the patch cannot keep safely is
// rendered: a comment between scopes, a duplicate key, a key the model
// does not hold, a from that is not the text's; and a comment inside an
// untouched list, which the patch would keep, fails the safety net.
func TestPatchPolicyFallsBack(t *testing.T) {
	to := patchBase()
	to.Transports[0].Scopes[1].Requirements = reqs(`[{"type":"reject"}]`)
	one := layouts()[0]
	plain := one.write(patchBase(), "")
	cases := []struct {
		name, prev string
		from       *model.Policy
		patchOK    bool
	}{
		{"a comment between scopes", strings.Replace(plain, `,"b.example.com"`, `,/* b */"b.example.com"`, 1), patchBase(), false},
		{"a duplicate transport", strings.Replace(plain, `}}}`, `},"docker":{}}}`, 1), patchBase(), false},
		{"an unknown root key", strings.Replace(plain, `{"default"`, `{"x":1,"default"`, 1), patchBase(), false},
		{"from names other scopes", plain, &model.Policy{Default: reqs(`[{"type":"reject"}]`), Transports: []*model.Transport{{Name: "docker"}}}, false},
		{"a comment in an untouched list", strings.Replace(plain, `[{"type":"reject"}]}}}`, `[/* c */{"type":"reject"}]}}}`, 1), patchBase(), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := PatchPolicy([]byte(c.prev), c.from, to); ok != c.patchOK {
				t.Fatalf("PatchPolicy ok = %v, want %v", ok, c.patchOK)
			}
			r, err := RenderEdit([]byte(c.prev), c.from, to, func(b []byte) (*model.Policy, model.Diagnostics) { return ParsePolicy("p", b) }, MarshalPolicy)
			want, _ := MarshalPolicy(to)
			if err != nil || r.Patched || !bytes.Equal(r.Data, want) {
				t.Fatalf("RenderEdit: patched %v, err %v:\n%s", r.Patched, err, r.Data)
			}
		})
	}
}

// TestPatchPolicyCanonicalIsMarshalPolicy: on a file in imgtrust's own
// layout, every kind of edit gives MarshalPolicy's text, as before the
// patch existed.
func TestPatchPolicyCanonicalIsMarshalPolicy(t *testing.T) {
	bases := map[string]func() *model.Policy{"three scopes": patchBase,
		"default only": func() *model.Policy { return &model.Policy{Default: reqs(`[{"type":"reject"}]`)} },
		"an empty transport": func() *model.Policy {
			p := patchBase()
			p.Transports = append(p.Transports, &model.Transport{Name: "atomic"})
			return p
		}}
	extra := []struct {
		name string
		edit func(p *model.Policy)
	}{
		{"a scope into the last transport", func(p *model.Policy) {
			if len(p.Transports) == 0 {
				p.Transports = []*model.Transport{{Name: "docker"}}
			}
			t := p.Transports[len(p.Transports)-1]
			t.Scopes = append(t.Scopes, &model.Scope{Name: "n.example.com", Requirements: reqs(`[{"type":"reject"},{"type":"insecureAcceptAnything"}]`)})
		}},
		{"every scope removed", func(p *model.Policy) {
			for _, t := range p.Transports {
				t.Scopes = nil
			}
		}},
		{"an empty list", func(p *model.Policy) { p.Default = model.Requirements{} }},
	}
	for name, base := range bases {
		for _, e := range append(append(extra[:0:0], patchEdits...), extra...) {
			t.Run(name+"/"+e.name, func(t *testing.T) {
				from := base()
				if len(from.Transports) == 0 && e.name != "the default changed" && e.name != "a transport added" && e.name != "a scope into the last transport" && e.name != "an empty list" {
					t.Skip("the edit needs scopes")
				}
				prev, err := MarshalPolicy(from)
				if err != nil {
					t.Fatal(err)
				}
				to := from.Clone()
				e.edit(to)
				want, _ := MarshalPolicy(to)
				got, ok := PatchPolicy(prev, parseOK(t, string(prev)), to)
				if !ok || !bytes.Equal(got, want) {
					t.Fatalf("patched (ok %v):\n%s\nMarshalPolicy:\n%s", ok, got, want)
				}
			})
		}
	}
}

// randomEdit applies the edits prog describes to p, two bytes each: the
// kind of edit and where.
func randomEdit(p *model.Policy, prog []byte) {
	names := []string{"a.example.com", "b.example.com/x", "quay.io", "", "r.example.com:5000/ns", "*.example.com"}
	lists := []string{`[{"type":"reject"}]`, `[{"type":"insecureAcceptAnything"}]`, `[]`,
		`[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/pki/k.gpg","signedIdentity":{"type":"matchRepository"}}]`,
		`[{"type":"sigstoreSigned","keyPath":"/k.pub","signedIdentity":{"type":"remapIdentity","prefix":"a.example.com","signedPrefix":"b.example.com"}}]`}
	for len(prog) >= 2 {
		op, at := prog[0], int(prog[1])
		prog = prog[2:]
		if op%8 >= 6 || len(p.Transports) == 0 {
			switch op % 2 {
			case 0:
				p.Transports = append(p.Transports, &model.Transport{Name: []string{"docker", "atomic", "oci"}[at%3]})
			default:
				p.Default = reqs(lists[at%len(lists)])
			}
			continue
		}
		t := p.Transports[at%len(p.Transports)]
		n := len(t.Scopes)
		switch op % 8 {
		case 0: // a scope changed
			if n > 0 {
				t.Scopes[at%n].Requirements = reqs(lists[int(op/8)%len(lists)])
			}
		case 1, 2: // a scope added
			s := &model.Scope{Name: names[int(op/8)%len(names)], Requirements: reqs(lists[at%len(lists)])}
			if t.Scope(s.Name) != nil {
				s.Name += fmt.Sprint(len(t.Scopes))
			}
			k := at % (n + 1)
			t.Scopes = append(t.Scopes[:k:k], append([]*model.Scope{s}, t.Scopes[k:]...)...)
		case 3: // a scope removed
			if n > 0 {
				k := at % n
				t.Scopes = append(t.Scopes[:k:k], t.Scopes[k+1:]...)
			}
		case 4: // a scope moved
			if n > 1 {
				k := at % (n - 1)
				t.Scopes[k], t.Scopes[k+1] = t.Scopes[k+1], t.Scopes[k]
			}
		case 5: // a transport removed
			k := at % len(p.Transports)
			p.Transports = append(p.Transports[:k:k], p.Transports[k+1:]...)
		}
	}
}

// relayout writes a plain JSON text in another layout (0: as it is).
func relayout(text []byte, how byte) []byte {
	if how%6 == 0 || !json.Valid(text) {
		return text
	}
	var b bytes.Buffer
	switch how % 6 {
	case 1:
		_ = json.Compact(&b, text)
	case 2:
		_ = json.Indent(&b, text, "", "\t")
	case 3:
		_ = json.Indent(&b, text, "", "    ")
		return bytes.ReplaceAll(b.Bytes(), []byte("\n"), []byte("\r\n"))
	case 4:
		_ = json.Compact(&b, text)
		return spaced(b.Bytes())
	case 5:
		_ = json.Indent(&b, text, " ", " ")
	}
	return b.Bytes()
}

// FuzzRenderEditSafetyNet applies random model edits to random policies
// in random layouts: the text RenderEdit gives parses to the edited
// policy when it is a patch (and holds nothing more), and is the
// rendering when it is not; on a file in imgtrust's layout it is always
// MarshalPolicy's text.
func FuzzRenderEditSafetyNet(f *testing.F) {
	for i, s := range lazySeeds() {
		f.Add(s, byte(i), []byte{0, 1, 1, 0, 3, 2, 4, 1, 6, 0})
		f.Add(s, byte(i+1), []byte{8, 0, 16, 1, 24, 2, 7, 3})
	}
	f.Add([]byte(layouts()[0].write(patchBase(), "")), byte(0), []byte{9, 1, 17, 2, 4, 0, 3, 1, 7, 0, 13, 0})
	f.Fuzz(func(t *testing.T, seed []byte, how byte, prog []byte) {
		prev := relayout(seed, how)
		from, _ := ParsePolicy("p", prev)
		if from == nil {
			return
		}
		to := from.Clone()
		randomEdit(to, prog)
		parse := func(b []byte) (*model.Policy, model.Diagnostics) { return ParsePolicy("p", b) }
		r, err := RenderEdit(prev, from, to, parse, MarshalPolicy)
		want, wantErr := MarshalPolicy(to)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("error %v, MarshalPolicy's %v", err, wantErr)
		}
		if err != nil {
			return
		}
		if !r.Patched {
			if !bytes.Equal(r.Data, want) {
				t.Fatalf("the fallback is not the rendering:\n%s", r.Data)
			}
			return
		}
		got, diags := ParsePolicy("p", r.Data)
		if !SamePolicy(got, to) || TextOnlyProblems(diags) {
			t.Fatalf("the patch says something else than the staged policy:\n%s\nfrom\n%s", r.Data, prev)
		}
		// The definition of the same: the same MarshalPolicy text.
		if again, _ := MarshalPolicy(got); !bytes.Equal(again, want) {
			t.Fatalf("SamePolicy holds, the texts differ:\n%s\n%s", again, want)
		}
		// imgtrust's own layout stays imgtrust's.
		canon, _ := MarshalPolicy(from)
		if r, _ := RenderEdit(canon, parseOKOrNil(canon), to, parse, MarshalPolicy); !bytes.Equal(r.Data, want) {
			t.Fatalf("a file in imgtrust's layout, patched:\n%s\nMarshalPolicy:\n%s", r.Data, want)
		}
	})
}

func parseOKOrNil(text []byte) *model.Policy {
	p, _ := ParsePolicy("p", text)
	return p
}
