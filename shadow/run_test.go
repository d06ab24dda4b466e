package shadow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kios/imgtrust/demo"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/shadow"
	"github.com/kios/imgtrust/verify"
	"github.com/opencontainers/go-digest"
)

type signer struct{ e *openpgp.Entity }

func (s signer) Sign(identity string, d v1.Hash) ([]byte, error) {
	return gpg.Sign(s.e, verify.MarshalPayload(identity, digest.Digest(d.String())))
}

// startDemo runs the demo node: a registry with images signed by the
// node's key, unsigned, and signed by a key the node lacks.
func startDemo(t *testing.T) *demo.Demo {
	t.Helper()
	now := time.Now()
	trusted, pub, err := demo.GenerateKey("trusted", now)
	if err != nil {
		t.Fatal(err)
	}
	unknown, _, err := demo.GenerateKey("unknown", now)
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Start(context.Background(), demo.Options{Trusted: signer{trusted}, Unknown: signer{unknown}, TrustedPublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func demoImage(t *testing.T, d *demo.Demo, repo string) demo.Image {
	t.Helper()
	for _, im := range d.Images {
		if strings.Contains(im.Ref, "/"+repo+":") {
			return im
		}
	}
	t.Fatalf("no demo image %s", repo)
	return demo.Image{}
}

type storedImage struct {
	ID     string   `json:"id"`
	Digest string   `json:"digest"`
	Names  []string `json:"names"`
	// What containers/storage writes besides; shadow must skip it.
	BigData map[string]string `json:"big-data-digests,omitempty"`
}

// writeImages writes images.json; byRename replaces it the way
// containers/storage does (a temporary file renamed over it).
func writeImages(t *testing.T, root string, imgs []storedImage, byRename bool) {
	t.Helper()
	path := filepath.Join(root, node.StorageImagesJSON)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(imgs)
	if err != nil {
		t.Fatal(err)
	}
	if !byRename {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func stored(im demo.Image, names ...string) storedImage {
	return storedImage{ID: "cfg-" + im.Digest, Digest: im.Digest, Names: append([]string{im.Ref}, names...), BigData: map[string]string{"manifest": im.Digest}}
}

func verifier(t *testing.T, paths node.Paths, p *model.Policy) shadow.Evaluator {
	t.Helper()
	v, err := verify.New(verify.Options{Paths: paths, Policy: p, PolicyLabel: "candidate", Mechanism: gpg.MechGoCrypto, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return shadow.VerifierEvaluator{V: v}
}

// syncBuffer is the log: written by Run, read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunGrowingStorage runs shadow on the demo node while the test adds
// images to images.json, in place and by rename, and re-tags one: each
// new name is judged once under the live policy (the demo's: anything
// outside demo/ accepted) and the candidate (reject by default, demo/
// signed by the node's key), and the log and summary say so.
func TestRunGrowingStorage(t *testing.T) {
	d := startDemo(t)
	paths := node.NewPaths(d.Root, "", "", "")
	signed, unsigned, unknownKey, open := demoImage(t, d, "demo/signed"), demoImage(t, d, "demo/unsigned"), demoImage(t, d, "demo/unknown-key"), demoImage(t, d, "open/tool")
	// The pause image is the demo's open/tool: no request leaves the machine.
	if err := os.WriteFile(filepath.Join(d.Root, demo.CrioConfPath), fmt.Appendf(nil, "[crio.image]\npause_image = %q\n", open.Ref), 0o644); err != nil {
		t.Fatal(err)
	}
	// A re-tag: the signed image's manifest under a second tag. Its
	// signature names :v1, so the :v2 pull fails the identity check.
	retag := strings.TrimSuffix(signed.Ref, ":v1") + ":v2"
	src, _ := name.ParseReference(signed.Ref, name.Insecure)
	dst, _ := name.NewTag(retag, name.Insecure)
	desc, err := remote.Get(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Tag(dst, desc); err != nil {
		t.Fatal(err)
	}

	live := verifier(t, paths, nil)
	lf, err := policyio.LoadPolicyFrom(paths.FS(), paths.Policy)
	if err != nil {
		t.Fatal(err)
	}
	cand := lf.Policy.Clone()
	cand.Default = model.Requirements{{Type: model.Reject}}
	candidate := verifier(t, paths, cand)

	writeImages(t, d.Root, []storedImage{stored(signed)}, false)
	scans := make(chan int, 100)
	recs := make(chan shadow.Record, 100)
	log := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan shadow.Summary, 1)
	go func() {
		sum, err := shadow.Run(ctx, shadow.Options{
			Paths: paths, Live: live, Candidate: candidate, Log: log,
			Each: func(r shadow.Record) { recs <- r }, Interval: time.Hour, Settle: 20 * time.Millisecond,
			Scanned: func(n int) { scans <- n }, CandidatePath: "candidate.json", CandidateSHA256: "c0ffee",
		})
		if err != nil {
			t.Error(err)
		}
		done <- sum
	}()
	got := map[string]shadow.Record{}
	// wait collects records until want names have been judged.
	wait := func(want ...string) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			missing := false
			for _, w := range want {
				if _, ok := got[w]; !ok {
					missing = true
				}
			}
			if !missing {
				return
			}
			select {
			case r := <-recs:
				if _, dup := got[r.Reference]; dup {
					t.Errorf("%s judged twice", r.Reference)
				}
				got[r.Reference] = r
			case <-deadline:
				t.Fatalf("waiting for %v; have %v", want, got)
			}
		}
	}
	wait(open.Ref, signed.Ref)
	<-scans
	// Grown in place, then rewritten by rename with a re-tag.
	writeImages(t, d.Root, []storedImage{stored(signed), stored(unsigned)}, false)
	wait(unsigned.Ref)
	writeImages(t, d.Root, []storedImage{stored(signed, retag), stored(unsigned), stored(unknownKey)}, true)
	wait(retag, unknownKey.Ref)
	cancel()
	sum := <-done

	tests := []struct {
		ref             string
		source          string
		live, candidate shadow.Verdict
		reason          string
	}{
		{open.Ref, node.RolePause, shadow.Accepted, shadow.Rejected, "reject"},
		{signed.Ref, node.RoleStored, shadow.Accepted, shadow.Accepted, ""},
		{unsigned.Ref, node.RoleStored, shadow.Rejected, shadow.Rejected, "signature"},
		{unknownKey.Ref, node.RoleStored, shadow.Rejected, shadow.Rejected, "key"},
		{retag, node.RoleStored, shadow.Rejected, shadow.Rejected, "v1"},
	}
	for _, tc := range tests {
		r := got[tc.ref]
		if r.Source != tc.source || r.Live != tc.live || r.Candidate != tc.candidate || !strings.Contains(r.Reason, tc.reason) {
			t.Errorf("%s: got %s live=%s candidate=%s reason %q; want %s %s %s (reason with %q)", tc.ref, r.Source, r.Live, r.Candidate, r.Reason, tc.source, tc.live, tc.candidate, tc.reason)
		}
		if tc.source == node.RoleStored && r.Digest == "" {
			t.Errorf("%s: no digest in the record", tc.ref)
		}
	}
	if len(got) != len(tests) {
		t.Errorf("judged %d images, want %d: %v", len(got), len(tests), got)
	}
	if sum.Pulls != 5 || sum.Rejected != 4 || sum.LiveRejected != 3 {
		t.Errorf("summary: %d pulls, %d rejected, %d live-rejected; want 5, 4, 3", sum.Pulls, sum.Rejected, sum.LiveRejected)
	}
	// The log read back gives the same summary; every line is a record.
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 7 || !strings.Contains(lines[0], `"event":"start"`) || !strings.Contains(lines[6], `"event":"stop"`) {
		t.Fatalf("log: want start, 5 images, stop; got\n%s", log.String())
	}
	back, err := shadow.ReadLog(strings.NewReader(log.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if back.Pulls != sum.Pulls || back.Rejected != sum.Rejected || back.Headline() != sum.Headline() {
		t.Errorf("log summary %q, run summary %q", back.Headline(), sum.Headline())
	}
	if !strings.Contains(sum.Headline(), "5 pulls, 4 would have been rejected") {
		t.Errorf("headline %q", sum.Headline())
	}
}

type acceptAll struct{}

func (acceptAll) Evaluate(context.Context, string) (shadow.Verdict, string) {
	return shadow.Accepted, "ok"
}

// TestRunSaysWhenStorageIsUnreadable: an image or container list that
// cannot be read is reported (the soak goes on): a soak that sees no
// images must not pass for one in which nothing would be rejected.
func TestRunSaysWhenStorageIsUnreadable(t *testing.T) {
	tests := []struct {
		name string
		make func(root string) error
		want string
	}{
		{"images.json a FIFO", func(root string) error {
			return syscall.Mkfifo(filepath.Join(root, node.StorageImagesJSON), 0o600)
		}, "not a regular file"},
		{"images.json damaged", func(root string) error {
			return os.WriteFile(filepath.Join(root, node.StorageImagesJSON), []byte(`[{"id":`), 0o644)
		}, "image list"},
		{"images.json with a record of too many names", func(root string) error {
			names := strings.TrimSuffix(strings.Repeat(`"r.example/a:1",`, 10_001), ",")
			return os.WriteFile(filepath.Join(root, node.StorageImagesJSON), []byte(`[{"id":"a","names":[`+names+`]}]`), 0o644)
		}, "overlay-images/images.json: image list, record at byte 1 (id \"a\"): 10001 names"},
		{"containers.json with a name too long", func(root string) error {
			md, _ := json.Marshal(map[string]string{"image-name": "r.example/" + strings.Repeat("a", 5000)})
			rec, _ := json.Marshal([]map[string]string{{"id": "c", "metadata": string(md)}})
			return os.WriteFile(filepath.Join(root, node.StorageContainersJSON), rec, 0o644)
		}, "overlay-containers/containers.json: containers list, record at byte 1: a name of 5010 bytes"},
		{"containers.json nested too deep", func(root string) error {
			return os.WriteFile(filepath.Join(root, node.StorageContainersJSON), []byte(strings.Repeat("[", 20000)+strings.Repeat("]", 20000)), 0o644)
		}, "containers list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for _, p := range []string{node.StorageImagesJSON, node.StorageContainersJSON} {
				os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755)
			}
			if err := tc.make(root); err != nil {
				t.Fatal(err)
			}
			errs := make(chan error, 10)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			go func() {
				defer close(done)
				shadow.Run(ctx, shadow.Options{Paths: node.NewPaths(root, "", "", ""), Live: acceptAll{}, Candidate: acceptAll{}, Log: &syncBuffer{},
					Interval: time.Hour, Unreadable: func(err error) { errs <- err }})
			}()
			select {
			case err := <-errs:
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("reported %v, want %q", err, tc.want)
				}
			case <-time.After(20 * time.Second): // a guard against a hang, not a timing assertion
				t.Fatal("not reported")
			}
			cancel()
			<-done
		})
	}
}
