package model

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// linearScope is the definition Scope must agree with: the first scope of
// that name in file order.
func linearScope(t *Transport, name string) *Scope {
	for _, s := range t.Scopes {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// TestScopeIndexFollowsEdits: after each kind of change — through the
// model's methods or to the Scopes slice directly — Scope finds exactly
// what a linear scan finds, for every name used before or after.
func TestScopeIndexFollowsEdits(t *testing.T) {
	names := []string{"a.example", "b.example", "c.example", "d.example", "renamed", "new", ""}
	steps := []struct {
		name string
		do   func(p *Policy, tr *Transport)
	}{
		{"SetScope adds", func(p *Policy, _ *Transport) { p.SetScope("docker", "new", Requirements{{Type: Reject}}) }},
		{"SetScope replaces", func(p *Policy, _ *Transport) { p.SetScope("docker", "b.example", Requirements{{Type: Reject}}) }},
		{"appended to the slice", func(_ *Policy, tr *Transport) { tr.Scopes = append(tr.Scopes, &Scope{Name: "d.example"}) }},
		{"deleted from the slice", func(_ *Policy, tr *Transport) { tr.Scopes = slices.Delete(tr.Scopes, 0, 1) }},
		{"slice replaced", func(_ *Policy, tr *Transport) {
			tr.Scopes = []*Scope{{Name: "c.example"}, {Name: "a.example"}, {Name: "b.example"}}
		}},
		{"RemoveScope", func(p *Policy, _ *Transport) { p.RemoveScope("docker", "b.example") }},
		{"RenameScope", func(_ *Policy, tr *Transport) { tr.RenameScope("a.example", "renamed") }},
		{"renamed in place, then Reindex", func(_ *Policy, tr *Transport) { tr.Scopes[0].Name = "c.example"; tr.Reindex() }},
		{"duplicate name: the first wins", func(_ *Policy, tr *Transport) {
			tr.Scopes = append(tr.Scopes, &Scope{Name: "c.example"}, &Scope{Name: ""})
		}},
		{"renamed in place, looked up by new name's old holder", func(_ *Policy, tr *Transport) { tr.Scopes[0].Name = "zzz" }},
	}
	p := &Policy{}
	for _, n := range []string{"a.example", "b.example", "c.example"} {
		p.SetScope("docker", n, Requirements{{Type: InsecureAcceptAnything}})
	}
	for _, st := range steps {
		tr := p.Transport("docker")
		_ = tr.Scope("a.example") // build the index before the change
		st.do(p, tr)
		tr = p.Transport("docker")
		if tr == nil {
			t.Fatalf("%s: transport gone", st.name)
		}
		for _, n := range names {
			if got, want := tr.Scope(n), linearScope(tr, n); got != want {
				t.Errorf("%s: Scope(%q) = %v, want %v", st.name, n, got, want)
			}
		}
	}
}

// TestScopeConcurrentReaders: a verify batch reads one policy from many
// goroutines; the lazily built index must be safe for that (run with
// -race to see it).
func TestScopeConcurrentReaders(t *testing.T) {
	p := &Policy{}
	for i := range 100 {
		p.SetScope("docker", fmt.Sprintf("r%d.example", i), Requirements{{Type: Reject}})
	}
	p.Transport("docker").Scopes = append(p.Transport("docker").Scopes, &Scope{Name: "late"})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				name := fmt.Sprintf("r%d.example", (i+g)%100)
				if s := p.Transport("docker").Scope(name); s == nil || s.Name != name {
					t.Errorf("Scope(%q) = %v", name, s)
				}
			}
			if p.Transport("docker").Scope("late") == nil {
				t.Error("late scope not found")
			}
		})
	}
	wg.Wait()
}

// BenchmarkScopeLookup: the cost of one lookup does not grow with the
// number of scopes.
func BenchmarkScopeLookup(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			p := &Policy{}
			for i := range n {
				p.SetScope("docker", fmt.Sprintf("r%d.example", i), nil)
			}
			tr := p.Transport("docker")
			i := 0
			for b.Loop() {
				if tr.Scope(fmt.Sprintf("r%d.example", i%n)) == nil {
					b.Fatal("missing")
				}
				i += 7919
			}
		})
	}
}

// TestSortedOrder: Sorted orders by severity (errors first), file, line
// and column, keeps the input order among equals and leaves its input
// alone.
func TestSortedOrder(t *testing.T) {
	in := Diagnostics{
		{Severity: Warning, Code: "w1", Pos: Pos{File: "b", Line: 2}},
		{Severity: Error, Code: "e1", Pos: Pos{File: "b", Line: 9}},
		{Severity: Warning, Code: "w2", Pos: Pos{File: "a", Line: 5, Col: 3}},
		{Severity: Warning, Code: "w3", Pos: Pos{File: "a", Line: 5, Col: 1}},
		{Severity: Error, Code: "e2", Pos: Pos{File: "a", Line: 1}},
		{Severity: Warning, Code: "w4", Pos: Pos{File: "b", Line: 2}},
		{Severity: Info, Code: "i1"},
	}
	var got []string
	for _, d := range in.Sorted() {
		got = append(got, d.Code)
	}
	if want := []string{"e2", "e1", "w3", "w2", "w1", "w4", "i1"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if in[0].Code != "w1" || in[6].Code != "i1" {
		t.Error("the input was reordered")
	}
	if Diagnostics(nil).Sorted() != nil || (Diagnostics{}).Sorted() != nil {
		t.Error("an empty list sorts to a non-nil one")
	}
}

// TestSortedIsStableOnLargeLists: past the few elements an insertion sort
// handles, Sorted still keeps equal diagnostics in input order (it sorts
// with the index as the last key): the same order as a stable sort.
func TestSortedIsStableOnLargeLists(t *testing.T) {
	sevs := []Severity{Error, Warning, Info}
	in := make(Diagnostics, 5000)
	x := uint32(1)
	for i := range in {
		x = x*1664525 + 1013904223
		in[i] = Diagnostic{Severity: sevs[x>>30%3], Code: fmt.Sprint(i),
			Pos: Pos{File: []string{"a", "b"}[x>>20%2], Line: int(x >> 8 % 7), Col: int(x >> 4 % 2)}}
	}
	want := slices.Clone(in)
	slices.SortStableFunc(want, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), strings.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	got := in.Sorted()
	for i := range want {
		if got[i].Code != want[i].Code {
			t.Fatalf("at %d: %s, want %s (equal diagnostics out of input order)", i, got[i].Code, want[i].Code)
		}
	}
}
