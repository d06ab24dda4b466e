package ui

import (
	"fmt"
	"strings"
	"testing"
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

// BenchmarkStagedEdit1000 is one staged edit of a 1,000-scope policy:
// the edit, revalidation, the diff for the header, and the next frame.
func BenchmarkStagedEdit1000(b *testing.B) {
	m, _, _, _ := newTestModel(b, bigPolicy(1000), 80, 24)
	m.switchView(vPolicy)
	m.pol.cursor = 500
	for b.Loop() {
		m.Update(kp("J"))
		_ = m.View()
	}
}
