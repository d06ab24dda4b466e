package verify

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kios/imgtrust/gpg"
	"github.com/opencontainers/go-digest"
)

// server is a second registry with a look-aside of its own: a mirror.
type server struct {
	t         *testing.T
	host      string
	lookaside *httptest.Server
	sigs      sync.Map
	requests  atomic.Int64
}

func newServer(t *testing.T) *server {
	s := &server{t: t}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	rs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(rs.Close)
	s.host = strings.TrimPrefix(rs.URL, "http://")
	s.lookaside = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := s.sigs.Load(r.URL.Path); ok {
			w.Write(b.([]byte))
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(s.lookaside.Close)
	return s
}

func (s *server) push(repoTag string, img v1.Image) {
	ref, err := name.ParseReference(s.host+"/"+repoTag, name.Insecure)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		s.t.Fatal(err)
	}
}

func (s *server) sign(key *openpgp.Entity, repo string, d digest.Digest, identity string) {
	blob, err := gpg.Sign(key, MarshalPayload(identity, d))
	if err != nil {
		s.t.Fatal(err)
	}
	s.sigs.Store("/"+repo+"@"+d.Algorithm().String()+"="+d.Encoded()+"/signature-1", blob)
}

// TestMirrors follows docker_image_src.go (newImageSource,
// newImageSourceAttempt) and docker_client.go (newDockerClient): the
// sources in order, the look-aside of the one that served, the policy on
// the requested name; sysregistriesv2 PullSourcesFromReference for
// pull-from-mirror and mirror-by-digest-only; blocked before the policy.
func TestMirrors(t *testing.T) {
	n := newNode(t)
	release := n.key("release", nil)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	d0, _ := img.Digest()
	dg := digest.Digest(d0.String())
	empty, good, unsignedMirror := newServer(t), newServer(t), newServer(t)
	down := httptest.NewServer(http.NotFoundHandler())
	downHost := strings.TrimPrefix(down.URL, "http://")
	down.Close()
	// The primary and the good mirror hold the same image; only the
	// mirror's look-aside has a signature, made for the requested name.
	n.pushImage("team/app:v1", img)
	good.push("team/app:v1", img)
	unsignedMirror.push("team/app:v1", img)
	good.sign(release, "team/app", dg, n.host+"/team/app:v1")
	n.policy(policyWith(""))
	n.write("etc/containers/registries.d/default.yaml", "docker:\n  "+n.host+":\n    lookaside: "+n.lookaside.URL+"\n  "+good.host+":\n    lookaside: "+good.lookaside.URL+"\n  "+unsignedMirror.host+":\n    lookaside: "+unsignedMirror.lookaside.URL+"\n")

	conf := func(body string) {
		n.write("etc/containers/registries.conf", strings.NewReplacer("REG", n.host, "EMPTY", empty.host, "GOOD", good.host, "UNSIGNED", unsignedMirror.host, "DOWN", downHost).Replace(body))
	}
	tests := []struct {
		name, conf, image    string
		accepted, incomplete bool
		pulledFrom           string // "" = the primary
		sources              []string
		summary              string
	}{
		{
			name:  "mirrors in order: the first lacks the image, the second serves it with its own look-aside",
			conf:  "[[registry]]\nlocation = \"REG\"\n[[registry.mirror]]\nlocation = \"EMPTY\"\n[[registry.mirror]]\nlocation = \"GOOD\"\n",
			image: "REG/team/app:v1", accepted: true, pulledFrom: "GOOD/team/app:v1",
			sources: []string{"EMPTY/team/app:v1 error", "GOOD/team/app:v1 used"},
		},
		{
			name:  "the first mirror that has the image wins, even unsigned",
			conf:  "[[registry]]\nlocation = \"REG\"\n[[registry.mirror]]\nlocation = \"UNSIGNED\"\n[[registry.mirror]]\nlocation = \"GOOD\"\n",
			image: "REG/team/app:v1", pulledFrom: "UNSIGNED/team/app:v1",
			sources: []string{"UNSIGNED/team/app:v1 used"}, summary: "no signature exists",
		},
		{
			name:  "no mirror: the primary's look-aside has no signature",
			conf:  "",
			image: "REG/team/app:v1", summary: "no signature exists",
		},
		{
			name:  "digest-only mirror skipped for a tag",
			conf:  "[[registry]]\nlocation = \"REG\"\n[[registry.mirror]]\nlocation = \"GOOD\"\npull-from-mirror = \"digest-only\"\n",
			image: "REG/team/app:v1", sources: []string{"GOOD skipped", "REG/team/app:v1 used"}, summary: "no signature exists",
		},
		{
			name:  "digest-only mirror used for a digest",
			conf:  "[[registry]]\nlocation = \"REG\"\n[[registry.mirror]]\nlocation = \"GOOD\"\npull-from-mirror = \"digest-only\"\n",
			image: "REG/team/app@" + dg.String(), accepted: true, pulledFrom: "GOOD/team/app@" + dg.String(),
			sources: []string{"GOOD/team/app@" + dg.String() + " used"},
		},
		{
			name:  "mirror-by-digest-only on the registry",
			conf:  "[[registry]]\nlocation = \"REG\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"GOOD\"\n",
			image: "REG/team/app:v1", sources: []string{"GOOD skipped", "REG/team/app:v1 used"}, summary: "no signature exists",
		},
		{
			name:  "blocked primary without mirrors: refused before the policy",
			conf:  "[[registry]]\nlocation = \"REG\"\nblocked = true\n",
			image: "REG/team/app:v1", summary: "rejected before the policy: registry REG is blocked in /etc/containers/registries.conf or /root/.config/containers/registries.conf.d",
		},
		{
			name:  "blocked primary, the mirror still serves (measured on v5.38 and v5.42)",
			conf:  "[[registry]]\nlocation = \"REG\"\nblocked = true\n[[registry.mirror]]\nlocation = \"GOOD\"\n",
			image: "REG/team/app:v1", accepted: true, pulledFrom: "GOOD/team/app:v1",
		},
		{
			name:    "every source fails: one combined error",
			conf:    "[[registry]]\nlocation = \"REG\"\n[[registry.mirror]]\nlocation = \"EMPTY\"\n[[registry.mirror]]\nlocation = \"EMPTY/other\"\n",
			image:   "REG/team/missing:v1",
			summary: "(Mirrors also failed: [EMPTY/team/missing:v1: ",
		},
		{
			name:  "an unreachable mirror and a primary without the image: this machine cannot tell",
			conf:  "[[registry]]\nlocation = \"REG\"\n[[registry.mirror]]\nlocation = \"DOWN\"\n",
			image: "REG/team/missing:v1", incomplete: true,
			summary: "could not finish: pulling from every source: (Mirrors also failed: [DOWN/team/missing:v1: ",
		},
		{
			name:  "a prefix rewrites into a namespace of the mirror",
			conf:  "[[registry]]\nprefix = \"REG/team\"\nlocation = \"REG/team\"\n[[registry.mirror]]\nlocation = \"GOOD/team\"\n",
			image: "REG/team/app:v1", accepted: true, pulledFrom: "GOOD/team/app:v1",
		},
	}
	rep := strings.NewReplacer("REG", n.host, "EMPTY", empty.host, "GOOD", good.host, "UNSIGNED", unsignedMirror.host, "DOWN", downHost)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf(tt.conf)
			before := n.regRequests.Load()
			res := n.verify(rep.Replace(tt.image))
			tr := res.Trace
			if res.Accepted != tt.accepted || res.Incomplete != tt.incomplete {
				t.Fatalf("accepted %v incomplete %v (%s), want %v %v", res.Accepted, res.Incomplete, res.Summary, tt.accepted, tt.incomplete)
			}
			if want := rep.Replace(tt.pulledFrom); tr.PulledFrom != want {
				t.Errorf("pulled from %q, want %q", tr.PulledFrom, want)
			}
			if tt.summary != "" && !strings.Contains(res.Summary, rep.Replace(tt.summary)) {
				t.Errorf("summary %q, want %q", res.Summary, rep.Replace(tt.summary))
			}
			for i, want := range tt.sources {
				want = rep.Replace(want)
				if i >= len(tr.Sources) {
					t.Fatalf("sources %+v, want %v", tr.Sources, tt.sources)
				}
				s := tr.Sources[i]
				got := s.Reference
				switch {
				case s.Skipped != "":
					got += " skipped"
				case s.Used:
					got += " used"
				case s.Error != "":
					got += " error"
				}
				if got != want {
					t.Errorf("source %d = %q, want %q", i, got, want)
				}
			}
			if tt.pulledFrom != "" && tr.Lookaside != nil && !strings.HasPrefix(tr.Lookaside.BaseURL, "http") {
				t.Errorf("look-aside %+v", tr.Lookaside)
			}
			if strings.Contains(tt.name, "before the policy") {
				if n.regRequests.Load() != before {
					t.Error("a blocked registry was contacted")
				}
				if len(tr.Scope.Tried) != 0 {
					t.Error("the policy was consulted for a blocked registry")
				}
			}
		})
	}

	// The look-aside is chosen by the mirror's location: with no entry of
	// its own, the primary's does not apply and the signature is missed.
	t.Run("look-aside chosen by the mirror's location", func(t *testing.T) {
		conf("[[registry]]\nlocation = \"REG\"\n[[registry.mirror]]\nlocation = \"GOOD\"\n")
		n.write("etc/containers/registries.d/default.yaml", "docker:\n  "+n.host+":\n    lookaside: "+good.lookaside.URL+"\n")
		res := n.verify(n.host + "/team/app:v1")
		if res.Accepted || res.Trace.Lookaside == nil || res.Trace.Lookaside.Scope != "" {
			t.Fatalf("accepted %v, look-aside %+v: the primary's entry was used for the mirror", res.Accepted, res.Trace.Lookaside)
		}
		n.write("etc/containers/registries.d/default.yaml", "docker:\n  "+good.host+":\n    lookaside: "+good.lookaside.URL+"\n")
		res = n.verify(n.host + "/team/app:v1")
		if !res.Accepted || res.Trace.Lookaside.Scope != good.host {
			t.Fatalf("accepted %v (%s), look-aside %+v", res.Accepted, res.Summary, res.Trace.Lookaside)
		}
		var text strings.Builder
		RenderText(&text, res, true)
		for _, want := range []string{"[[registry]] prefix " + n.host, "mirror served the manifest: " + good.host + "/team/app:v1", "chosen by the mirror's location " + good.host + "/team/app:v1"} {
			if !strings.Contains(text.String(), want) {
				t.Errorf("trace lacks %q:\n%s", want, text.String())
			}
		}
	})

	// The signature must claim the requested name, not the mirror's.
	t.Run("signedIdentity matches the requested name", func(t *testing.T) {
		other := newServer(t)
		other.push("team/app:v1", img)
		other.sign(release, "team/app", dg, other.host+"/team/app:v1")
		n.write("etc/containers/registries.d/default.yaml", "docker:\n  "+other.host+":\n    lookaside: "+other.lookaside.URL+"\n")
		n.write("etc/containers/registries.conf", "[[registry]]\nlocation = \""+n.host+"\"\n[[registry.mirror]]\nlocation = \""+other.host+"\"\n")
		res := n.verify(n.host + "/team/app:v1")
		if res.Accepted || !strings.Contains(res.Summary, "but for "+other.host+"/team/app:v1") {
			t.Fatalf("accepted %v: %s", res.Accepted, res.Summary)
		}
	})
}

// TestInsecureMirror: an insecure mirror skips TLS verification for
// itself only, while the rest stays verified (newImageSourceAttempt sets
// InsecureSkipVerify from the endpoint).
func TestInsecureMirror(t *testing.T) {
	n := newNode(t)
	release := n.key("release", nil)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	d0, _ := img.Digest()
	dg := digest.Digest(d0.String())
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	tlsReg := httptest.NewTLSServer(reg)
	t.Cleanup(tlsReg.Close)
	mhost := strings.TrimPrefix(tlsReg.URL, "https://")
	ref, err := name.ParseReference(mhost + "/team/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithTransport(tlsReg.Client().Transport)); err != nil {
		t.Fatal(err)
	}
	n.sign(release, "team/app", dg, n.host+"/team/app:v1", 1)
	n.policy(policyWith(""))
	for _, tt := range []struct {
		insecure bool
		accepted bool
	}{{true, true}, {false, false}} {
		n.write("etc/containers/registries.conf", fmt.Sprintf("[[registry]]\nlocation = %q\n[[registry.mirror]]\nlocation = %q\ninsecure = %v\n", n.host, mhost, tt.insecure))
		res := n.verify(n.host+"/team/app:v1", func(o *Options) { o.TLSVerify = true })
		if res.Accepted != tt.accepted {
			t.Fatalf("insecure=%v: accepted %v (%s)", tt.insecure, res.Accepted, res.Summary)
		}
		if tt.insecure && (len(res.Trace.Sources) == 0 || !res.Trace.Sources[0].Used || !res.Trace.Sources[0].Insecure) {
			t.Errorf("sources %+v", res.Trace.Sources)
		}
		if !tt.insecure && (len(res.Trace.Sources) != 2 || !strings.Contains(res.Trace.Sources[0].Error, "certificate")) {
			t.Errorf("a verified mirror with a self-signed certificate served: %+v", res.Trace.Sources)
		}
	}
}

// TestMirrorSignatureAPIIsTheServers: a failed mirror that advertises the
// registry signature API does not make the runtime skip the look-aside
// of the mirror that serves (each source is its own client,
// newImageSourceAttempt).
func TestMirrorSignatureAPIIsTheServers(t *testing.T) {
	n := newNode(t)
	release := n.key("release", nil)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	d0, _ := img.Digest()
	dg := digest.Digest(d0.String())
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.Header().Set("X-Registry-Supports-Signatures", "1")
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(api.Close)
	apiHost := strings.TrimPrefix(api.URL, "http://")
	good := newServer(t)
	good.push("team/app:v1", img)
	good.sign(release, "team/app", dg, n.host+"/team/app:v1")
	n.policy(policyWith(""))
	n.write("etc/containers/registries.d/default.yaml", "docker:\n  "+good.host+":\n    lookaside: "+good.lookaside.URL+"\n")
	n.write("etc/containers/registries.conf", fmt.Sprintf("[[registry]]\nlocation = %q\n[[registry.mirror]]\nlocation = %q\n[[registry.mirror]]\nlocation = %q\n", n.host, apiHost, good.host))
	res := n.verify(n.host + "/team/app:v1")
	if !res.Accepted || res.Trace.PulledFrom != good.host+"/team/app:v1" || res.Trace.Lookaside == nil {
		t.Fatalf("accepted %v, pulled from %q, look-aside %+v: %s", res.Accepted, res.Trace.PulledFrom, res.Trace.Lookaside, res.Summary)
	}
}
