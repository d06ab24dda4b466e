package verify

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kios/imgtrust/gpg"
)

// batch checks refs with one Verifier, jobs at a time, as verify --from.
func batch(t testing.TB, v *Verifier, refs []string, jobs int) []*Result {
	out := make([]*Result, len(refs))
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i, ref := range refs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := v.Verify(context.Background(), ref)
			if err != nil {
				t.Errorf("%s: %v", ref, err)
			}
			out[i] = res
		})
	}
	wg.Wait()
	return out
}

// signedImages pushes count signed images and returns their references.
func signedImages(n *testNode, count int) []string {
	k := n.key("release", nil)
	var refs []string
	for i := range count {
		repo := fmt.Sprintf("team/app%d", i)
		d := n.push(repo + ":v1")
		n.sign(k, repo, d, n.host+"/"+repo+":v1", 1)
		refs = append(refs, n.host+"/"+repo+":v1")
	}
	return refs
}

// TestBatchSharesConnections: 100 images on one registry and one
// look-aside, 8 at once, cost one ping and then the manifest and the
// signature reads of each image (signature-1, and signature-2 to learn
// there is no more) over a bounded number of kept-alive connections.
func TestBatchSharesConnections(t *testing.T) {
	n := newNode(t)
	refs := signedImages(n, 100)
	n.policy(policyWith(""))
	n.regRequests.Store(0)
	n.requests.Store(0)
	n.conns.Store(0)
	v, err := New(Options{Paths: n.paths, Mechanism: gpg.MechXCrypto, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var perImage int64
	for _, res := range batch(t, v, refs, 8) {
		if res == nil || !res.Accepted {
			t.Fatalf("not accepted: %+v", res)
		}
		perImage += res.Trace.HTTPRequests
	}
	reqs := n.regRequests.Load() + n.requests.Load()
	t.Logf("%d registry + %d look-aside requests, %d connections, %d requests counted by the images", n.regRequests.Load(), n.requests.Load(), n.conns.Load(), perImage)
	if reqs > 305 {
		t.Errorf("%d requests for 100 images, want at most 305", reqs)
	}
	if c := n.conns.Load(); c > 10 {
		t.Errorf("%d connections for 100 images, want at most 10", c)
	}
	if perImage != reqs+1 { // the images also count the refused https probe
		t.Errorf("the images counted %d requests, the servers %d (+1 https probe)", perImage, reqs)
	}
	if n.requests.Load() != 200 {
		t.Errorf("%d look-aside requests, want 200 (signature-1 and -2 of each)", n.requests.Load())
	}
}

// TestPingAskedAgainAfterCancel: a ping that failed because its image's
// context ended is not remembered as the registry's answer.
func TestPingAskedAgainAfterCancel(t *testing.T) {
	n := newNode(t)
	refs := signedImages(n, 1)
	n.policy(policyWith(""))
	v, err := New(Options{Paths: n.paths, Mechanism: gpg.MechXCrypto, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res, err := v.Verify(ctx, refs[0]); err != nil || res.Accepted {
		t.Fatalf("a cancelled check accepted: %+v %v", res, err)
	}
	if res, err := v.Verify(context.Background(), refs[0]); err != nil || !res.Accepted {
		t.Fatalf("the next check inherited the cancellation: %+v %v", res.Summary, err)
	}
}
