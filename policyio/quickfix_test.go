package policyio

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
	"github.com/tailscale/hujson"
)

// leaves flattens a hujson text into "path=value" lines, one per scalar
// and per empty object or array, duplicates kept (a duplicate key is two
// lines): the nodes a fix may change are compared on these.
func leaves(t *testing.T, src []byte) []string {
	t.Helper()
	v, err := hujson.Parse(src)
	if err != nil {
		t.Fatalf("the fixed text does not parse: %v\n%s", err, src)
	}
	var out []string
	var walk func(path string, v *hujson.Value)
	walk = func(path string, v *hujson.Value) {
		switch c := v.Value.(type) {
		case *hujson.Object:
			if len(c.Members) == 0 {
				out = append(out, path+"={}")
			}
			for i := range c.Members {
				walk(joinPath(path, litString(c.Members[i].Name.Value)), &c.Members[i].Value)
			}
		case *hujson.Array:
			if len(c.Elements) == 0 {
				out = append(out, path+"=[]")
			}
			for i := range c.Elements {
				walk(fmt.Sprintf("%s[%d]", path, i), &c.Elements[i])
			}
		case hujson.Literal:
			out = append(out, path+"="+string(c))
		}
	}
	walk("", &v)
	slices.Sort(out)
	return out
}

// changedLeaves is the symmetric difference of two sorted multisets.
func changedLeaves(a, b []string) []string {
	var out []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, "-"+a[i])
			i++
		case i >= len(a) || b[j] < a[i]:
			out = append(out, "+"+b[j])
			j++
		default:
			i++
			j++
		}
	}
	return out
}

func underNode(leaf string, nodes []string) bool {
	path, _, _ := strings.Cut(leaf[1:], "=")
	for _, n := range nodes {
		if path == n || strings.HasPrefix(path, n+".") || strings.HasPrefix(path, n+"[") {
			return true
		}
	}
	return false
}

// checkFixes applies every quick fix of every diagnostic of src, each from
// src, and checks that the text parses and that every node that changed is
// one the fix names (a comment or comma fix names none: the tree stays
// the same). It returns how many fixes it checked.
func checkFixes(t *testing.T, name string, src []byte) int {
	t.Helper()
	_, diags := ParsePolicy("p", src)
	before := leaves(t, src)
	n := 0
	for _, d := range diags {
		for _, fix := range d.Fixes {
			n++
			out, err := ApplyFix(src, fix)
			if err != nil {
				t.Errorf("%s: %s: %q: %v", name, d.Pos, fix.Title, err)
				continue
			}
			for _, c := range changedLeaves(before, leaves(t, out)) {
				if !underNode(c, fix.Nodes) {
					t.Errorf("%s: %s (%s): fix %q changed %s, which it does not name (%v)\n%s", name, d.Pos, d.Message, fix.Title, c, fix.Nodes, out)
				}
			}
			// The problem the fix is for is gone: fewer of its kind.
			_, after := ParsePolicy("p", out)
			if countCode(after, d.Code) >= countCode(diags, d.Code) {
				t.Errorf("%s: %s: fix %q left every %q problem", name, d.Pos, fix.Title, d.Code)
			}
		}
	}
	return n
}

func guideText(t *testing.T) []byte {
	t.Helper()
	guide, err := os.ReadFile("../testdata/kios-guide-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	return guide
}

// Every quick fix the kiOS guide's example is offered, before and after
// its syntax error is fixed, keeps the rest of the rule: the duplicate
// "type" fix once dropped signedIdentity and keyData.
func TestGuideEveryQuickFix(t *testing.T) {
	guide := guideText(t)
	_, diags := ParsePolicy("p", guide)
	if len(diags) != 1 || len(diags[0].Fixes) != 1 {
		t.Fatalf("the guide's syntax error: want one diagnostic with one fix, got %v", diags)
	}
	fixed, err := ApplyFix(guide, diags[0].Fixes[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(string(guide), `"reject"]]`, `"reject"}]`, 1); string(fixed) != want {
		t.Fatalf("the syntax fix wrote:\n%s", fixed)
	}
	want := map[string]int{ // code -> how many fixes each diagnostic offers
		"comment":               2, // this one, or every one
		"keytype-missing":       1,
		"duplicate-key":         1, // the rename to keyType
		"signedby-many-keys":    3, // keep keyPath, keyPaths or keyData
		"unknown-identity-type": 1,
	}
	_, diags = ParsePolicy("p", fixed)
	for _, d := range diags {
		if w, ok := want[d.Code]; ok && len(d.Fixes) != w {
			t.Errorf("%s %s: %d fixes, want %d: %v", d.Pos, d.Message, len(d.Fixes), w, d.Fixes)
		}
	}
	if n := checkFixes(t, "guide", fixed); n < 15 {
		t.Errorf("only %d fixes checked on the guide", n)
	}
}

// Applying a fix of each kind in turn (what an admin does in the editor)
// leaves only the problems no text edit can settle: missing key files,
// invalid keyData when it is kept.
func TestGuideRepairedByFixesAlone(t *testing.T) {
	src := guideText(t)
	choose := func(d model.Diagnostic) int {
		for i, f := range d.Fixes {
			if strings.HasPrefix(f.Title, "keep keyPaths") {
				return i
			}
		}
		return 0
	}
	for step := 0; step < 30; step++ {
		_, diags := ParsePolicy("p", src)
		var d *model.Diagnostic
		for i := range diags {
			if len(diags[i].Fixes) > 0 {
				d = &diags[i]
				break
			}
		}
		if d == nil {
			if diags.HasErrors() {
				t.Fatalf("errors left without a fix: %v", diags)
			}
			p, _ := ParsePolicy("p", src)
			r := p.Transport("docker").Scope("example.com").Requirements[0]
			if r.KeyType != "GPGKeys" || len(r.KeyPaths) != 2 || r.KeyPath != "" || r.KeyData != nil || r.SignedIdentity == nil || r.SignedIdentity.Type != model.MatchRepository {
				t.Fatalf("the repaired rule is not the one meant: %+v\n%s", r, src)
			}
			return
		}
		var err error
		if src, err = ApplyFix(src, d.Fixes[choose(*d)]); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("still not repaired after 30 fixes:\n%s", src)
}

// The property: random damage of the kind hand edits do (comments,
// trailing commas, misspelt types, a lost keyType, several key sources,
// duplicate keys) to the repository's policies, and every fix then
// offered changes only the nodes it names.
func TestQuickFixChangesOnlyNamedNodes(t *testing.T) {
	var corpus [][]byte
	for _, f := range []string{"../testdata/policies/full.json", "../testdata/policies/sigstore-newer.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		corpus = append(corpus, b)
	}
	damage := []func(r *rand.Rand, s string) string{
		func(r *rand.Rand, s string) string { return insertAt(r, s, ",\n", "\n/* note */\n") },
		func(r *rand.Rand, s string) string { return insertAt(r, s, ",\n", " // note\n") },
		func(r *rand.Rand, s string) string { return replaceNth(r, s, "}\n", ",}\n") },
		func(r *rand.Rand, s string) string { return replaceNth(r, s, `"]`, `",]`) },
		func(r *rand.Rand, s string) string { return replaceNth(r, s, `"signedBy"`, `"signedBi"`) },
		func(r *rand.Rand, s string) string {
			return replaceNth(r, s, `"matchRepository"`, `"matchRespository"`)
		},
		func(r *rand.Rand, s string) string { return replaceNth(r, s, `"exactReference"`, `"exactRefrence"`) },
		func(r *rand.Rand, s string) string { return replaceNth(r, s, `"keyType": "GPGKeys",`, ``) },
		func(r *rand.Rand, s string) string {
			return replaceNth(r, s, `"keyType": "GPGKeys"`, `"type": "GPGKeys"`)
		},
		func(r *rand.Rand, s string) string {
			return replaceNth(r, s, `"keyPath": `, `"keyData": "aGVsbG8=", "keyPaths": ["/etc/gpg/x.gpg"], "keyPath": `)
		},
		func(r *rand.Rand, s string) string {
			return replaceNth(r, s, `"keyPath": `, `"keyPath": "/etc/gpg/dup.gpg", "keyPath": `)
		},
	}
	r := rand.New(rand.NewPCG(13, 2))
	fixes := 0
	for i := 0; i < 300; i++ {
		s := string(corpus[r.IntN(len(corpus))])
		for k := 1 + r.IntN(3); k > 0; k-- {
			s = damage[r.IntN(len(damage))](r, s)
		}
		if _, err := hujson.Parse([]byte(s)); err != nil {
			continue
		}
		fixes += checkFixes(t, fmt.Sprintf("case %d", i), []byte(s))
	}
	if fixes < 300 {
		t.Fatalf("only %d fixes over the damaged corpus: the property was hardly exercised", fixes)
	}
	t.Logf("%d quick fixes checked", fixes)
}

func replaceNth(r *rand.Rand, s, old, repl string) string {
	n := strings.Count(s, old)
	if n == 0 {
		return s
	}
	k := r.IntN(n)
	at := 0
	for ; k >= 0; k-- {
		i := strings.Index(s[at:], old)
		at += i
		if k > 0 {
			at += len(old)
		}
	}
	return s[:at] + repl + s[at+len(old):]
}

func insertAt(r *rand.Rand, s, after, text string) string {
	return replaceNth(r, s, after, after[:len(after)-1]+text)
}

func countCode(ds model.Diagnostics, code string) int {
	n := 0
	for _, d := range ds {
		if d.Code == code {
			n++
		}
	}
	return n
}
