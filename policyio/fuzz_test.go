package policyio

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParsePolicy: any input either parses or yields diagnostics, never a
// panic; and whatever parses without errors survives a write and a read
// unchanged and error-free (the writer never produces an invalid file).
func FuzzParsePolicy(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/policies/*.json")
	seeds = append(seeds, "../testdata/kios-guide-policy.json")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	for _, c := range errorCases() {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, diags := ParsePolicy("fuzz.json", data)
		if p == nil && len(diags) == 0 {
			t.Fatal("no policy and no diagnostics")
		}
		for _, d := range diags {
			if d.Message == "" || d.Code == "" {
				t.Fatalf("diagnostic without message or code: %+v", d)
			}
		}
		if p == nil || diags.HasErrors() {
			return
		}
		out, err := MarshalPolicy(p)
		if err != nil {
			t.Fatal(err)
		}
		p2, d2 := ParsePolicy("written.json", out)
		if d2.HasErrors() {
			t.Fatalf("valid input written as an invalid file:\n%s\n%s", dump(d2), out)
		}
		again, _ := MarshalPolicy(p2)
		if string(again) != string(out) {
			t.Fatalf("write is not stable:\n%s\n%s", out, again)
		}
	})
}
