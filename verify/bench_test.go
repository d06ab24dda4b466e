package verify

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kios/imgtrust/gpg"
)

// BenchmarkVerifyEndToEnd: one signed image checked from scratch against
// the in-process registry and look-aside (manifest, look-aside, OpenPGP,
// payload and identity), as `imgtrust verify IMAGE` does.
func BenchmarkVerifyEndToEnd(b *testing.B) {
	n := newNode(b)
	k := n.key("release", nil)
	d := n.push("team/app:v1")
	n.sign(k, "team/app", d, n.host+"/team/app:v1", 1)
	n.policy(policyWith(""))
	v, err := New(Options{Paths: n.paths, Mechanism: gpg.MechXCrypto, Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	ref := n.host + "/team/app:v1"
	b.ReportAllocs()
	for b.Loop() {
		res, err := v.Verify(context.Background(), ref)
		if err != nil || !res.Accepted {
			b.Fatalf("not accepted: %v %+v", err, res)
		}
	}
}

// BenchmarkVerify100: 100 distinct signed images with the bounded
// concurrency of `imgtrust verify --from` (8 at once); one op is all 100.
func BenchmarkVerify100(b *testing.B) {
	n := newNode(b)
	k := n.key("release", nil)
	var refs []string
	for i := 0; i < 100; i++ {
		repo := fmt.Sprintf("team/app%d", i)
		d := n.push(repo + ":v1")
		n.sign(k, repo, d, n.host+"/"+repo+":v1", 1)
		refs = append(refs, n.host+"/"+repo+":v1")
	}
	n.policy(policyWith(""))
	v, err := New(Options{Paths: n.paths, Mechanism: gpg.MechXCrypto, Timeout: 5 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sem := make(chan struct{}, 8)
		var wg sync.WaitGroup
		for _, ref := range refs {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if res, err := v.Verify(context.Background(), ref); err != nil || !res.Accepted {
					b.Errorf("%s not accepted: %v", ref, err)
				}
			}()
		}
		wg.Wait()
	}
}

// BenchmarkVerifyOne is one `imgtrust verify IMAGE` from scratch (a new
// Verifier: new connections, a new ping) for a signed and an unsigned
// image. It decides whether signature-2 is asked together with
// signature-1 (see lookasideSignatures).
func BenchmarkVerifyOne(b *testing.B) {
	n := newNode(b)
	k := n.key("release", nil)
	signed := n.push("team/signed:v1")
	n.sign(k, "team/signed", signed, n.host+"/team/signed:v1", 1)
	n.push("team/unsigned:v1")
	n.policy(policyWith(""))
	for _, c := range []struct {
		name, ref string
		accept    bool
	}{{"signed", "team/signed:v1", true}, {"unsigned", "team/unsigned:v1", false}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				v, err := New(Options{Paths: n.paths, Mechanism: gpg.MechXCrypto, Timeout: 5 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
				res, err := v.Verify(context.Background(), n.host+"/"+c.ref)
				if err != nil || res.Accepted != c.accept {
					b.Fatalf("%s: %v %+v", c.name, err, res)
				}
			}
		})
	}
}
