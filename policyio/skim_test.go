package policyio

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
)

// parseBoth parses data on the lazy path (as ParsePolicy does) and on the
// full one, and reports whether the lazy path kept the file.
func parseBoth(data []byte) (lazyPol, fullPol *model.Policy, lazyDiags, fullDiags model.Diagnostics, tookLazy bool) {
	d := &jsonDecoder{file: "p.json", src: data}
	lazyPol, lazyDiags = parsePolicy(d)
	fullPol, fullDiags = parsePolicy(&jsonDecoder{file: "p.json", src: data, full: true})
	return lazyPol, fullPol, lazyDiags, fullDiags, d.tookLazy
}

func samePolicies(t *testing.T, data []byte) bool {
	t.Helper()
	lp, fp, ld, fd, took := parseBoth(data)
	if !reflect.DeepEqual(ld, fd) {
		t.Fatalf("diagnostics differ:\nlazy:\n%s\nfull:\n%s", dump(ld), dump(fd))
	}
	if (lp == nil) != (fp == nil) {
		t.Fatalf("policy: lazy %v, full %v", lp != nil, fp != nil)
	}
	if lp != nil && fmt.Sprintf("%+v", describePolicy(lp)) != fmt.Sprintf("%+v", describePolicy(fp)) {
		t.Fatalf("policies differ:\nlazy: %+v\nfull: %+v", describePolicy(lp), describePolicy(fp))
	}
	return took
}

// describePolicy flattens a policy with every field and position.
func describePolicy(p *model.Policy) []string {
	out := []string{fmt.Sprintf("default@%v", p.DefaultPos)}
	req := func(r *model.Requirement) string {
		c := *r // pointers are printed by what they point to, below
		c.SignedIdentity, c.BaseLayerIdentity, c.Fulcio, c.PKI = nil, nil, nil, nil
		s := fmt.Sprintf("%+v", c)
		if r.SignedIdentity != nil {
			s += fmt.Sprintf(" id=%+v", *r.SignedIdentity)
		}
		if r.BaseLayerIdentity != nil {
			s += fmt.Sprintf(" base=%+v", *r.BaseLayerIdentity)
		}
		if r.Fulcio != nil {
			s += fmt.Sprintf(" fulcio=%+v", *r.Fulcio)
		}
		if r.PKI != nil {
			s += fmt.Sprintf(" pki=%+v", *r.PKI)
		}
		return s
	}
	for _, r := range p.Default {
		out = append(out, req(r))
	}
	for _, tr := range p.Transports {
		out = append(out, fmt.Sprintf("transport %q@%v", tr.Name, tr.Pos))
		for _, s := range tr.Scopes {
			out = append(out, fmt.Sprintf("scope %q@%v n=%d nil=%v", s.Name, s.Pos, len(s.Requirements), s.Requirements == nil))
			for _, r := range s.Requirements {
				out = append(out, req(r))
			}
		}
	}
	return out
}

// TestLazyParseMatchesFull: the lazy path gives the same policy and the
// same diagnostics (order, positions, the MaxDiagnostics cap) as hujson's
// tree of the whole file, and it is the path taken for plain JSON and for
// comments or trailing commas inside a scope's list; anything odd at the
// outer levels goes to the full path.
func TestLazyParseMatchesFull(t *testing.T) {
	const sig = `{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg","signedIdentity":{"type":"matchRepository"}}`
	many := func(n int, req string) string {
		var b strings.Builder
		b.WriteString(`{"default":[{"type":"reject"}],"transports":{"docker":{`)
		for i := range n {
			if i > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, `"r%d.example.com/app":[%s]`, i, req)
		}
		b.WriteString("}}}")
		return b.String()
	}
	cases := []struct {
		name string
		in   string
		lazy bool
	}{
		{"plain", `{"default":[{"type":"reject"}],"transports":{"docker":{"a.example.com":[` + sig + `],"b.example.com/x":[{"type":"insecureAcceptAnything"}]}}}`, true},
		{"white space everywhere", " \n{ \"default\" :\t[ {\"type\":\"reject\"} ] ,\r\n \"transports\" : { \"docker\" : { \"a.example.com\" : [ " + sig + " ] } } }\n", true},
		{"comment inside a scope's list", "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"a.example.com\":[ /* c */ " + sig + " // d\n]}}}", true},
		{"trailing comma inside a requirement", `{"default":[{"type":"reject",}],"transports":{"docker":{"a.example.com":[{"type":"reject"},]}}}`, true},
		{"comment holding brackets and quotes", "{\"default\":[{\"type\":\"reject\"} /* ]}\" */],\"transports\":{}}", true},
		{"semantic errors", `{"default":[],"transports":{"docker":{"a.example.com:5000/":[{"type":"signedBy"}],"":[{"type":"nope"}]},"dockr":{"x":[{"type":"reject"}]}},"extra":{"a":[1,2]}}`, true},
		{"no default", `{"transports":{"docker":{}}}`, true},
		{"default of the wrong kind", `{"default":5,"transports":null}`, true},
		{"transports of the wrong kind", `{"default":[{"type":"reject"}],"transports":[1]}`, true},
		{"strings with escapes in values", `{"default":[{"type":"reject"}],"transports":{"docker":{"a.example.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/\"gpg\"/\u006b.gpg"}]}}}`, true},
		{"empty object", `{}`, true},
		{"BOM", "\xef\xbb\xbf" + `{"default":[{"type":"reject"}]}`, true},
		{"BOM and a comment in a list", "\xef\xbb\xbf" + `{"default":[{"type":"reject"} /* c */]}`, true},
		{"more problems than the cap, with comments", many(MaxDiagnostics+20, `{"type":"reject"} /* c */`), true},
		{"more problems than the cap", many(MaxDiagnostics+20, `{"type":"signedBy"}`), true},
		{"a transport that is not an object", `{"default":[{"type":"reject"}],"transports":{"docker":[]}}`, false},
		{"comment at the top", "// c\n{\"default\":[{\"type\":\"reject\"}]}", false},
		{"comment between scopes", "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"a\":[{\"type\":\"reject\"}], /* c */ \"b\":[{\"type\":\"reject\"}]}}}", false},
		{"comment after a scope's list", "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"a\":[{\"type\":\"reject\"}] // c\n}}}", false},
		{"trailing comma between scopes", `{"default":[{"type":"reject"}],"transports":{"docker":{"a":[{"type":"reject"}],}}}`, false},
		{"duplicate scope", `{"default":[{"type":"reject"}],"transports":{"docker":{"a":[{"type":"reject"}],"a":[]}}}`, false},
		{"duplicate transport", `{"default":[{"type":"reject"}],"transports":{"docker":{},"docker":{}}}`, false},
		{"duplicate default", `{"default":[{"type":"reject"}],"default":[]}`, false},
		{"escape in a scope name", `{"default":[{"type":"reject"}],"transports":{"docker":{"a\u002eexample.com":[{"type":"reject"}]}}}`, false},
		{"syntax error in a scope's list", `{"default":[{"type":"reject"}],"transports":{"docker":{"a":[{"type":"reject"]}}}`, false},
		{"unterminated string in a list", `{"default":[{"type":"reject}]}`, false},
		{"text after the object", `{"default":[{"type":"reject"}]} x`, false},
		{"bare literal", `true`, false},
		{"truncated", `{"default":[{"type":"reject"}]`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if took := samePolicies(t, []byte(c.in)); took != c.lazy {
				t.Fatalf("lazy path taken: %v, want %v", took, c.lazy)
			}
		})
	}
	for _, c := range errorCases() {
		t.Run("error case "+c.name, func(t *testing.T) { samePolicies(t, []byte(c.in)) })
	}
}

func lazySeeds() [][]byte {
	files, _ := filepath.Glob("../testdata/policies/*.json")
	files = append(files, "../testdata/kios-guide-policy.json")
	var out [][]byte
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil {
			out = append(out, data)
		}
	}
	for _, c := range errorCases() {
		out = append(out, []byte(c.in))
	}
	return out
}

// TestLazyParseMatchesFullOnFiles: the repository's policies parse the
// same on both paths, and those in plain JSON on the lazy one (the guide's
// has comments between scopes).
func TestLazyParseMatchesFullOnFiles(t *testing.T) {
	files, _ := filepath.Glob("../testdata/policies/*.json")
	files = append(files, "../testdata/kios-guide-policy.json")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if took := samePolicies(t, data); !took && json.Valid(data) {
				t.Fatal("the full path was taken for a plain file")
			}
		})
	}
}

// FuzzLazyParseMatchesFull: whatever the input, both paths agree.
func FuzzLazyParseMatchesFull(f *testing.F) {
	for _, s := range lazySeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { samePolicies(t, data) })
}
