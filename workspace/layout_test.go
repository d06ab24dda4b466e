package workspace

import (
	"os"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
)

// diffBody is the +/- lines of a unified diff, without its headers.
func diffBody(diff string) []string {
	var out []string
	for _, l := range strings.Split(diff, "\n") {
		if strings.HasPrefix(l, "+++") || strings.HasPrefix(l, "---") {
			continue
		}
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-") {
			out = append(out, l)
		}
	}
	return out
}

// TestSaveKeepsHandWrittenLayout: a one-scope edit of a policy.json laid
// out by hand (two-space, tabs, CRLF, lists on one line) shows in the save
// review as that scope's lines alone, and the save writes the file with
// only those bytes changed (through Apply in a temp root).
func TestSaveKeepsHandWrittenLayout(t *testing.T) {
	const sig = `[{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/gpg/k.gpg"}]`
	cases := []struct {
		name, file string
		edit       func(p *model.Policy)
		// old and new are the file's lines the edit changes.
		old, new []string
	}{
		{"2-space, a scope changed",
			"{\n  \"default\": [{\"type\": \"reject\"}],\n  \"transports\": {\n    \"docker\": {\n      \"a.example.com\": " + sig + ",\n      \"b.example.com\": [{\"type\": \"reject\"}],\n      \"c.example.com\": " + sig + "\n    }\n  }\n}\n",
			func(p *model.Policy) {
				p.Transport("docker").Scope("b.example.com").Requirements = model.Requirements{{Type: model.InsecureAcceptAnything}}
			},
			[]string{`      "b.example.com": [{"type": "reject"}],`}, []string{`      "b.example.com": [{"type": "insecureAcceptAnything"}],`}},
		{"tabs, a scope added",
			"{\n\t\"default\": [{\"type\": \"reject\"}],\n\t\"transports\": {\n\t\t\"docker\": {\n\t\t\t\"a.example.com\": " + sig + "\n\t\t}\n\t}\n}\n",
			func(p *model.Policy) {
				p.SetScope("docker", "b.example.com", model.Requirements{{Type: model.Reject}})
			},
			[]string{"\t\t\t\"a.example.com\": " + sig}, []string{"\t\t\t\"a.example.com\": " + sig + ",", "\t\t\t\"b.example.com\": [{\"type\": \"reject\"}]"}},
		{"CRLF, a scope removed",
			"{\r\n  \"default\": [{\"type\": \"reject\"}],\r\n  \"transports\": {\r\n    \"docker\": {\r\n      \"a.example.com\": " + sig + ",\r\n      \"b.example.com\": [{\"type\": \"reject\"}],\r\n      \"c.example.com\": " + sig + "\r\n    }\r\n  }\r\n}\r\n",
			func(p *model.Policy) { p.RemoveScope("docker", "b.example.com") },
			[]string{"      \"b.example.com\": [{\"type\": \"reject\"}],\r"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			paths := newRoot(t, c.file)
			os.MkdirAll(paths.KeysDir, 0o755)
			w, err := Open(paths)
			if err != nil {
				t.Fatal(err)
			}
			w.Edit(c.name, c.edit)
			rev, err := w.Review()
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, l := range c.old {
				want = append(want, "-"+l)
			}
			for _, l := range c.new {
				want = append(want, "+"+l)
			}
			if got := diffBody(rev.Diff); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("the review's diff changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if _, err := w.Apply(ApplyOptions{AllowWeaken: true}); err != nil {
				t.Fatal(err)
			}
			written, _ := os.ReadFile(paths.Policy)
			wantFile := strings.Replace(c.file, strings.Join(c.old, "\n")+"\n", strings.Join(c.new, "\n"), 1)
			if len(c.new) > 0 {
				wantFile = strings.Replace(c.file, strings.Join(c.old, "\n"), strings.Join(c.new, "\n"), 1)
			}
			if string(written) != wantFile {
				t.Fatalf("written:\n%q\nwant:\n%q", written, wantFile)
			}
			if string(written) != string(rev.Files[0].New) {
				t.Fatal("the file written is not the one the review showed")
			}
		})
	}
}

// TestStagedEditsPatchTheStagedText: each edit patches the text of the
// one before — through Undo, a raw edit and a key-file-only edit — so the
// staged text stays in the file's layout.
func TestStagedEditsPatchTheStagedText(t *testing.T) {
	const file = `{"default":[{"type":"reject"}],"transports":{"docker":{"a.example.com":[{"type":"reject"}]}}}`
	w, err := Open(newRoot(t, file))
	if err != nil {
		t.Fatal(err)
	}
	set := func(name string, typ model.RequirementType) func(p *model.Policy) {
		return func(p *model.Policy) { p.SetScope("docker", name, model.Requirements{{Type: typ}}) }
	}
	text := func() string {
		t.Helper()
		b, err := w.PolicyText()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	w.Edit("b", set("b.example.com", model.Reject))
	w.Edit("c", set("c.example.com", model.Reject)) // no render between the two
	w.Edit("d", set("d.example.com", model.Reject))
	w.Undo()
	if got, want := text(), `{"default":[{"type":"reject"}],"transports":{"docker":{"a.example.com":[{"type":"reject"}],"b.example.com":[{"type":"reject"}],"c.example.com":[{"type":"reject"}]}}}`; got != want {
		t.Fatalf("after undo:\n%s\nwant:\n%s", got, want)
	}
	raw := `{"default": [{"type": "reject"}], "transports": {"docker": {"a.example.com": [{"type": "reject"}]}}}`
	if err := w.StageRaw("", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	w.Edit("e", set("e.example.com", model.InsecureAcceptAnything))
	if got, want := text(), `{"default": [{"type": "reject"}], "transports": {"docker": {"a.example.com": [{"type": "reject"}], "e.example.com": [{"type": "insecureAcceptAnything"}]}}}`; got != want {
		t.Fatalf("after a raw edit:\n%s\nwant:\n%s", got, want)
	}
	ch, err := w.PolicyChange()
	if err != nil || ch == nil || string(ch.New) != text() {
		t.Fatalf("the change writes another text than the staged one: %v\n%s", err, ch.New)
	}
}

// TestCommentedFileIsRendered: comments make the runtime refuse the
// file, so a save never writes them: a tree edit of a file with comments
// renders the policy (as before), says so (DropsComments), and saves.
func TestCommentedFileIsRendered(t *testing.T) {
	for name, file := range map[string]string{
		"between keys":  "{\n  // who may pull\n  \"default\": [{\"type\": \"reject\"}],\n  \"transports\": {\"docker\": {\"a.example.com\": [{\"type\": \"reject\"}]}}\n}\n",
		"inside a list": "{\n  \"default\": [{\"type\": \"reject\"}],\n  \"transports\": {\"docker\": {\"a.example.com\": [/* ours */ {\"type\": \"reject\"}]}}\n}\n",
	} {
		t.Run(name, func(t *testing.T) {
			paths := newRoot(t, file)
			w, err := Open(paths)
			if err != nil {
				t.Fatal(err)
			}
			w.Edit("b", func(p *model.Policy) { p.SetScope("docker", "b.example.com", model.Requirements{{Type: model.Reject}}) })
			ch, err := w.PolicyChange()
			if err != nil || ch == nil || !ch.DropsComments || strings.Contains(string(ch.New), "/") {
				t.Fatalf("change: %v %+v", err, ch)
			}
			if _, err := w.Apply(ApplyOptions{AllowWeaken: true}); err != nil {
				t.Fatal(err)
			}
			if written, _ := os.ReadFile(paths.Policy); strings.Contains(string(written), "/") {
				t.Fatalf("written:\n%s", written)
			}
		})
	}
}

// TestQuickFixKeepsLayout: a quick fix is a byte edit of the file, and
// the save writes the fixed text as it is, not re-rendered.
func TestQuickFixKeepsLayout(t *testing.T) {
	const file = "{\n  \"default\": [{\"type\": \"reject\"}],\n  \"transports\": {\"docker\": {\n    \"a.example.com\": [{\"type\": \"rejectt\"}],\n    \"b.example.com\": [{\"type\": \"reject\"}]\n  }}\n}\n"
	paths := newRoot(t, file)
	w, err := Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	var fixed bool
	for _, d := range w.Problems() {
		if len(d.Fixes) > 0 && strings.Contains(d.Fixes[0].Title, `"reject"`) {
			if err := w.QuickFix(d); err != nil {
				t.Fatal(err)
			}
			fixed = true
			break
		}
	}
	if !fixed {
		t.Fatalf("no quick fix for the type: %v", w.Problems())
	}
	if _, err := w.Apply(ApplyOptions{AllowWeaken: true}); err != nil {
		t.Fatal(err)
	}
	if written, _ := os.ReadFile(paths.Policy); string(written) != strings.Replace(file, "rejectt", "reject", 1) {
		t.Fatalf("written:\n%s", written)
	}
}
