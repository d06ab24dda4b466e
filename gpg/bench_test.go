package gpg

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkVerify1000With20Keys verifies 1,000 distinct signatures
// against a keyring file of 20 RSA-2048 public keys (the signer last), per
// mechanism; one op is all 1,000. The keyring is parsed for every
// signature, as the runtime does.
func BenchmarkVerify1000With20Keys(b *testing.B) {
	signer := newKey(b, "signer", keyOpts{})
	ring := []byte{}
	for i := 0; i < 19; i++ {
		ring = append(ring, publicBytes(b, newKey(b, fmt.Sprintf("k%d", i), keyOpts{}))...)
	}
	ring = append(ring, publicBytes(b, signer)...)
	sigs := make([][]byte, 1000)
	for i := range sigs {
		sigs[i] = signAt(b, signer, []byte(fmt.Sprintf(`{"critical":{"n":%d}}`, i)), testNow.Add(-time.Hour), 0)
	}
	for _, mech := range []Mechanism{MechXCrypto, MechGoCrypto, MechGPGME} {
		b.Run(string(mech), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, s := range sigs {
					if _, err := VerifySignature(s, [][]byte{ring}, mech, testNow); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
