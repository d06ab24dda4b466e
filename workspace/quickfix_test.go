package workspace

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
)

// guideRepaired is the kiOS guide's policy with its "]]" made "}]": it
// parses, and a dozen errors remain, several with a quick fix.
func guideRepaired(t *testing.T) string {
	t.Helper()
	guide, err := os.ReadFile("../testdata/kios-guide-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(guide), `"reject"]]`, `"reject"}]`, 1)
	if s == string(guide) {
		t.Fatal(`the guide's policy no longer has "]]"`)
	}
	return s
}

// changedRange is the byte range of b that differs from a, with the
// common prefix and suffix taken away.
func changedRange(a, b []byte) (start, endA, endB int) {
	for start < len(a) && start < len(b) && a[start] == b[start] {
		start++
	}
	endA, endB = len(a), len(b)
	for endA > start && endB > start && a[endA-1] == b[endB-1] {
		endA--
		endB--
	}
	return start, endA, endB
}

// checkFixTouchesOnlyItsNode applies every quick fix offered for text, each
// from the same starting point, and checks that the staged text differs
// from text only inside the JSON string the diagnostic names (its line and
// column), and that the rest of the file is kept byte for byte: the
// guide's duplicate-"type" fix once dropped signedIdentity and keyData by
// re-rendering the whole policy.
func checkFixTouchesOnlyItsNode(t *testing.T, text string, mustKeep ...string) int {
	t.Helper()
	paths := newRoot(t, text)
	w, err := Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range w.Problems() {
		if d.Replacement == "" || d.Pos.File != paths.Policy {
			continue
		}
		n++
		if err := w.QuickFix(d); err != nil {
			t.Errorf("%s %s: %v", d.Pos, d.Message, err)
			continue
		}
		got, err := w.PolicyText()
		if err != nil {
			t.Fatal(err)
		}
		start, endOld, endNew := changedRange([]byte(text), got)
		// The named node is the string token at d.Pos.
		lines := strings.SplitAfter(text, "\n")
		off := d.Pos.Col - 1
		for _, l := range lines[:d.Pos.Line-1] {
			off += len(l)
		}
		if text[off] != '"' {
			t.Fatalf("%s: no string token at the diagnostic", d.Pos)
		}
		tokEnd := off + 1 + strings.IndexByte(text[off+1:], '"') + 1
		if start < off || endOld > tokEnd {
			t.Errorf("%s (%s): the fix changed bytes %d..%d, outside the token %d..%d it names",
				d.Pos, d.Message, start, endOld, off, tokEnd)
			w.Undo()
			continue
		}
		if want := `"` + d.Replacement + `"`; string(got[off:endNew+tokEnd-endOld]) != want {
			t.Errorf("%s: token became %q, want %q", d.Pos, got[off:endNew+tokEnd-endOld], want)
		}
		for _, keep := range mustKeep {
			if !bytes.Contains(got, []byte(keep)) {
				t.Errorf("%s: the fix dropped %s", d.Pos, keep)
			}
		}
		w.Undo()
	}
	return n
}

func TestGuideQuickFixesChangeOnlyWhatTheyName(t *testing.T) {
	if n := checkFixTouchesOnlyItsNode(t, guideRepaired(t), "signedIdentity", "keyData"); n < 2 {
		t.Fatalf("only %d quick fix(es) on the guide's policy; the duplicate \"type\" and the identity typo have one", n)
	}
}

// The duplicate "type": "GPGKeys" in the guide's rule becomes "keyType",
// and the rule keeps its keys and its (misspelt) identity: nothing else
// of the rule changes, and a second fix, on the staged text, still works.
func TestGuideDuplicateTypeFixKeepsTheRule(t *testing.T) {
	text := guideRepaired(t)
	paths := newRoot(t, text)
	w, err := Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	var dup *model.Diagnostic
	for _, d := range w.Problems() {
		if d.Code == "duplicate-key" && d.Replacement == "keyType" {
			dup = &d
			break
		}
	}
	if dup == nil {
		t.Fatal(`no quick fix for the duplicate "type"`)
	}
	if err := w.QuickFix(*dup); err != nil {
		t.Fatal(err)
	}
	got, _ := w.PolicyText()
	want := strings.Replace(text, `"type": "GPGKeys"`, `"keyType": "GPGKeys"`, 1)
	if string(got) != want {
		t.Fatalf("the fix changed more than the key:\n%s", got)
	}
	for _, d := range w.Problems() {
		if d.Code == "duplicate-key" {
			t.Errorf("still: %s", d.Message)
		}
		if d.Replacement != "" && d.Pos.Line > 0 {
			// Fixes offered after the first apply to the staged text.
			if err := w.QuickFix(d); err != nil {
				t.Errorf("second fix %s: %v", d.Pos, err)
			}
			break
		}
	}
	if err := w.Save("", true); err == nil {
		t.Fatal("the guide's policy still has errors (missing keys...) and was saved")
	}
}

// The property on many policies: every string token of the repository's
// sample policies, misspelt by swapping two adjacent letters, and every
// quick fix then offered changes only the token it names.
func TestQuickFixDiffTouchesOnlyNamedNode(t *testing.T) {
	fixes := 0
	for _, f := range []string{"../testdata/policies/full.json", "../testdata/policies/sigstore-newer.json"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(src)
		for i := 0; i < len(text); i++ {
			if text[i] != '"' {
				continue
			}
			j := i + 1 + strings.IndexByte(text[i+1:], '"')
			if j-i > 4 && j-i < 40 {
				b := []byte(text)
				b[i+2], b[i+3] = b[i+3], b[i+2]
				if b[i+2] != b[i+3] {
					fixes += checkFixTouchesOnlyItsNode(t, string(b))
				}
			}
			i = j
		}
	}
	if fixes < 10 {
		t.Fatalf("only %d quick fixes offered over the misspelt corpus; the property was hardly exercised", fixes)
	}
	t.Logf("%d quick fixes checked", fixes)
}
