package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/node"
)

// lintBenchRoot is a node with an n-scope policy whose signedBy rules name
// the five public keys of verify's fixtures in turn.
func lintBenchRoot(tb testing.TB, n int) node.Paths {
	tb.Helper()
	root := tb.TempDir()
	keys, _ := filepath.Glob("verify/testdata/fixtures/public-key*.gpg")
	if len(keys) == 0 {
		tb.Fatal("no fixture keys")
	}
	if err := os.MkdirAll(filepath.Join(root, "etc/gpg"), 0o755); err != nil {
		tb.Fatal(err)
	}
	for _, k := range keys {
		data, err := os.ReadFile(k)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "etc/gpg", filepath.Base(k)), data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	var b strings.Builder
	b.WriteString(`{"default": [{"type": "reject"}], "transports": {"docker": {`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"registry%d.example.com/team%d": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/gpg/%s"}]`, i, i, filepath.Base(keys[i%len(keys)]))
	}
	b.WriteString("}}}\n")
	pol := filepath.Join(root, "etc/containers/policy.json")
	if err := os.MkdirAll(filepath.Dir(pol), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(pol, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return node.NewPaths(root, "", "", "")
}

// BenchmarkLint3000 is `imgtrust lint` in-process on 3,000 scopes naming
// five key files.
func BenchmarkLint3000(b *testing.B) {
	paths := lintBenchRoot(b, 3000)
	for b.Loop() {
		if _, _, err := lintNode(paths, gpg.Detection{Mechanism: gpg.MechGoCrypto}); err != nil {
			b.Fatal(err)
		}
	}
}
