package policyio

import (
	"os"
	"strings"
	"testing"
)

func TestStripComments(t *testing.T) {
	guide, err := os.ReadFile("../testdata/kios-guide-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := StripComments(guide); err == nil {
		t.Fatal(`the guide's "]]" was accepted`)
	}
	src := []byte(strings.Replace(string(guide), `"reject"]]`, `"reject"}]`, 1))
	out, err := StripComments(src)
	if err != nil {
		t.Fatal(err)
	}
	_, diags := ParsePolicy("p", out)
	for _, d := range diags {
		if d.Code == "comment" || d.Code == "trailing-comma" || d.Code == "syntax" {
			t.Errorf("left: %s", d)
		}
	}
	// Lines are kept: every diagnostic other than comments stays where it was.
	if strings.Count(string(out), "\n") != strings.Count(string(src), "\n") {
		t.Error("line count changed")
	}
	if !strings.Contains(string(out), `"signedIdentity"`) || !strings.Contains(string(out), `"keyData"`) {
		t.Error("content other than comments was lost")
	}
}
