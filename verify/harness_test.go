package verify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/node"
	"github.com/opencontainers/go-digest"
)

// testNode is a scratch node: an in-process registry, a look-aside server
// whose files the test controls, keys and a root with policy.json.
type testNode struct {
	t         testing.TB
	root      string
	paths     node.Paths
	reg       *httptest.Server
	host      string
	lookaside *httptest.Server
	sigs      sync.Map // URL path -> []byte
	requests  atomic.Int64
	// regRequests counts the registry's requests; conns the connections
	// either server accepted.
	regRequests, conns atomic.Int64
	keys               map[string]*openpgp.Entity
}

func newNode(t testing.TB) *testNode {
	t.Helper()
	n := &testNode{t: t, root: t.TempDir(), keys: map[string]*openpgp.Entity{}}
	n.paths = node.NewPaths(n.root, "", "", "")
	countConns := func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			n.conns.Add(1)
		}
	}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	n.reg = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.regRequests.Add(1)
		reg.ServeHTTP(w, r)
	}))
	n.reg.Config.ConnState = countConns
	n.reg.Start()
	t.Cleanup(n.reg.Close)
	n.host = strings.TrimPrefix(n.reg.URL, "http://")
	n.lookaside = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.requests.Add(1)
		if b, ok := n.sigs.Load(r.URL.Path); ok {
			w.Write(b.([]byte))
			return
		}
		http.NotFound(w, r)
	}))
	n.lookaside.Config.ConnState = countConns
	n.lookaside.Start()
	t.Cleanup(n.lookaside.Close)
	n.write("etc/containers/registries.d/default.yaml", "default-docker:\n  lookaside: "+n.lookaside.URL+"\n")
	return n
}

func (n *testNode) write(rel, content string) {
	p := filepath.Join(n.root, rel)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		n.t.Fatal(err)
	}
}

// key makes (once) a key called name and writes its public part to
// /etc/gpg/<name>.gpg. ECDSA keys are quick to make; "expired" and
// "revoked" variants are built from the options.
func (n *testNode) key(nameStr string, cfg *packet.Config) *openpgp.Entity {
	if e, ok := n.keys[nameStr]; ok {
		return e
	}
	if cfg == nil {
		cfg = &packet.Config{}
	}
	if cfg.Algorithm == 0 {
		cfg.Algorithm, cfg.Curve = packet.PubKeyAlgoECDSA, packet.CurveNistP256
	}
	e, err := openpgp.NewEntity(nameStr, "", nameStr+"@example.com", cfg)
	if err != nil {
		n.t.Fatal(err)
	}
	var buf bytes.Buffer
	e.Serialize(&buf)
	n.write("etc/gpg/"+nameStr+".gpg", buf.String())
	n.keys[nameStr] = e
	return e
}

// push uploads a random image and returns its digest.
func (n *testNode) push(repoTag string) digest.Digest {
	img, err := random.Image(64, 1)
	if err != nil {
		n.t.Fatal(err)
	}
	return n.pushImage(repoTag, img)
}

func (n *testNode) pushImage(repoTag string, img v1.Image) digest.Digest {
	ref, err := name.ParseReference(n.host+"/"+repoTag, name.Insecure)
	if err != nil {
		n.t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		n.t.Fatal(err)
	}
	d, _ := img.Digest()
	return digest.Digest(d.String())
}

// sign stores signature number i (1-based) for repo@dgst on the look-aside.
func (n *testNode) sign(key *openpgp.Entity, repo string, dgst digest.Digest, identity string, i int) {
	blob, err := gpg.Sign(key, MarshalPayload(identity, dgst))
	if err != nil {
		n.t.Fatal(err)
	}
	n.putSig(repo, dgst, i, blob)
}

func (n *testNode) putSig(repo string, dgst digest.Digest, i int, blob []byte) {
	path := fmt.Sprintf("/%s@%s=%s/signature-%d", repo, dgst.Algorithm(), dgst.Encoded(), i)
	n.sigs.Store(path, blob)
}

func (n *testNode) policy(js string) {
	n.write("etc/containers/policy.json", strings.ReplaceAll(js, "REG", n.host))
}

func (n *testNode) verify(image string, mod ...func(*Options)) *Result {
	n.t.Helper()
	opts := Options{Paths: n.paths, Mechanism: gpg.MechXCrypto, TLSVerify: false, Timeout: 5 * time.Second}
	for _, m := range mod {
		m(&opts)
	}
	v, err := New(opts)
	if ic, ok := err.(*InvalidConfigError); ok {
		n.t.Fatalf("%v: %v", err, ic.Diags)
	}
	if err != nil {
		n.t.Fatal(err)
	}
	res, err := v.Verify(context.Background(), strings.ReplaceAll(image, "REG", n.host))
	if err != nil {
		n.t.Fatal(err)
	}
	return res
}
