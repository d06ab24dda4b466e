package verify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
)

// fixture returns the absolute path of a containers/image fixture.
func fixture(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSignedByFixtures runs containers/image's simple-signing dir: images
// through signedBy with the library's expectations
// (TestPRSignedByIsRunningImageAllowed, ...IsSignatureAuthorAccepted), under
// both pure-Go mechanisms.
func TestSignedByFixtures(t *testing.T) {
	key := fixture(t, "public-key.gpg")
	keyData, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	exact := &model.Identity{Type: model.MatchExact}
	withSig := func(name string) func([]sigSource) []sigSource {
		return func(s []sigSource) []sigSource {
			b, err := os.ReadFile(fixture(t, name))
			if err != nil {
				t.Fatal(err)
			}
			return []sigSource{{Where: name, Blob: b}}
		}
	}
	cases := []struct {
		name   string
		dir    string
		image  string
		req    model.Requirement
		sigs   func([]sigSource) []sigSource
		accept bool
		reason string
	}{
		{name: "valid", dir: "dir-img-valid", image: "testing/manifest:latest", req: model.Requirement{KeyPath: key, SignedIdentity: exact}, accept: true},
		{name: "unsigned", dir: "dir-img-unsigned", image: "testing/manifest:latest", req: model.Requirement{KeyPath: key, SignedIdentity: exact}, reason: "A signature was required, but no signature exists"},
		{name: "other tag", dir: "dir-img-valid", image: "testing/manifest:notlatest", req: model.Requirement{KeyPath: key, SignedIdentity: exact}, reason: `Signature for identity "testing/manifest:latest" is not accepted`},
		{name: "two valid", dir: "dir-img-valid-2", image: "testing/manifest:latest", req: model.Requirement{KeyPath: key, SignedIdentity: exact}, accept: true},
		{name: "two valid, other tag", dir: "dir-img-valid-2", image: "testing/manifest:notlatest", req: model.Requirement{KeyPath: key, SignedIdentity: exact}, reason: "None of the signatures were accepted"},
		{name: "invalid then valid", dir: "dir-img-mixed", image: "testing/manifest:latest", req: model.Requirement{KeyPath: key, SignedIdentity: exact}, accept: true},
		{name: "subkey", dir: "dir-img-valid-subkey", image: "testing/manifest:latest", req: model.Requirement{KeyPath: fixture(t, "public-key-with-subkey.gpg"), SignedIdentity: exact}, accept: true},
		{name: "keyPaths 1,1", dir: "dir-img-valid", image: "testing/manifest:latest", req: model.Requirement{KeyPaths: []string{fixture(t, "public-key-1.gpg"), fixture(t, "public-key-1.gpg")}, SignedIdentity: exact}, accept: true},
		{name: "keyPaths 2,1", dir: "dir-img-valid", image: "testing/manifest:latest", req: model.Requirement{KeyPaths: []string{fixture(t, "public-key-2.gpg"), fixture(t, "public-key-1.gpg")}, SignedIdentity: exact}, accept: true},
		{name: "keyData", dir: "dir-img-valid", image: "testing/manifest:latest", req: model.Requirement{KeyData: keyData, SignedIdentity: exact}, accept: true},
		{name: "default identity", dir: "dir-img-valid", image: "testing/manifest:latest", req: model.Requirement{KeyPath: key}, accept: true},
		{name: "keyType signedByGPGKeys", dir: "dir-img-valid", image: "testing/manifest:latest", req: model.Requirement{KeyType: "signedByGPGKeys", KeyPath: key}, reason: `Unimplemented "keyType" value "signedByGPGKeys"`},
		{name: "missing key file", dir: "dir-img-valid", image: "testing/manifest:latest", req: model.Requirement{KeyPath: "/this/does/not/exist"}, reason: "no such file"},
		{name: "one missing in keyPaths", dir: "dir-img-valid", image: "testing/manifest:latest", req: model.Requirement{KeyPaths: []string{key, "/this/does/not/exist"}}, reason: "no such file"},
		{name: "key of another signer", dir: "dir-img-valid", image: "testing/manifest:latest", req: model.Requirement{KeyPath: fixture(t, "public-key-with-subkey.gpg")}, reason: "not"},
		{name: "unknown key signature", dir: "dir-img-valid", image: "testing/manifest:latest", sigs: withSig("unknown-key.signature"), req: model.Requirement{KeyPath: key}, reason: "5f9470e3bc6c3b55"},
		{name: "corrupt signature", dir: "dir-img-valid", image: "testing/manifest:latest", sigs: withSig("corrupt.signature"), req: model.Requirement{KeyPath: key}, reason: "invalid signature"},
		{name: "payload not JSON", dir: "dir-img-valid", image: "testing/manifest:latest", sigs: withSig("invalid-blob.signature"), req: model.Requirement{KeyPath: key}, reason: "invalid character 'T'"},
		{name: "exactReference elsewhere", dir: "dir-img-valid", image: "testing/manifest:latest", req: model.Requirement{KeyPath: key, SignedIdentity: &model.Identity{Type: model.ExactReference, DockerReference: "this/does-not:match"}}, reason: "is not accepted"},
		{name: "modified manifest", dir: "dir-img-modified-manifest", image: "testing/manifest:latest", req: model.Requirement{KeyPath: key}, reason: "Signature for digest sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55 does not match"},
		{name: "schema 1 manifest that cannot be digested", dir: "dir-img-manifest-digest-error", image: "testing/manifest:latest", req: model.Requirement{KeyPath: key}, reason: "does not match"},
	}
	for _, mech := range []gpg.Mechanism{gpg.MechXCrypto, gpg.MechGoCrypto} {
		v, err := New(Options{Paths: node.NewPaths("/", "", "", ""), Policy: &model.Policy{}, Registries: &policyio.RegistriesD{},
			Mechanism: mech, Now: func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) }})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(string(mech)+"/"+c.name, func(t *testing.T) {
				m, sigs, err := dirManifestAndSignatures(&Image{Dir: fixture(t, c.dir)})
				if err != nil {
					t.Fatal(err)
				}
				if c.sigs != nil {
					sigs = c.sigs(sigs)
				}
				named, err := reference.ParseNormalizedNamed(c.image)
				if err != nil {
					t.Fatal(err)
				}
				req := c.req
				req.Type = model.SignedBy
				if req.KeyType == "" {
					req.KeyType = model.KeyTypeGPGKeys
				}
				rr := evalRequirement(v, &req, &Image{Transport: model.TransportDocker, Named: named}, m, signatures{lookaside: sigs})
				if rr.Accepted != c.accept {
					t.Fatalf("accepted = %v, want %v; reason: %s", rr.Accepted, c.accept, rr.Reason)
				}
				if !c.accept && !strings.Contains(rr.Reason, c.reason) {
					t.Fatalf("reason %q, want it to contain %q", rr.Reason, c.reason)
				}
			})
		}
	}
}

// TestFixtureImagesThroughDirTransport: the whole path (reference,
// policy, dir: reading) on the library's images; dir: images have no
// identity, so only exactReference can match them.
func TestFixtureImagesThroughDirTransport(t *testing.T) {
	pol := func(identity string) *model.Policy {
		p := &model.Policy{Default: model.Requirements{{Type: model.Reject}}}
		p.SetScope(model.TransportDir, "", model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: fixture(t, "public-key.gpg"),
			SignedIdentity: &model.Identity{Type: model.ExactReference, DockerReference: identity}}})
		return p
	}
	cases := []struct {
		dir      string
		identity string
		accept   bool
	}{
		{"dir-img-valid", "testing/manifest:latest", true},
		{"dir-img-valid", "testing/manifest:other", false},
		{"dir-img-unsigned", "testing/manifest:latest", false},
		{"dir-img-mixed", "testing/manifest:latest", true},
		{"dir-img-modified-manifest", "testing/manifest:latest", false},
		{"dir-img-no-manifest", "testing/manifest:latest", false},
		{"dir-img-cosign-valid", "testing/manifest:latest", false},
	}
	for _, c := range cases {
		t.Run(c.dir+"/"+c.identity, func(t *testing.T) {
			v, err := New(Options{Paths: node.NewPaths("/", "", "", ""), Policy: pol(c.identity), Registries: &policyio.RegistriesD{}, Mechanism: gpg.MechGoCrypto})
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(t.Context(), "dir:"+fixture(t, c.dir))
			if err != nil {
				t.Fatal(err)
			}
			if res.Accepted != c.accept {
				t.Fatalf("accepted = %v, want %v: %s", res.Accepted, c.accept, res.Summary)
			}
		})
	}
}
