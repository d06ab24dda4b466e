package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/kios/imgtrust/gpg"
)

// Verdicts measured against containers/image itself (issue 14, items 6–8).

// TestAcceptAnythingPullParsesSignatures: under insecureAcceptAnything the
// copy still reads and parses the look-aside signatures after the policy
// check; a blob that is not a signature fails the pull (a rejection, not
// an unfinished check), and no signature at all is fine.
func TestAcceptAnythingPullParsesSignatures(t *testing.T) {
	cases := []struct {
		name   string
		blobs  [][]byte
		accept bool
	}{
		{"no signatures", nil, true},
		{"a valid signature", [][]byte{nil}, true},
		{"armored text on the look-aside", [][]byte{[]byte("-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n")}, false},
		{"valid, then not a signature", [][]byte{nil, []byte("This is invalid")}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := newNode(t)
			d := n.push("team/app:1")
			k := n.key("alice", nil)
			for i, b := range c.blobs {
				if b == nil {
					n.sign(k, "team/app", d, n.host+"/team/app:1", i+1)
				} else {
					n.putSig("team/app", d, i+1, b)
				}
			}
			n.policy(`{"default":[{"type":"insecureAcceptAnything"}]}`)
			for _, mech := range gpg.Mechanisms {
				res := n.verify("REG/team/app:1", func(o *Options) { o.Mechanism = mech })
				if res.Accepted != c.accept || res.Incomplete {
					t.Fatalf("%s: accepted=%v incomplete=%v, want accepted=%v: %s", mech, res.Accepted, res.Incomplete, c.accept, res.Summary)
				}
				if !c.accept && !strings.Contains(res.Summary, "reading signatures: parsing signature") {
					t.Errorf("%s: summary does not name the library's error: %s", mech, res.Summary)
				}
			}
		})
	}
}

// TestLookasideSignatureLimit: 127 look-aside signatures are fine; the
// pull fails only when signature-128 exists.
func TestLookasideSignatureLimit(t *testing.T) {
	for _, count := range []int{127, 128} {
		n := newNode(t)
		d := n.push("team/app:1")
		k := n.key("alice", nil)
		n.sign(k, "team/app", d, n.host+"/team/app:1", 1)
		for i := 2; i <= count; i++ {
			n.putSig("team/app", d, i, []byte{0xA3, 0x01})
		}
		n.policy(`{"default":[{"type":"insecureAcceptAnything"}]}`)
		res := n.verify("REG/team/app:1")
		if count == 127 && !res.Accepted {
			t.Errorf("127 signatures: %s", res.Summary)
		}
		if count == 128 && (res.Accepted || res.Incomplete || !strings.Contains(res.Summary, "too many signatures")) {
			t.Errorf("128 signatures: %s", res.Summary)
		}
	}
}

// TestSignatureAPIUnderEachMechanism: signatures from the registry's API
// skip the look-aside's format check, so an armored signature verifies
// under gpgme (GnuPG reads armor) and nowhere else; a 404 from the API
// fails the pull even under insecureAcceptAnything, an empty list does not.
func TestSignatureAPIUnderEachMechanism(t *testing.T) {
	type entry struct {
		SchemaVersion int    `json:"schemaVersion"`
		Type          string `json:"type"`
		Content       []byte `json:"content"`
	}
	signedBy := `{"default":[{"type":"reject"}],"transports":{"docker":{"REG/team":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/alice.gpg"}]}}}`
	acceptAll := `{"default":[{"type":"insecureAcceptAnything"}]}`
	cases := []struct {
		name   string
		policy string
		armor  bool
		status int
		empty  bool
		want   map[gpg.Mechanism]bool
	}{
		{"armored signature", signedBy, true, 0, false, map[gpg.Mechanism]bool{gpg.MechXCrypto: false, gpg.MechGoCrypto: false, gpg.MechGPGME: true}},
		{"binary signature", signedBy, false, 0, false, map[gpg.Mechanism]bool{gpg.MechXCrypto: true, gpg.MechGoCrypto: true, gpg.MechGPGME: true}},
		{"404 under insecureAcceptAnything", acceptAll, false, http.StatusNotFound, false, map[gpg.Mechanism]bool{}},
		{"empty list under insecureAcceptAnything", acceptAll, false, 0, true, map[gpg.Mechanism]bool{gpg.MechXCrypto: true, gpg.MechGoCrypto: true, gpg.MechGPGME: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := newNode(t)
			var list []entry
			reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
			n.reg.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v2/" {
					w.Header().Set("X-Registry-Supports-Signatures", "1")
				}
				if strings.HasPrefix(r.URL.Path, "/extensions/v2/team/app/signatures/") {
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
			blob, err := gpg.Sign(key, MarshalPayload(n.host+"/team/app:1", d))
			if err != nil {
				t.Fatal(err)
			}
			if c.armor {
				var buf bytes.Buffer
				w, _ := armor.Encode(&buf, "PGP MESSAGE", nil)
				w.Write(blob)
				w.Close()
				blob = buf.Bytes()
			}
			if !c.empty {
				list = []entry{{2, "atomic", blob}}
			}
			n.policy(c.policy)
			for _, mech := range gpg.Mechanisms {
				res := n.verify("REG/team/app:1", func(o *Options) { o.Mechanism = mech })
				// A 404 is the registry's answer to the node too: a
				// rejection, not an unfinished check.
				if res.Accepted != c.want[mech] || res.Incomplete {
					t.Errorf("%s: accepted=%v incomplete=%v, the library accepted=%v: %s", mech, res.Accepted, res.Incomplete, c.want[mech], res.Summary)
				}
			}
		})
	}
}

// TestUnreadableLookasideIsInvalidConfig: a look-aside URL with another
// scheme (ftp://, none) fails every pull through it, even under
// insecureAcceptAnything: Verify reports the configuration error (the CLI
// exits 2), not a verdict.
func TestUnreadableLookasideIsInvalidConfig(t *testing.T) {
	for _, url := range []string{"ftp://lookaside.example.com/sigs", "lookaside.example.com/sigs"} {
		for _, pol := range []string{`{"default":[{"type":"insecureAcceptAnything"}]}`,
			`{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/alice.gpg"}]}`} {
			n := newNode(t)
			n.push("team/app:1")
			n.key("alice", nil)
			n.write("etc/containers/registries.d/default.yaml", "default-docker:\n  lookaside: "+url+"\n")
			n.policy(pol)
			v, err := New(Options{Paths: n.paths, Mechanism: gpg.MechXCrypto, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(context.Background(), n.host+"/team/app:1")
			var inv *InvalidConfigError
			if !errors.As(err, &inv) || !strings.Contains(inv.Diags[0].Message, "Unsupported scheme when reading signature") {
				t.Errorf("%s, %s: result %+v, err %v; want an invalid configuration", url, pol, res, err)
			}
		}
	}
}

// TestYAMLDirectoryInRegistriesD: the mechanism (standing in for the
// runtime's containers/image version when no binary is readable) decides
// whether a directory named x.yaml makes the configuration invalid.
func TestYAMLDirectoryInRegistriesD(t *testing.T) {
	n := newNode(t)
	if err := os.MkdirAll(filepath.Join(n.paths.RegistriesD, "x.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	n.policy(`{"default":[{"type":"insecureAcceptAnything"}]}`)
	for mech, invalid := range map[gpg.Mechanism]bool{gpg.MechXCrypto: true, gpg.MechGPGME: true, gpg.MechGoCrypto: false} {
		_, err := New(Options{Paths: n.paths, Mechanism: mech})
		var inv *InvalidConfigError
		if errors.As(err, &inv) != invalid {
			t.Errorf("%s: err %v, want invalid=%v", mech, err, invalid)
		}
	}
}
