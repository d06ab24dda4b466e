package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kios/imgtrust/policyio"
	"go.podman.io/image/v5/signature"
)

// BenchmarkParse times, on the files gen wrote under $BENCH_DATA, the
// runtime's parser (containers/image) and imgtrust's (load, validate and
// lint), interleaved size by size.
func BenchmarkParse(b *testing.B) {
	dir := os.Getenv("BENCH_DATA")
	if dir == "" {
		b.Skip("BENCH_DATA is not set (see compare.sh)")
	}
	for _, n := range []int{1000, 10000, 100000} {
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprint(n), "etc/containers/policy.json"))
		if err != nil {
			b.Skip(err)
		}
		b.Run(fmt.Sprintf("containers-image/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := signature.NewPolicyFromBytes(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("imgtrust/%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, diags := policyio.ParsePolicy("policy.json", data); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
		})
	}
}
