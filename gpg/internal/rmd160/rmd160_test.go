package rmd160

//lint:file-ignore SA1019 the reference implementation our RIPEMD-160 is checked against

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // the reference implementation, in this test binary only
)

func TestVectors(t *testing.T) {
	for in, want := range map[string]string{
		"":    "9c1185a5c5e9fc54612808977ee8f548b2258d31",
		"a":   "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe",
		"abc": "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc",
	} {
		h := New()
		h.Write([]byte(in))
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

// TestMatchesXCrypto compares with golang.org/x/crypto/ripemd160 on random
// input of every length across block boundaries, written in pieces.
func TestMatchesXCrypto(t *testing.T) {
	data := make([]byte, 300)
	rand.Read(data)
	for n := 0; n <= len(data); n++ {
		ref := ripemd160.New()
		ref.Write(data[:n])
		h := New()
		h.Write(data[:n/3])
		h.Write(data[n/3 : n])
		if got, want := h.Sum(nil), ref.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("length %d: %x, want %x", n, got, want)
		}
		if got := h.Sum(nil); !bytes.Equal(got, ref.Sum(nil)) {
			t.Fatalf("length %d: Sum changed the state", n)
		}
	}
}
