package policyio

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestDeepNestingIsAnError: policy.json nested a million levels deep (in
// arrays, objects, or both) is an error diagnostic, not a stack overflow;
// brackets inside strings and comments do not count.
func TestDeepNestingIsAnError(t *testing.T) {
	for name, src := range map[string]string{
		"arrays":  strings.Repeat("[", 1_000_000),
		"objects": strings.Repeat(`{"a":`, 1_000_000),
		"mixed":   `{"default":` + strings.Repeat(`[{"x":`, 500_000),
	} {
		t.Run(name, func(t *testing.T) {
			_, diags := ParsePolicy("p", []byte(src))
			if !diags.HasErrors() || diags[0].Code != "too-deep" {
				t.Fatalf("got %v", diags)
			}
		})
	}
	deepString := `{"default":[{"type":"reject"}], "transports":{"docker":{"example.com/` + strings.Repeat("[", 20000) + `":[{"type":"reject"}]}}} // ` + strings.Repeat("{", 20000)
	_, diags := ParsePolicy("p", []byte(deepString))
	for _, d := range diags {
		if d.Code == "too-deep" {
			t.Fatal("brackets in a string or a comment counted as nesting")
		}
	}
	if got := jsonTooDeep([]byte(strings.Repeat("[", MaxJSONDepth)), MaxJSONDepth); got != -1 {
		t.Errorf("%d levels refused", MaxJSONDepth)
	}
}

// TestDiagnosticsBounded: a one-line policy.json with thousands of
// problems reports MaxDiagnostics of them, says how many more there are
// (as an error, since errors were among them), and each snippet shows a
// bounded window of the line, not the whole line.
func TestDiagnosticsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"default":[{"type":"reject"}]`)
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&b, `,"unknown%d":1`, i)
	}
	b.WriteString("}")
	src := []byte(b.String())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, diags := ParsePolicy("p", src)
	runtime.ReadMemStats(&after)
	if len(diags) != MaxDiagnostics+1 {
		t.Fatalf("%d diagnostics, want %d and a summary", len(diags), MaxDiagnostics)
	}
	last := diags[len(diags)-1]
	if last.Code != "more-problems" || !strings.Contains(last.Message, fmt.Sprintf("%d more problem(s)", 20000-MaxDiagnostics)) || !diags.HasErrors() {
		t.Errorf("summary %+v", last)
	}
	for _, d := range diags {
		if first, _, _ := strings.Cut(d.Snippet, "\n"); len(first) > 2*maxSnippetWidth+8 {
			t.Fatalf("snippet of %d bytes", len(first))
		}
	}
	// Each of the 200 snippets copying the 330 KB line would be 66 MB.
	if d := after.TotalAlloc - before.TotalAlloc; d > 40<<20 {
		t.Errorf("parsing allocated %d MB", d>>20)
	}
	// The caret stays under the column in a cut line.
	_, diags = ParsePolicy("p", []byte(`{"default":[{"type":"reject"}],`+strings.Repeat(" ", 500)+`"bad":1}`))
	line, caret, _ := strings.Cut(diags[0].Snippet, "\n")
	if i := len([]rune(caret)) - 1; !strings.HasPrefix(string([]rune(line)[i:]), `"bad"`) {
		t.Errorf("caret not under the problem:\n%s", diags[0].Snippet)
	}
}

// TestRegistriesDDeepNesting: a registries.d file nested a million levels
// deep is a YAML error (yaml.v3 stops at 10,000 levels), not a crash.
func TestRegistriesDDeepNesting(t *testing.T) {
	for name, src := range map[string]string{
		"flow-sequences": "docker: " + strings.Repeat("[", 1_000_000),
		"flow-mappings":  "docker: " + strings.Repeat("{a: ", 1_000_000),
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeDir(t, map[string]string{"a.yaml": src})
			_, diags := LoadRegistriesD(dir)
			if !diags.HasErrors() || diags[0].Code != "registriesd-yaml" {
				t.Fatalf("got %v", diags)
			}
		})
	}
}
