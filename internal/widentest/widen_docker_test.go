package widentest

import (
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/verify"
	"github.com/opencontainers/go-digest"
)

// dockerCorpus pushes images to an in-process registry and serves their
// signatures from a look-aside on loopback, so that the identity rules
// that only docker references can satisfy (matchExact,
// matchRepoDigestOrExact, matchRepository, remapIdentity) and docker's
// scope order (repository, parents, host, *. wildcards) are exercised.
func dockerCorpus(t *testing.T) (*corpus, string, *policyio.RegistriesD) {
	t.Helper()
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	var sigs sync.Map
	la := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := sigs.Load(r.URL.Path); ok {
			w.Write(b.([]byte))
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(la.Close)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "default.yaml"), []byte("default-docker:\n  lookaside: "+la.URL+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rd, diags := policyio.LoadRegistriesD(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	c := &corpus{keys: testKeys(t)}
	// claims: what a signature for repo:tag says — the pulled reference,
	// another tag, another repository, and the pulled reference as a
	// mirror (remapIdentity's signedPrefix) names it.
	claims := func(repo, tag string) []string {
		other := "ns/other"
		if repo == other {
			other = "ns/app"
		}
		return []string{host + "/" + repo + ":" + tag, host + "/" + repo + ":zz", host + "/" + other + ":" + tag, host + "/mirror/" + repo[strings.Index(repo, "/")+1:] + ":" + tag}
	}
	type sig struct{ key, claim int }
	combos := [][]sig{{}, {{0, 0}}, {{1, 0}}, {{2, 0}}, {{0, 1}}, {{1, 2}}, {{0, 3}}, {{0, 0}, {1, 0}}, {{1, 1}, {2, 0}}}
	for _, repo := range []string{"ns/app", "team/x"} {
		for n, combo := range combos {
			tag := fmt.Sprintf("c%d", n)
			img, err := random.Image(16, 1)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := name.ParseReference(host+"/"+repo+":"+tag, name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			if err := remote.Write(ref, img); err != nil {
				t.Fatal(err)
			}
			d, _ := img.Digest()
			dgst := digest.Digest(d.String())
			for i, s := range combo {
				blob, err := gpg.Sign(c.keys[s.key].entity, verify.MarshalPayload(claims(repo, tag)[s.claim], dgst))
				if err != nil {
					t.Fatal(err)
				}
				sigs.Store(fmt.Sprintf("/%s@%s=%s/signature-%d", repo, dgst.Algorithm(), dgst.Encoded(), i+1), blob)
			}
			c.images = append(c.images, "docker://"+host+"/"+repo+":"+tag)
		}
	}
	return c, host, rd
}

func TestNoWideningMeansNoNewDockerImage(t *testing.T) {
	c, host, rd := dockerCorpus(t)
	seed := uint64(envInt("IMGTRUST_WIDEN_SEED", 19))
	g := &gen{r: rand.New(rand.NewPCG(seed, 2)), c: c, transport: model.TransportDocker,
		scopeList: []string{host + "/ns/app", host + "/ns", host, host + "/team", "*.0.1", ""},
		refs:      []string{host + "/ns/app:c1", host + "/team/x:c2", host + "/ns/app:zz"},
		repos:     []string{host + "/ns/app", host + "/team/x", host + "/ns/other"},
		remap:     [][2]string{{host + "/ns", host + "/mirror"}, {host + "/team", host + "/mirror"}, {host, host + "/mirror"}},
	}
	checkProperty(t, g, seed, envInt("IMGTRUST_WIDEN_DOCKER_PAIRS", 40), rd)
}
