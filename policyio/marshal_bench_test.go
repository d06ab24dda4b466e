package policyio

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkMarshalPolicy10k renders a parsed policy of 10,000 scopes, as
// every staged edit and every save does.
func BenchmarkMarshalPolicy10k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"default":[{"type":"reject"}],"transports":{"docker":{`)
	for i := range 10000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `"registry%d.example.com/team%d":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k%d.gpg","signedIdentity":{"type":"matchRepository"}}]`, i%100, i, i%20)
	}
	sb.WriteString(`}}}`)
	p, d := ParsePolicy("bench.json", []byte(sb.String()))
	if d.HasErrors() {
		b.Fatal(dump(d))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MarshalPolicy(p); err != nil {
			b.Fatal(err)
		}
	}
}
