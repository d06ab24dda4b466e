package ui

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/workspace"
)

func bigPolicy(n int) string {
	var b strings.Builder
	b.WriteString(`{"default": [{"type": "reject"}], "transports": {"docker": {`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"registry%d.example.com/team%d": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/gpg/release.gpg", "signedIdentity": {"type": "matchRepository"}}]`, i, i)
	}
	b.WriteString("}}}\n")
	return b.String()
}

// BenchmarkPolicyView1000 renders one frame of the Policy view of a
// 1,000-scope policy with a scope in the middle selected (target: < 5 ms).
func BenchmarkPolicyView1000(b *testing.B) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			m, _, _, _ := newTestModel(b, bigPolicy(1000), sz[0], sz[1])
			m.switchView(vPolicy)
			m.pol.cursor = 500
			if !strings.Contains(screen(m), "registry498.example.com") {
				b.Fatalf("unexpected screen:\n%s", screen(m))
			}
			b.ResetTimer()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkPolicyViewHugeScope renders a frame of the Policy view with a
// 5 MB docker scope selected (the runtime accepts any scope string): each
// value is measured and wrapped only as far as a pane can show it
// (5.6 s a frame when the whole name was; now milliseconds).
func BenchmarkPolicyViewHugeScope(b *testing.B) {
	pol := `{"default":[{"type":"reject"}],"transports":{"docker":{"a.example.com/` + strings.Repeat("x", 5<<20) + `":[{"type":"insecureAcceptAnything"}]}}}`
	m, _, _, _ := newTestModel(b, pol, 80, 24)
	m.switchView(vPolicy)
	m.pol.cursor = 2
	if !strings.Contains(screen(m), "docker:a.example.com/xxx") {
		b.Fatalf("unexpected screen:\n%s", screen(m))
	}
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkPolicyMove1000 is a keypress plus the frame it causes.
func BenchmarkPolicyMove1000(b *testing.B) {
	m, _, _, _ := newTestModel(b, bigPolicy(1000), 80, 24)
	m.switchView(vPolicy)
	down, up := kp("j"), kp("k")
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			m.Update(down)
		} else {
			m.Update(up)
		}
		i++
		_ = m.View()
	}
}

// BenchmarkStagedEdit is one staged edit (a scope moved down) of a policy
// of 1,000, 10,000 and 30,000 scopes: the edit, revalidation, the diff for
// the header, and the next frame. Its growth exponent (bench/growth) must
// stay at or under 1.05.
func BenchmarkStagedEdit(b *testing.B) { runOps(b, "StagedEdit", 1000, 10000, 30000) }

// BenchmarkStagedEditSaved is BenchmarkStagedEdit on a policy.json in
// imgtrust's own layout, as it is once imgtrust has saved it: the diff then
// holds the lines the edit moved instead of a reformat of the whole file
// (bigPolicy is one line).
func BenchmarkStagedEditSaved(b *testing.B) { runOps(b, "StagedEditSaved", 1000, 10000, 30000) }

// BenchmarkFirstFrame is the TUI's start on a policy of 1,000 and 10,000
// scopes: the model built from a freshly opened workspace and its first
// frame (target: within one load plus one frame, BenchmarkLoadAndFrame).
func BenchmarkFirstFrame(b *testing.B) { runOps(b, "FirstFrame", 1000, 10000) }

// BenchmarkLoadAndFrame is the yardstick of BenchmarkFirstFrame and
// BenchmarkStagedEdit: one load of the policy (read, parse, validate) plus
// one frame of a model already built.
func BenchmarkLoadAndFrame(b *testing.B) { runOps(b, "LoadAndFrame", 1000, 10000) }

// opSetups build, for n scopes, what one op of each benchmark above works
// on, and return the op. The benchmarks and TestOpsForInstructionCounts
// share them, so that both run the same set-up and the same op.
var opSetups = map[string]func(tb testing.TB, n int) func() error{
	"StagedEdit": func(tb testing.TB, n int) func() error {
		m, _, _, _ := newTestModel(tb, bigPolicy(n), 80, 24)
		m.switchView(vPolicy)
		m.pol.cursor = n / 2
		return func() error { benchOpStagedEdit(m); return nil }
	},
	"StagedEditSaved": func(tb testing.TB, n int) func() error {
		pol, diags := policyio.ParsePolicy("p", []byte(bigPolicy(n)))
		if diags.HasErrors() {
			tb.Fatal(diags)
		}
		saved, err := policyio.MarshalPolicy(pol)
		if err != nil {
			tb.Fatal(err)
		}
		m, _, _, _ := newTestModel(tb, string(saved), 80, 24)
		m.switchView(vPolicy)
		m.pol.cursor = n / 2
		return func() error { benchOpStagedEdit(m); return nil }
	},
	"FirstFrame": func(tb testing.TB, n int) func() error {
		d, _, _, _ := testDeps(tb, bigPolicy(n))
		return func() error { return benchOpFirstFrame(d) }
	},
	"LoadAndFrame": func(tb testing.TB, n int) func() error {
		m, _, _, _ := newTestModel(tb, bigPolicy(n), 80, 24)
		m.switchView(vPolicy)
		m.pol.cursor = n / 2
		return func() error { return benchOpLoadAndFrame(m) }
	},
}

// runOps runs the op called name at each size as a sub-benchmark, with
// the CPU time per op.
func runOps(b *testing.B, name string, sizes ...int) {
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			op := opSetups[name](b, n)
			cpu := processCPU()
			for b.Loop() {
				if err := op(); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// TestOpsForInstructionCounts runs IMGTRUST_OPS="NAME SIZE COUNT": the
// set-up of benchmark NAME at SIZE scopes, then COUNT of its ops, once.
// bench/ui-instructions.sh counts the instructions of the whole process
// under callgrind for two counts: their difference is that many ops and
// nothing else (the set-up is the same; a benchmark may be called more
// than once by the testing package, and counting inside the op alone was
// confused by goroutines moving between threads). Skipped without it.
func TestOpsForInstructionCounts(t *testing.T) {
	spec := os.Getenv("IMGTRUST_OPS")
	if spec == "" {
		t.Skip("IMGTRUST_OPS is not set (bench/ui-instructions.sh sets it)")
	}
	var name string
	var size, count int
	if _, err := fmt.Sscan(spec, &name, &size, &count); err != nil || opSetups[name] == nil {
		t.Fatalf("IMGTRUST_OPS=%q: want NAME SIZE COUNT with NAME one of the benchmarks' ops (%v)", spec, err)
	}
	op := opSetups[name](t, size)
	for range count {
		if err := op(); err != nil {
			t.Fatal(err)
		}
	}
}

// The ops of the benchmarks above are functions of their own, kept out of
// line, so that an instruction count can be taken of them alone, without
// the benchmark's set-up (bench/ui-instructions.sh: callgrind's
// --toggle-collect).

//go:noinline
func benchOpStagedEdit(m *Model) {
	m.Update(kp("J"))
	_ = m.View()
}

//go:noinline
func benchOpFirstFrame(d Deps) error {
	ws, err := workspace.Open(d.Paths)
	if err != nil {
		return err
	}
	d.Policy = ws
	// The frame before the problems, which a tea.Cmd computes after it.
	m := New(d)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	_ = m.View()
	return nil
}

//go:noinline
func benchOpLoadAndFrame(m *Model) error {
	if _, err := policyio.LoadPolicy(m.deps.Paths.Policy); err != nil {
		return err
	}
	_ = m.View()
	return nil
}

// processCPU is the CPU time the process has used (user + system, every
// thread: the collector's work counts). On a machine shared with other
// work, CPU time per op is steadier than wall time, which includes the
// time spent waiting for a core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds cpu-ns/op, the CPU time per op since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkFilterKeystroke1000 is one letter typed into the scope tree's
// filter of a 1,000-scope policy plus the frame it causes (the tree is
// re-filtered on every letter; target: < 5 ms like a move).
func BenchmarkFilterKeystroke1000(b *testing.B) {
	m, _, _, _ := newTestModel(b, bigPolicy(1000), 80, 24)
	m.modal = nil
	m.switchView(vPolicy)
	send(b, m, "/", "type:registry9")
	if !strings.Contains(screen(m), "of 1000") {
		b.Fatalf("unexpected screen:\n%s", screen(m))
	}
	add, del := kp("1"), kp("backspace")
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			m.Update(add)
		} else {
			m.Update(del)
		}
		i++
		_ = m.View()
	}
}

// BenchmarkProblemsFilter200 is a frame of the Problems view filtered to a
// few of 200 problems.
func BenchmarkProblemsFilter200(b *testing.B) {
	m, _, _, _ := newTestModel(b, filterPolicy(300), 80, 24)
	m.modal = nil
	m.switchView(vProblems)
	send(b, m, "/", "type:missing29")
	if !strings.Contains(screen(m), "3 of 200") {
		b.Fatalf("unexpected screen:\n%s", screen(m))
	}
	for b.Loop() {
		_ = m.View()
	}
}
