package verify

import (
	"strings"
	"testing"
	"time"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
)

// TestSubkeySignaturesByRelease: containers/image maps a signing subkey to
// its primary key from v5.37 (ec83beb392, runtimever.SubkeySignatures);
// before, the mechanism returned the subkey's fingerprint, which matched no
// trusted key ("Signature by key … is not accepted", as Debian's skopeo
// v5.23 says in e2e key-subkey). The library's own subkey fixture.
func TestSubkeySignaturesByRelease(t *testing.T) {
	m, sigs, err := dirManifestAndSignatures(&Image{Dir: fixture(t, "dir-img-valid-subkey")})
	if err != nil {
		t.Fatal(err)
	}
	named, err := reference.ParseNormalizedNamed("testing/manifest:latest")
	if err != nil {
		t.Fatal(err)
	}
	req := model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: fixture(t, "public-key-with-subkey.gpg"),
		SignedIdentity: &model.Identity{Type: model.MatchExact}}
	for _, mech := range []gpg.Mechanism{gpg.MechXCrypto, gpg.MechGoCrypto, gpg.MechGPGME} {
		for _, tt := range []struct {
			version string
			accept  bool
		}{{"v5.36.1", false}, {"v5.37.0", true}, {"v5.42.1", true}} {
			t.Run(string(mech)+"/"+tt.version, func(t *testing.T) {
				v, err := New(Options{Paths: node.NewPaths("/", "", "", ""), Policy: &model.Policy{}, Registries: &policyio.RegistriesD{},
					Mechanism: mech, RuntimeVersion: tt.version, Now: func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) }})
				if err != nil {
					t.Fatal(err)
				}
				r := req
				rr := evalRequirement(v, &r, &Image{Transport: model.TransportDocker, Named: named}, m, signatures{lookaside: sigs})
				if rr.Accepted != tt.accept {
					t.Fatalf("accepted = %v, want %v: %s", rr.Accepted, tt.accept, rr.Reason)
				}
				if !tt.accept && !strings.Contains(rr.Reason, "Signature by key ") {
					t.Errorf("reason %q", rr.Reason)
				}
			})
		}
	}
}
