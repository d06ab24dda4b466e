package verify

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/kios/imgtrust/gpg"
	"github.com/opencontainers/go-digest"
)

// TestHostileLookaside: whatever a look-aside server does, the check ends
// within the timeout and a hostile answer never makes an image accepted.
// Where the runtime tolerates something (a wrong Content-Type, a redirect
// to another host) imgtrust tolerates it too; the signature itself still
// has to verify.
func TestHostileLookaside(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("local file content"), 0o644)
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/signature-1") {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("\x00simple-signing\nnot a signature"))
	}))
	t.Cleanup(elsewhere.Close)

	type env struct {
		good     []byte // a valid signature for the image
		requests *atomic.Int64
	}
	cases := []struct {
		name       string
		handler    func(e env) http.HandlerFunc
		accept     bool
		incomplete bool
		reason     string
		maxReqs    int64
	}{
		{name: "oversized signature", reason: "larger than",
			handler: func(e env) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte{0xA3}, MaxSignatureSize+10)) }
			}},
		{name: "endless body", reason: "larger than",
			handler: func(e env) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					chunk := bytes.Repeat([]byte{0xA3}, 64<<10)
					for {
						if _, err := w.Write(chunk); err != nil {
							return
						}
					}
				}
			}},
		{name: "slow body", incomplete: true, reason: "",
			handler: func(e env) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(http.StatusOK)
					for i := 0; i < 100; i++ {
						if _, err := w.Write([]byte{0xA3}); err != nil {
							return
						}
						w.(http.Flusher).Flush()
						time.Sleep(50 * time.Millisecond)
					}
				}
			}},
		{name: "redirect loop", incomplete: true, reason: "redirects",
			handler: func(e env) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, r.URL.Path, http.StatusFound) }
			}},
		{name: "redirect to file://", incomplete: true, reason: "redirect to file is not allowed",
			handler: func(e env) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "file://"+secret, http.StatusFound) }
			}},
		{name: "redirect to another host with garbage", reason: "REJECTED",
			handler: func(e env) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
				}
			}},
		{name: "signature served as text/html (the runtime only warns)", accept: true,
			handler: func(e env) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					if strings.HasSuffix(r.URL.Path, "/signature-1") {
						w.Header().Set("Content-Type", "text/html")
						w.Write(e.good)
						return
					}
					http.NotFound(w, r)
				}
			}},
		{name: "armored text instead of a signature", reason: "unrecognized signature format",
			handler: func(e env) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.Write([]byte("-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n"))
				}
			}},
		{name: "thousands of signatures", reason: "too many signatures", maxReqs: MaxSignatures + 2,
			handler: func(e env) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					e.requests.Add(1)
					w.Write([]byte{0xA3, 0x01}) // parses as OpenPGP; never reached
				}
			}},
		{name: "403 for signature-1", incomplete: true, reason: "status 403",
			handler: func(e env) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusForbidden) }
			}},
		{name: "500 for signature-2 after a valid signature-1", incomplete: true, reason: "status 500",
			handler: func(e env) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					if strings.HasSuffix(r.URL.Path, "/signature-1") {
						w.Write(e.good)
						return
					}
					http.Error(w, "boom", http.StatusInternalServerError)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := newNode(t)
			k := n.key("release", nil)
			d := n.push("team/app:v1")
			good, err := gpg.Sign(k, MarshalPayload(n.host+"/team/app:v1", d))
			if err != nil {
				t.Fatal(err)
			}
			e := env{good: good, requests: new(atomic.Int64)}
			n.lookaside.Config.Handler = c.handler(e)
			n.policy(policyWith(""))
			start := time.Now()
			res := n.verify("REG/team/app:v1", func(o *Options) { o.Timeout = 700 * time.Millisecond })
			// Every step is bounded by the timeout; the whole check by 3×.
			if took := time.Since(start); took > 3*700*time.Millisecond+time.Second {
				t.Errorf("took %v", took)
			}
			if res.Accepted != c.accept || res.Incomplete != c.incomplete {
				t.Fatalf("accepted=%v incomplete=%v, want %v/%v:\n%s", res.Accepted, res.Incomplete, c.accept, c.incomplete, render(res))
			}
			out := render(res)
			if !strings.Contains(out, c.reason) {
				t.Fatalf("reason %q missing:\n%s", c.reason, out)
			}
			if strings.Contains(out, "local file content") {
				t.Fatal("a redirect made imgtrust read a local file")
			}
			if c.maxReqs > 0 && e.requests.Load() > c.maxReqs {
				t.Errorf("%d look-aside requests, want at most %d", e.requests.Load(), c.maxReqs)
			}
		})
	}
}

// TestHostileRegistry: a registry that lies about a manifest by digest, or
// labels it oddly, never gets an image accepted.
func TestHostileRegistry(t *testing.T) {
	n := newNode(t)
	n.key("release", nil)
	n.policy(policyWith(""))
	d := n.push("team/app:v1")
	other, _ := random.Image(64, 1)
	otherDigest := n.pushImage("team/other:v1", other)
	// The real registry, except that it answers for app@d with other's manifest.
	real := n.reg.Config.Handler
	n.reg.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/team/app/manifests/"+d.String() {
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/v2/team/other/manifests/" + otherDigest.String()
			real.ServeHTTP(w, r2)
			return
		}
		if r.URL.Path == "/v2/team/app/manifests/v1" {
			rec := httptest.NewRecorder()
			real.ServeHTTP(rec, r)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		real.ServeHTTP(w, r)
	})
	res := n.verify(fmt.Sprintf("REG/team/app@%s", d))
	if res.Accepted || !res.Incomplete || !strings.Contains(res.Summary, "does not match") {
		t.Fatalf("a manifest that does not match the requested digest:\n%s", render(res))
	}
	// Signed for other's digest under app's name: the runtime checks the
	// digest of the bytes it got, which is app's.
	n.sign(n.key("release", nil), "team/app", otherDigest, n.host+"/team/app:v1", 1)
	if res := n.verify("REG/team/app:v1"); res.Accepted {
		t.Fatalf("accepted a manifest served as text/html with a signature for another digest:\n%s", render(res))
	}
}

// TestPathTricksInNames: names that would climb out of the look-aside are
// refused as references; odd but valid names stay under the base URL.
func TestPathTricksInNames(t *testing.T) {
	for _, ref := range []string{
		"example.com/team/../etc/passwd:v1",
		"example.com/team/%2e%2e/x:v1",
		"example.com/team%2Fx:v1",
		"example.com//x:v1",
		"example.com/x/:v1",
		"example.com/X/Upper:v1",
	} {
		if _, err := ParseImage(ref); err == nil {
			t.Errorf("%s: accepted", ref)
		}
	}
	n := newNode(t)
	n.key("release", nil)
	var paths []string
	var mu = make(chan struct{}, 1)
	n.lookaside.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu <- struct{}{}
		paths = append(paths, r.URL.EscapedPath())
		<-mu
		http.NotFound(w, r)
	})
	n.policy(`{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/release.gpg"}]}`)
	d := n.push("team/x.y_z--w/a__b:v1")
	if res := n.verify("REG/team/x.y_z--w/a__b:v1"); res.Accepted {
		t.Fatal("accepted without a signature")
	}
	want := "/team/x.y_z--w/a__b@sha256=" + d.Encoded() + "/signature-"
	if len(paths) == 0 {
		t.Fatal("look-aside never asked")
	}
	for _, p := range paths {
		if !strings.HasPrefix(p, want) {
			t.Errorf("look-aside asked for %s, want under %s", p, want)
		}
	}
	_ = digest.Canonical
}
