package verify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/kios/imgtrust/gpg"
	"github.com/opencontainers/go-digest"
)

// TestShortNames: CRI-O resolves a short name (internal/storage/image.go
// CandidatesForPotentiallyShortImageName, pkg/shortnames Resolve), pulls
// the candidates in turn, and reports only the last error
// (server/image_pull.go pullImage).
func TestShortNames(t *testing.T) {
	n := newNode(t)
	release := n.key("release", nil)
	second := newServer(t)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	d0, _ := img.Digest()
	dg := digest.Digest(d0.String())
	n.pushImage("team/app:latest", img) // unsigned on the first registry
	second.push("team/app:latest", img)
	second.push("team/signed:latest", img)
	n.pushImage("team/signed:latest", img)
	n.sign(release, "team/signed", dg, n.host+"/team/signed:latest", 1)
	// The first registry requires signatures; the second accepts anything.
	n.policy(`{"default":[{"type":"reject"}],"transports":{"docker":{"REG":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/release.gpg"}],"` + second.host + `":[{"type":"insecureAcceptAnything"}]}}}`)
	n.write("etc/containers/registries.conf", "unqualified-search-registries = [\""+n.host+"\", \""+second.host+"\"]\n[aliases]\n\"aliased\" = \""+n.host+"/team/signed\"\n")

	tests := []struct {
		name, input, mode     string
		accepted              bool
		pulledAs, reported    string
		candidates            int
		hidden, resolveFailed bool
	}{
		{"disabled: the first is rejected, CRI-O pulls the second", "team/app", "disabled", true, second.host + "/team/app:latest", "", 2, false, false},
		{"enforcing: two candidates are ambiguous", "team/app", "", false, "", "short name mode is enforcing, but image name team/app returns ambiguous list", 2, false, true},
		{"disabled: a rejection hides behind the last not found", "team/only-first", "disabled", false, "", "fetching the manifest of " + second.host + "/team/only-first:latest", 2, true, false},
		{"alias: one candidate, fine when enforcing", "aliased", "enforcing", true, n.host + "/team/signed:latest", "", 1, false, false},
		{"the first accepted wins", "team/signed", "disabled", true, n.host + "/team/signed:latest", "", 2, false, false},
	}
	n.pushImage("team/only-first:latest", img)
	v, err := New(Options{Paths: n.paths, Mechanism: gpg.MechXCrypto, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !IsShortName(tt.input) {
				t.Fatalf("%s is not a short name", tt.input)
			}
			sr, err := v.VerifyShortName(context.Background(), tt.input, tt.mode, "test")
			if err != nil {
				t.Fatal(err)
			}
			if sr.Accepted != tt.accepted || sr.PulledAs != tt.pulledAs || len(sr.Candidates) != tt.candidates {
				t.Fatalf("accepted %v as %q, %d candidates (%s); want %v %q %d", sr.Accepted, sr.PulledAs, len(sr.Candidates), sr.Reported, tt.accepted, tt.pulledAs, tt.candidates)
			}
			if tt.reported != "" && !strings.Contains(sr.Reported, tt.reported) {
				t.Errorf("reported %q, want %q", sr.Reported, tt.reported)
			}
			if (len(sr.Hidden) > 0) != tt.hidden || (sr.ResolveError != "") != tt.resolveFailed {
				t.Errorf("hidden %v, resolve error %q", sr.Hidden, sr.ResolveError)
			}
			for i, c := range sr.Candidates {
				if c.Result == nil {
					t.Fatalf("candidate %d has no verdict: %s", i, c.Error)
				}
				if tt.resolveFailed && c.Tried {
					t.Errorf("candidate %s marked tried though resolution failed", c.Reference)
				}
			}
			var text strings.Builder
			RenderShortName(&text, sr, true)
			if !strings.Contains(text.String(), "1. ") || !strings.Contains(text.String(), tt.input) {
				t.Errorf("render:\n%s", text.String())
			}
		})
	}
	for _, s := range []string{"docker://team/app", "quay.io/team/app", "localhost/app", "dir:/tmp/x"} {
		if IsShortName(s) {
			t.Errorf("%s counted as a short name", s)
		}
	}
}
