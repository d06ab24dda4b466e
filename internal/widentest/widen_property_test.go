package widentest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/verify"
	"github.com/opencontainers/go-digest"
)

// The property: when the check finds no widening between a policy and a
// mutation of it (key files included), no image of a corpus made at test
// time is accepted by the new configuration and rejected by the old one,
// as verify's own evaluator decides offline on dir: images.
//
// IMGTRUST_WIDEN_PAIRS sets how many pairs to try (default 120: about
// 2 s of CPU, most of it verify loading key files again per signature); IMGTRUST_WIDEN_SEED another seed.

// signedIdentities are what the corpus's signatures claim.
var signedIdentities = []string{"registry.example.com/ns/app:v1", "registry.example.com/ns/app:v2", "registry.example.com/ns/other:v1"}

// corpus is a set of dir: images under base with signatures by the test
// keys: every (key, identity) alone, a few pairs, and none.
type corpus struct {
	base   string
	keys   []testKey
	images []string
}

func makeCorpus(t *testing.T) *corpus {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := &corpus{base: base, keys: testKeys(t)}
	type sig struct{ key, id int }
	combos := [][]sig{{}}
	for k := range c.keys {
		for i := range signedIdentities {
			combos = append(combos, []sig{{k, i}})
		}
	}
	combos = append(combos, []sig{{0, 0}, {1, 0}}, []sig{{0, 0}, {2, 1}}, []sig{{1, 2}, {2, 0}}, []sig{{0, 1}, {1, 2}}, []sig{{2, 2}, {0, 0}})
	for _, loc := range []string{"r/x/app", "r/y", "q"} {
		for n, combo := range combos {
			dir := filepath.Join(base, loc, fmt.Sprintf("c%d", n))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"image":%q}`, loc+"/"+strconv.Itoa(n)))
			if err := os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o644); err != nil {
				t.Fatal(err)
			}
			for i, s := range combo {
				blob, err := gpg.Sign(c.keys[s.key].entity, verify.MarshalPayload(signedIdentities[s.id], digest.FromBytes(manifest)))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("signature-%d", i+1)), blob, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c.images = append(c.images, "dir:"+dir)
		}
	}
	return c
}

func testKeys(t testing.TB) []testKey {
	return []testKey{fastKey(t, "Alice"), fastKey(t, "Bob"), fastKey(t, "Carol")}
}

// fastKey is a key that is quick to check: verify loads the key files
// again for every signature, and an RSA signature (and self-signature)
// verifies several times faster than an ECDSA one; no subkey to verify.
func fastKey(t testing.TB, name string) testKey {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", strings.ToLower(name)+"@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	e.Subkeys = nil
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return testKey{entity: e, pub: buf.Bytes()}
}

// config is one side of a pair: a policy (nil: the runtime cannot load
// it) and the content of the key files /etc/gpg/k1..k4.gpg (nil: missing).
type config struct {
	policy *model.Policy
	files  map[string][]byte
}

var keyFiles = []string{"/etc/gpg/k1.gpg", "/etc/gpg/k2.gpg", "/etc/gpg/k3.gpg", "/etc/gpg/k4.gpg"}

// gen makes policies over one transport's scopes, with identity rules
// whose parameters name what the corpus's signatures claim (and a little
// more).
type gen struct {
	r         *rand.Rand
	c         *corpus
	transport string
	scopeList []string
	refs      []string // exactReference candidates
	repos     []string // exactRepository candidates
	remap     [][2]string
}

func (g *gen) pick(n int) int { return g.r.IntN(n) }

func (g *gen) scopes() []string { return g.scopeList }

func dirGen(r *rand.Rand, c *corpus) *gen {
	b := c.base
	return &gen{r: r, c: c, transport: model.TransportDir,
		scopeList: []string{b + "/r/x/app", b + "/r/x", b + "/r", b + "/q", b, ""},
		refs:      append(signedIdentities[:len(signedIdentities):len(signedIdentities)], "registry.example.com/ns/app:v3"),
		repos:     []string{"registry.example.com/ns/app", "registry.example.com/ns/other", "registry.example.com/ns/app:v1"},
		remap:     [][2]string{{"registry.example.com/ns", "registry.example.com/ns"}},
	}
}

// fileContent is one key file's content: some of the keys, armored or
// binary, or nil (the file does not exist).
func (g *gen) fileContent(t testing.TB) []byte {
	switch g.pick(8) {
	case 0:
		return nil
	case 1:
		return armored(t, g.c.keys[g.pick(3)].pub)
	case 2, 3:
		i, j := g.pick(3), g.pick(3)
		return cat(g.c.keys[i].pub, g.c.keys[j].pub)
	case 4:
		return cat(g.c.keys[0].pub, g.c.keys[1].pub, g.c.keys[2].pub)
	}
	return g.c.keys[g.pick(3)].pub
}

func (g *gen) identity() *model.Identity {
	switch g.pick(9) {
	case 0:
		return nil // matchRepoDigestOrExact
	case 1:
		return &model.Identity{Type: model.MatchExact}
	case 2:
		return &model.Identity{Type: model.MatchRepository}
	case 3, 4:
		return &model.Identity{Type: model.ExactReference, DockerReference: g.refs[g.pick(len(g.refs))]}
	case 5, 6:
		return &model.Identity{Type: model.ExactRepository, DockerRepository: g.repos[g.pick(len(g.repos))]}
	case 7:
		m := g.remap[g.pick(len(g.remap))]
		return &model.Identity{Type: model.RemapIdentity, Prefix: m[0], SignedPrefix: m[1]}
	}
	return &model.Identity{Type: model.MatchRepoDigestOrExact}
}

func (g *gen) requirement(t testing.TB) *model.Requirement {
	switch g.pick(10) {
	case 0:
		return &model.Requirement{Type: model.InsecureAcceptAnything}
	case 1:
		return &model.Requirement{Type: model.Reject}
	}
	r := &model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, SignedIdentity: g.identity()}
	switch g.pick(6) {
	case 0:
		r.KeyPaths = []string{keyFiles[g.pick(4)], keyFiles[g.pick(4)]}
	case 1:
		r.KeyData = g.c.keys[g.pick(3)].pub
	case 2:
		if g.pick(4) == 0 {
			r.KeyType = model.KeyTypeX509Certificates
		}
		r.KeyPath = keyFiles[g.pick(4)]
	default:
		r.KeyPath = keyFiles[g.pick(4)]
	}
	return r
}

func (g *gen) list(t testing.TB) model.Requirements {
	n := 1 + g.pick(2)
	out := make(model.Requirements, n)
	for i := range out {
		out[i] = g.requirement(t)
	}
	return out
}

func (g *gen) config(t testing.TB) config {
	p := &model.Policy{Default: g.list(t)}
	for _, s := range g.scopes() {
		if g.pick(3) == 0 {
			p.SetScope(g.transport, s, g.list(t))
		}
	}
	c := config{policy: p, files: map[string][]byte{}}
	for _, f := range keyFiles {
		if d := g.fileContent(t); d != nil {
			c.files[f] = d
		}
	}
	return c
}

// someList returns a requirement list of p to edit.
func (g *gen) someList(p *model.Policy) *model.Requirements {
	lists := []*model.Requirements{&p.Default}
	for _, tr := range p.Transports {
		for _, s := range tr.Scopes {
			lists = append(lists, &s.Requirements)
		}
	}
	return lists[g.pick(len(lists))]
}

// mutate returns a changed copy of c: one or two edits of the kinds an
// admin (or imgtrust) makes.
func (g *gen) mutate(t testing.TB, c config) (config, string) {
	out := config{policy: c.policy.Clone(), files: map[string][]byte{}}
	for k, v := range c.files {
		out.files[k] = v
	}
	if out.policy == nil {
		out.policy = &model.Policy{Default: g.list(t)}
	}
	var did []string
	for n := 1 + g.pick(2); n > 0; n-- {
		p := out.policy
		switch g.pick(11) {
		case 0:
			l := g.someList(p)
			if len(*l) > 1 {
				i := g.pick(len(*l))
				*l = append((*l)[:i:i], (*l)[i+1:]...)
				did = append(did, "remove a requirement")
			}
		case 1:
			l := g.someList(p)
			*l = append(*l, g.requirement(t))
			did = append(did, "add a requirement")
		case 2:
			l := g.someList(p)
			(*l)[g.pick(len(*l))] = g.requirement(t)
			did = append(did, "replace a requirement")
		case 3:
			l := g.someList(p)
			if r := (*l)[g.pick(len(*l))]; r.Type == model.SignedBy {
				r.SignedIdentity = g.identity()
				did = append(did, "change an identity")
			}
		case 4:
			l := g.someList(p)
			if r := (*l)[g.pick(len(*l))]; r.Type == model.SignedBy && r.KeyPath != "" {
				r.KeyPath = keyFiles[g.pick(4)]
				did = append(did, "change a keyPath")
			}
		case 5:
			if tr := p.Transport(g.transport); tr != nil {
				s := tr.Scopes[g.pick(len(tr.Scopes))]
				p.RemoveScope(g.transport, s.Name)
				did = append(did, "remove scope "+s.Name)
			}
		case 6:
			s := g.scopes()[g.pick(len(g.scopes()))]
			p.SetScope(g.transport, s, g.list(t))
			did = append(did, "set scope "+s)
		case 7:
			p.Default = g.list(t)
			did = append(did, "change the default")
		case 8, 9:
			f := keyFiles[g.pick(4)]
			if d := g.fileContent(t); d != nil {
				out.files[f] = d
			} else {
				delete(out.files, f)
			}
			did = append(did, "rewrite "+f)
		case 10:
			out.policy = nil
			did = append(did, "break policy.json")
			return out, strings.Join(did, ", ")
		}
	}
	return out, strings.Join(did, ", ")
}

// loaded renders and parses p as a save would: nil when the runtime
// could not load the result.
func loaded(p *model.Policy) *model.Policy {
	if p == nil {
		return nil
	}
	data, err := policyio.MarshalPolicy(p)
	if err != nil {
		return nil
	}
	q, diags := policyio.ParsePolicy("policy.json", data)
	if diags.HasErrors() {
		return nil
	}
	return q
}

func (c config) state() policyio.TrustState {
	return policyio.TrustState{Policy: c.policy, Keys: files(c.files).read}
}

// evaluator decides with verify on a scratch root holding c's key files.
type evaluator struct {
	root string
	mech gpg.Mechanism
	now  time.Time // after the test keys were made
	// written is what the key files hold now.
	written    map[string][]byte
	registries *policyio.RegistriesD
}

// write puts c's key files under the root, touching only what changed
// since the last call.
func (e *evaluator) write(t testing.TB, c config) {
	if e.written == nil {
		e.written = map[string][]byte{}
		if err := os.MkdirAll(filepath.Join(e.root, "etc/gpg"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range keyFiles {
		d, ok := c.files[p]
		was, had := e.written[p]
		switch {
		case !ok && had:
			if err := os.Remove(filepath.Join(e.root, p)); err != nil {
				t.Fatal(err)
			}
			delete(e.written, p)
		case ok && (!had || !bytes.Equal(d, was)):
			if err := os.WriteFile(filepath.Join(e.root, p), d, 0o644); err != nil {
				t.Fatal(err)
			}
			e.written[p] = d
		}
	}
}

func (e evaluator) verifier(t testing.TB, c config) *verify.Verifier {
	if c.policy == nil {
		return nil
	}
	v, err := verify.New(verify.Options{
		Paths: node.NewPaths(e.root, "", "", ""), Policy: c.policy, Registries: e.registries, Timeout: 5 * time.Second,
		Mechanism: e.mech, Now: func() time.Time { return e.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func accepted(t testing.TB, v *verify.Verifier, image string) bool {
	if v == nil {
		return false // the runtime cannot load policy.json
	}
	res, err := v.Verify(context.Background(), image)
	if err != nil {
		t.Fatal(err)
	}
	return res.Accepted
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func TestNoWideningMeansNoNewImage(t *testing.T) {
	c := makeCorpus(t)
	seed := uint64(envInt("IMGTRUST_WIDEN_SEED", 19))
	checkProperty(t, dirGen(rand.New(rand.NewPCG(seed, 1)), c), seed, envInt("IMGTRUST_WIDEN_PAIRS", 120), nil)
}

// checkProperty runs pairs random pairs from g and fails on the first one
// the check calls quiet while an image of g's corpus got in. registries is
// the look-aside configuration (nil: none, for dir: images).
func checkProperty(t *testing.T, g *gen, seed uint64, pairs int, registries *policyio.RegistriesD) {
	c := g.c
	if registries == nil {
		registries = &policyio.RegistriesD{}
	}
	now := time.Now().Add(time.Hour)
	oldEval := &evaluator{root: t.TempDir(), now: now, registries: registries}
	newEval := &evaluator{root: t.TempDir(), now: now, registries: registries}
	var quiet, reported, sampled, confirmed, checks int
	for i := range pairs {
		old := g.config(t)
		old.policy = loaded(old.policy)
		cur, edits := g.mutate(t, old)
		cur.policy = loaded(cur.policy)
		mech := []gpg.Mechanism{gpg.MechGoCrypto, gpg.MechXCrypto, gpg.MechGPGME}[i%3]
		oldEval.mech, newEval.mech = mech, mech
		widen := policyio.Widenings(old.state(), cur.state(), gpg.CompareKeys)
		// The property needs the quiet pairs; every fourth reported one is
		// evaluated too, to measure how often a report is a false alarm.
		if len(widen) > 0 && reported%4 != 0 {
			reported++
			continue
		}
		oldEval.write(t, old)
		newEval.write(t, cur)
		ov, nv := oldEval.verifier(t, old), newEval.verifier(t, cur)
		gotIn := ""
		for _, img := range c.images {
			checks++
			if accepted(t, nv, img) && !accepted(t, ov, img) {
				gotIn = img
				break
			}
		}
		switch {
		case len(widen) == 0 && gotIn != "":
			oj, _ := marshal(old.policy)
			nj, _ := marshal(cur.policy)
			t.Fatalf("pair %d (seed %d, %s, %s): no widening reported, but %s is accepted now and was rejected before\nold: %s\nnew: %s\nold files: %v\nnew files: %v",
				i, seed, edits, mech, gotIn, oj, nj, describeFiles(c, old.files), describeFiles(c, cur.files))
		case len(widen) == 0:
			quiet++
		default:
			reported++
			sampled++
			if gotIn != "" {
				confirmed++
			}
		}
	}
	t.Logf("%d pairs (seed %d): %d without widening, all held over %d images; %d reported, of %d evaluated %d shown by an image of the corpus (%d verdicts)",
		pairs, seed, quiet, len(c.images), reported, sampled, confirmed, checks)
	if quiet < pairs/5 || reported < pairs/5 {
		t.Errorf("the generator is lopsided: %d quiet, %d reported of %d pairs", quiet, reported, pairs)
	}
}

func marshal(p *model.Policy) (string, error) {
	if p == nil {
		return "(cannot be loaded)", nil
	}
	b, err := policyio.MarshalPolicy(p)
	return string(b), err
}

func describeFiles(c *corpus, fs map[string][]byte) string {
	var parts []string
	for _, f := range keyFiles {
		d, ok := fs[f]
		if !ok {
			parts = append(parts, f+"=missing")
			continue
		}
		var who []string
		for i, k := range c.keys {
			if strings.Contains(string(d), string(k.pub)) {
				who = append(who, []string{"A", "B", "C"}[i])
			}
		}
		if strings.HasPrefix(string(d), "-----") {
			who = append(who, "armored")
		}
		parts = append(parts, f+"="+strings.Join(who, "+"))
	}
	return strings.Join(parts, " ")
}
