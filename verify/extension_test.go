package verify

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/kios/imgtrust/gpg"
)

// TestRegistrySignatureAPI: a registry that advertises
// X-Registry-Supports-Signatures: 1 is asked for signatures through its
// API, and the look-aside is then never consulted — even when it holds a
// valid signature.
func TestRegistrySignatureAPI(t *testing.T) {
	type entry struct {
		SchemaVersion int    `json:"schemaVersion"`
		Type          string `json:"type"`
		Content       []byte `json:"content"`
	}
	cases := []struct {
		name    string
		entries func(good []byte) []entry
		status  int
		accept  bool
		reason  string
	}{
		{name: "signed through the API", entries: func(good []byte) []entry { return []entry{{2, "atomic", good}} }, accept: true},
		{name: "other versions and types ignored", entries: func(good []byte) []entry {
			return []entry{{1, "atomic", good}, {2, "cosign", good}}
		}, reason: "A signature was required, but no signature exists"},
		{name: "bad entry then good", entries: func(good []byte) []entry {
			return []entry{{2, "atomic", []byte("garbage")}, {2, "atomic", good}}
		}, accept: true},
		{name: "404 is fatal", status: http.StatusNotFound, reason: "downloading signatures for"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := newNode(t)
			var mu sync.Mutex
			var list []entry
			apiCalls := 0
			reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
			n.reg.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v2/" {
					w.Header().Set("X-Registry-Supports-Signatures", "1")
				}
				if strings.HasPrefix(r.URL.Path, "/extensions/v2/team/app/signatures/sha256:") {
					mu.Lock()
					defer mu.Unlock()
					apiCalls++
					if c.status != 0 {
						w.WriteHeader(c.status)
						return
					}
					json.NewEncoder(w).Encode(map[string]any{"signatures": list})
					return
				}
				reg.ServeHTTP(w, r)
			})
			d := n.push("team/app:1")
			key := n.key("alice", nil)
			good, err := gpg.Sign(key, MarshalPayload(n.host+"/team/app:1", d))
			if err != nil {
				t.Fatal(err)
			}
			if c.entries != nil {
				list = c.entries(good)
			}
			n.sign(key, "team/app", d, n.host+"/team/app:1", 1) // on the look-aside: must be ignored
			n.policy(`{"default":[{"type":"reject"}],"transports":{"docker":{"REG/team":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/alice.gpg"}]}}}`)
			res := n.verify("REG/team/app:1")
			if apiCalls != 1 {
				t.Errorf("signature API called %d times, want 1", apiCalls)
			}
			if got := n.requests.Load(); got != 0 {
				t.Errorf("look-aside consulted %d times; the runtime never reads it for such a registry", got)
			}
			if res.Accepted != c.accept {
				t.Fatalf("accepted = %v, want %v: %s", res.Accepted, c.accept, res.Summary)
			}
			if !c.accept {
				reason := res.Summary
				if len(res.Trace.Requirements) > 0 {
					reason = res.Trace.Requirements[0].Reason
				}
				if !strings.Contains(reason, c.reason) {
					t.Fatalf("reason %q, want it to contain %q", reason, c.reason)
				}
			}
		})
	}
}

// TestAcceptedPolicyPullStillReadsSignatures: with insecureAcceptAnything
// the runtime still copies signatures while pulling, so an unreachable
// look-aside fails the pull; a reachable one with no signatures does not.
func TestAcceptedPolicyPullStillReadsSignatures(t *testing.T) {
	n := newNode(t)
	n.push("team/app:1")
	n.policy(`{"default":[{"type":"insecureAcceptAnything"}]}`)
	if res := n.verify("REG/team/app:1"); !res.Accepted {
		t.Fatalf("not accepted with a reachable look-aside: %s", res.Summary)
	}
	n.lookaside.Close()
	res := n.verify("REG/team/app:1")
	if res.Accepted || !res.Incomplete {
		t.Fatalf("accepted=%v incomplete=%v, want a pull that fails: %s", res.Accepted, res.Incomplete, res.Summary)
	}
	if !strings.Contains(res.Summary, "connection refused") {
		t.Errorf("summary does not say why: %s", res.Summary)
	}
	var buf strings.Builder
	RenderText(&buf, res, false)
	t.Log(buf.String())
}
