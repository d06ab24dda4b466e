package impact

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/gpg/gpgtest"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
)

// node writes a scratch root: crio.conf naming pause, a drop-in, a
// containers-storage image list, a container list, and key files.
func scratchNode(t *testing.T, pause string, files map[string][]byte) node.Paths {
	t.Helper()
	root := t.TempDir()
	all := map[string][]byte{
		"etc/crio/crio.conf":                []byte("[crio.image]\npause_image = \"registry.k8s.io/pause:3.9\"\n"),
		"etc/crio/crio.conf.d/10-node.conf": []byte("[crio.image]\npause_image = \"" + pause + "\"\n"),
		"var/lib/containers/storage/overlay-images/images.json": []byte(`[
			{"id":"p","names":["` + pause + `"]},
			{"id":"a","names":["quay.io/app/web:1","quay.io/app/web:latest"]},
			{"id":"c","names":[]}]`),
		"var/lib/containers/storage/overlay-containers/containers.json": []byte(`[
			{"id":"1","image":"a","metadata":"{\"image-name\":\"quay.io/app/web:1\"}"},
			{"id":"2","image":"c","metadata":"{\"image-name\":\"quay.io/old/job:7\"}"}]`),
	}
	for k, v := range files {
		all[k] = v
	}
	for name, data := range all {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return node.NewPaths(root, "", "", "")
}

// refusingRegistry is a loopback address that refuses connections: an
// unreachable registry with no network and no wait.
func refusingRegistry(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func policyWith(def model.Requirements, scopes map[string]model.Requirements) *model.Policy {
	p := &model.Policy{Default: def}
	if len(scopes) > 0 {
		t := &model.Transport{Name: model.TransportDocker}
		for s, reqs := range scopes {
			t.Scopes = append(t.Scopes, &model.Scope{Name: s, Requirements: reqs})
		}
		p.Transports = append(p.Transports, t)
	}
	return p
}

func reqs(rs ...*model.Requirement) model.Requirements { return rs }

func TestReadNodeImagesFromStorage(t *testing.T) {
	paths := scratchNode(t, "mirror.example/pause:3.10", nil)
	imgs, err := node.ReadNodeImages(paths)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range imgs {
		got = append(got, i.Role+"="+i.Ref)
	}
	want := "pause=mirror.example/pause:3.10 stored=quay.io/app/web:1 stored=quay.io/app/web:latest container=quay.io/old/job:7"
	if strings.Join(got, " ") != want {
		t.Errorf("node images:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

// TestOfflineDecisions: every requirement type the policy decides alone
// is decided without a network request, for the pause image; the rest
// need signatures and, offline, are not checked (never rejected).
func TestOfflineDecisions(t *testing.T) {
	key := gpgtest.NewKey(t, "release")
	pub := gpgtest.Public(t, key)
	reg := refusingRegistry(t)
	pause := reg + "/pause:3.10"
	paths := scratchNode(t, pause, map[string][]byte{
		"etc/pki/good.gpg":  pub,
		"etc/pki/empty.gpg": []byte("not a key"),
		"etc/pki/ca.pem":    []byte("x"),
	})
	signedBy := func(paths ...string) *model.Requirement {
		r := &model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys}
		if len(paths) == 1 {
			r.KeyPath = paths[0]
		} else {
			r.KeyPaths = paths
		}
		return r
	}
	tests := []struct {
		name    string
		reqs    model.Requirements
		status  Status
		offline bool
		reason  string
	}{
		{"reject", reqs(&model.Requirement{Type: model.Reject}), Rejected, true, "rejects it"},
		{"insecureAcceptAnything", reqs(&model.Requirement{Type: model.InsecureAcceptAnything}), Pullable, true, "insecureAcceptAnything"},
		{"signedBaseLayer", reqs(&model.Requirement{Type: model.SignedBaseLayer}), Rejected, true, "does not implement"},
		{"accept then reject: every requirement must accept", reqs(&model.Requirement{Type: model.InsecureAcceptAnything}, &model.Requirement{Type: model.Reject}), Rejected, true, "rejects it"},
		{"signedBy, key file missing", reqs(signedBy("/etc/pki/missing.gpg")), Rejected, true, "/etc/pki/missing.gpg does not exist"},
		{"signedBy, one of keyPaths missing", reqs(signedBy("/etc/pki/good.gpg", "/etc/pki/missing.gpg")), Rejected, true, "missing.gpg does not exist"},
		{"signedBy, no key loads", reqs(signedBy("/etc/pki/empty.gpg")), Rejected, true, "empty.gpg"},
		{"signedBy, X509 key type", reqs(&model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeX509Certificates, KeyPath: "/etc/pki/good.gpg"}), Rejected, true, "GPGKeys"},
		{"signedBy, inline key that loads", reqs(&model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyData: pub}), NotChecked, false, "--offline"},
		{"signedBy, key loads: needs signatures", reqs(signedBy("/etc/pki/good.gpg")), NotChecked, false, "--offline"},
		{"sigstoreSigned, key missing", reqs(&model.Requirement{Type: model.SigstoreSigned, KeyPath: "/etc/pki/cosign.pub"}), Rejected, true, "cosign.pub does not exist"},
		{"sigstoreSigned, Fulcio CA missing", reqs(&model.Requirement{Type: model.SigstoreSigned, Fulcio: &model.Fulcio{CAPath: "/etc/pki/fulcio.pem", OIDCIssuer: "https://o", SubjectEmail: "a@b"}, RekorPublicKeyPath: "/etc/pki/ca.pem"}), Rejected, true, "fulcio.pem does not exist"},
		{"sigstoreSigned, files present: needs signatures", reqs(&model.Requirement{Type: model.SigstoreSigned, PKI: &model.PKI{CARootsPath: "/etc/pki/ca.pem", SubjectEmail: "a@b"}}), NotChecked, false, "--offline"},
		{"empty requirement list", model.Requirements{}, Rejected, true, "no requirement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewChecker(Options{Paths: paths, Offline: true, Mechanism: gpg.MechGoCrypto})
			// The scope covers the pause image's repository; the default
			// accepts so that only the scope decides.
			pol := policyWith(reqs(&model.Requirement{Type: model.InsecureAcceptAnything}), map[string]model.Requirements{reg + "/pause": tt.reqs})
			imgs, err := node.ReadNodeImages(paths)
			if err != nil {
				t.Fatal(err)
			}
			got := c.Check(context.Background(), Config{Policy: pol}, imgs[:1])[0]
			if got.Status != tt.status || got.Offline != tt.offline || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("got %+v, want %s offline=%v with %q", got, tt.status, tt.offline, tt.reason)
			}
			if got.Scope != "docker:"+reg+"/pause" {
				t.Errorf("scope %q", got.Scope)
			}
		})
	}
}

// TestUnreachableIsNotChecked: online, a registry out of reach leaves
// the image not checked, with the reason — never rejected — while the
// images the policy decides alone are decided all the same.
func TestUnreachableIsNotChecked(t *testing.T) {
	key := gpgtest.NewKey(t, "release")
	reg := refusingRegistry(t)
	paths := scratchNode(t, reg+"/pause:3.10", map[string][]byte{"etc/pki/good.gpg": gpgtest.Public(t, key)})
	pol := policyWith(reqs(&model.Requirement{Type: model.InsecureAcceptAnything}), map[string]model.Requirements{
		reg + "/pause": reqs(&model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/etc/pki/good.gpg"}),
		"quay.io/old":  reqs(&model.Requirement{Type: model.Reject}),
	})
	imgs, _ := node.ReadNodeImages(paths)
	got := NewChecker(Options{Paths: paths, Mechanism: gpg.MechGoCrypto}).Check(context.Background(), Config{Policy: pol}, imgs)
	if got[0].Status != NotChecked || got[0].Reason == "" {
		t.Errorf("pause image behind an unreachable registry: %+v, want not checked with a reason", got[0])
	}
	if got[1].Status != Pullable || !got[1].Offline {
		t.Errorf("quay.io/app/web:1 under insecureAcceptAnything: %+v", got[1])
	}
	if last := got[len(got)-1]; last.Status != Rejected || !last.Offline {
		t.Errorf("container image under reject: %+v", last)
	}
}

// TestOfflineMakesNoRequest: with Offline, an image whose registry is a
// live loopback server is not checked and the server sees no request.
func TestOfflineMakesNoRequest(t *testing.T) {
	var hits atomic.Int64
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); http.NotFound(w, r) })}
	go srv.Serve(l)
	defer srv.Close()
	key := gpgtest.NewKey(t, "release")
	paths := scratchNode(t, l.Addr().String()+"/pause:3.10", map[string][]byte{"etc/pki/good.gpg": gpgtest.Public(t, key)})
	pol := policyWith(reqs(&model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/etc/pki/good.gpg"}), nil)
	imgs, _ := node.ReadNodeImages(paths)
	for i, v := range NewChecker(Options{Paths: paths, Offline: true, Mechanism: gpg.MechGoCrypto}).Check(context.Background(), Config{Policy: pol}, imgs) {
		if v.Status != NotChecked {
			t.Errorf("%s: %+v, want not checked", imgs[i].Ref, v)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("offline check made %d request(s)", n)
	}
	// Online the same check asks the registry: the server above is
	// what an offline run must not reach.
	NewChecker(Options{Paths: paths, Mechanism: gpg.MechGoCrypto}).Check(context.Background(), Config{Policy: pol}, imgs[:1])
	if hits.Load() == 0 {
		t.Error("the online check made no request: the offline assertion proves nothing")
	}
}

// TestCompare: the change per image between a current and a candidate
// configuration.
func TestCompare(t *testing.T) {
	reg := refusingRegistry(t)
	pause := reg + "/pause:3.10"
	paths := scratchNode(t, pause, nil)
	accept := reqs(&model.Requirement{Type: model.InsecureAcceptAnything})
	reject := reqs(&model.Requirement{Type: model.Reject})
	signed := reqs(&model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/etc/pki/k.gpg"})
	keys := func(m map[string][]byte) policyio.KeyFiles {
		return func(p string) ([]byte, error) {
			if d, ok := m[p]; ok {
				return d, nil
			}
			return nil, os.ErrNotExist
		}
	}
	pub := gpgtest.Public(t, gpgtest.NewKey(t, "k"))
	tests := []struct {
		name      string
		cur, cand Config
		want      map[string]Change
	}{
		{"default reject without the pause scope locks out",
			Config{Policy: policyWith(reject, map[string]model.Requirements{reg + "/pause": accept, "quay.io": accept})},
			Config{Policy: policyWith(reject, map[string]model.Requirements{"quay.io": accept})},
			map[string]Change{pause: Lockout, "quay.io/app/web:1": Unchanged, "quay.io/old/job:7": Unchanged}},
		{"opening the default widens",
			Config{Policy: policyWith(reject, nil)},
			Config{Policy: policyWith(accept, nil)},
			map[string]Change{pause: Widening, "quay.io/app/web:latest": Widening}},
		{"a signed rule the registry cannot answer is unknown, not a lockout",
			Config{Policy: policyWith(accept, nil)},
			Config{Policy: policyWith(signed, nil), Keys: keys(map[string][]byte{"/etc/pki/k.gpg": pub})},
			map[string]Change{pause: Unknown}},
		{"a candidate whose key file is gone locks out",
			Config{Policy: policyWith(accept, nil)},
			Config{Policy: policyWith(signed, nil), Keys: keys(nil)},
			map[string]Change{pause: Lockout}},
		{"a policy the runtime cannot load locks out",
			Config{Policy: policyWith(accept, nil)},
			Config{Policy: nil},
			map[string]Change{pause: Lockout}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imgs, _ := node.ReadNodeImages(paths)
			rep := NewChecker(Options{Paths: paths, Offline: true, Mechanism: gpg.MechGoCrypto}).Compare(context.Background(), tt.cur, tt.cand, imgs)
			for _, row := range rep.Rows {
				if want, ok := tt.want[row.Image.Ref]; ok && row.Change != want {
					t.Errorf("%s: %s (current %+v, candidate %+v), want %s", row.Image.Ref, row.Change, row.Current, row.Candidate, want)
				}
			}
			if pl := rep.PauseLockout(); (pl != nil) != (tt.want[pause] == Lockout) {
				t.Errorf("PauseLockout = %v", pl)
			}
		})
	}
}

// TestCheckedThroughVerify: a rule that needs signatures is decided by
// verify's evaluator (here on containers/image's dir: fixtures, which need
// no network): a valid signature makes the image pullable, none rejects
// it, and neither verdict is marked as decided offline.
func TestCheckedThroughVerify(t *testing.T) {
	fixture := func(name string) string {
		p, err := filepath.Abs(filepath.Join("..", "verify", "testdata", "fixtures", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	pol := &model.Policy{Default: reqs(&model.Requirement{Type: model.Reject})}
	pol.SetScope(model.TransportDir, "", reqs(&model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: fixture("public-key.gpg"),
		SignedIdentity: &model.Identity{Type: model.ExactReference, DockerReference: "testing/manifest:latest"}}))
	c := NewChecker(Options{Paths: node.NewPaths("/", "", "", ""), Registries: &policyio.RegistriesD{}, Mechanism: gpg.MechGoCrypto})
	tests := []struct {
		dir  string
		want Status
	}{
		{"dir-img-valid", Pullable},
		{"dir-img-unsigned", Rejected},
		{"dir-img-modified-manifest", Rejected},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			got := c.CheckOne(context.Background(), Config{Policy: pol}, "dir:"+fixture(tt.dir))
			if got.Status != tt.want || got.Offline {
				t.Errorf("got %+v, want %s checked through verify", got, tt.want)
			}
		})
	}
	off := NewChecker(Options{Paths: node.NewPaths("/", "", "", ""), Offline: true, Mechanism: gpg.MechGoCrypto})
	// A candidate's key file not yet on disk is read through Config.Keys
	// for the online check too.
	staged := pol.Clone()
	staged.Transport(model.TransportDir).Scope("").Requirements[0].KeyPath = "/etc/gpg/about-to-be-imported.gpg"
	keyData, err := os.ReadFile(fixture("public-key.gpg"))
	if err != nil {
		t.Fatal(err)
	}
	keys := func(p string) ([]byte, error) {
		if p == "/etc/gpg/about-to-be-imported.gpg" {
			return keyData, nil
		}
		return nil, os.ErrNotExist
	}
	if got := c.CheckOne(context.Background(), Config{Policy: staged, Keys: keys}, "dir:"+fixture("dir-img-valid")); got.Status != Pullable {
		t.Errorf("candidate key through Keys: %+v, want pullable", got)
	}
	if got := c.CheckOne(context.Background(), Config{Policy: staged}, "dir:"+fixture("dir-img-valid")); got.Status != Rejected || !got.Offline {
		t.Errorf("the same key file read from disk: %+v, want rejected offline (missing)", got)
	}
	// dir: images are local files: offline still checks them.
	if got := off.CheckOne(context.Background(), Config{Policy: pol}, "dir:"+fixture("dir-img-valid")); got.Status != Pullable {
		t.Errorf("offline dir: image: %+v, want pullable", got)
	}
}

// TestSkipUnchanged: a save check judges only the images the change
// touches; the others are unchanged without a verdict.
func TestSkipUnchanged(t *testing.T) {
	reg := refusingRegistry(t)
	paths := scratchNode(t, reg+"/pause:3.10", nil)
	accept := reqs(&model.Requirement{Type: model.InsecureAcceptAnything})
	cur := Config{Policy: policyWith(accept, map[string]model.Requirements{"quay.io": accept})}
	cand := Config{Policy: policyWith(accept, map[string]model.Requirements{"quay.io": reqs(&model.Requirement{Type: model.Reject})})}
	imgs, _ := node.ReadNodeImages(paths)
	rep := NewChecker(Options{Paths: paths, SkipUnchanged: true, Mechanism: gpg.MechGoCrypto}).Compare(context.Background(), cur, cand, imgs)
	for _, row := range rep.Rows {
		touched := strings.HasPrefix(row.Image.Ref, "quay.io/")
		switch {
		case touched && row.Change != Lockout:
			t.Errorf("%s: %s, want lockout", row.Image.Ref, row.Change)
		case !touched && (row.Change != Unchanged || row.Current.Status != NotChecked):
			t.Errorf("%s: %+v, want unchanged and not judged", row.Image.Ref, row)
		}
	}
	if rep.PauseLockout() != nil || len(rep.Lockouts()) != 3 {
		t.Errorf("lockouts %+v", rep.Lockouts())
	}
}

// TestLookasideChangeJudgesTheImagesItMoves: a candidate look-aside
// (a staged registries.d edit) leaves the requirements as they are, yet
// the images whose signatures it moves are judged again; the others stay
// unjudged.
func TestLookasideChangeJudgesTheImagesItMoves(t *testing.T) {
	reg := refusingRegistry(t)
	key := gpgtest.Public(t, gpgtest.NewKey(t, "k"))
	paths := scratchNode(t, reg+"/pause:3.10", map[string][]byte{"etc/gpg/k.gpg": key})
	signed := reqs(&model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/etc/gpg/k.gpg"})
	pol := policyWith(reqs(&model.Requirement{Type: model.InsecureAcceptAnything}), map[string]model.Requirements{reg: signed, "quay.io": signed})
	load := func(yaml string) *policyio.RegistriesD {
		dir := filepath.Join(t.TempDir(), "registries.d")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(yaml), 0o644)
		rd, diags := policyio.LoadRegistriesD(dir)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return rd
	}
	cur := Config{Policy: pol, Registries: load("docker:\n  quay.io:\n    lookaside: https://old.example\n")}
	cand := Config{Policy: pol, Registries: load("docker:\n  quay.io:\n    lookaside: https://new.example\n")}
	imgs, _ := node.ReadNodeImages(paths)
	rep := NewChecker(Options{Paths: paths, SkipUnchanged: true, Offline: true, Mechanism: gpg.MechGoCrypto}).Compare(context.Background(), cur, cand, imgs)
	for _, row := range rep.Rows {
		moved := strings.HasPrefix(row.Image.Ref, "quay.io/")
		judged := row.Current.Reason != "the change leaves its requirements and key files as they are"
		if moved != judged {
			t.Errorf("%s: judged %v (%+v), want %v", row.Image.Ref, judged, row, moved)
		}
		if moved && row.Change != Unknown {
			t.Errorf("%s: %s, want unknown (offline: its signatures are not read)", row.Image.Ref, row.Change)
		}
	}
}
