package widentest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io/fs"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// testKey is an OpenPGP key made for the test run.
type testKey struct {
	entity *openpgp.Entity
	pub    []byte // binary public key
	fpr    string // upper-case hex, as the check names it
}

func newKey(t testing.TB, name string) testKey {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", strings.ToLower(name)+"@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	kr, err := gpg.ParseKeyring(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return testKey{entity: e, pub: buf.Bytes(), fpr: kr.Keys[0].Fingerprint}
}

func armored(t testing.TB, pub []byte) []byte {
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(pub)
	w.Close()
	return buf.Bytes()
}

func pemKey(t testing.TB) string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// files is a node's key files by node path; a missing entry does not exist.
type files map[string][]byte

func (f files) read(p string) ([]byte, error) {
	if d, ok := f[p]; ok {
		return d, nil
	}
	return nil, fs.ErrNotExist
}

// state is a policy (the runtime cannot load it when it has errors, or
// when it is "": no policy.json) with its key files. broken says whether
// the policy is meant to have errors, so that a typo in a row fails.
func state(t testing.TB, policy string, keys files, broken bool) policyio.TrustState {
	t.Helper()
	st := policyio.TrustState{Keys: keys.read}
	if policy == "" {
		return st // no policy.json: the runtime refuses every pull
	}
	p, diags := policyio.ParsePolicy("policy.json", []byte(policy))
	if diags.HasErrors() != broken {
		t.Fatalf("policy errors = %v, want %v: %s\n%v", diags.HasErrors(), broken, policy, diags)
	}
	if !diags.HasErrors() {
		st.Policy = p
	}
	return st
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestWideningTable has a row for each way trust can widen (issue 19 §1)
// and for the common edits that do not widen.
func TestWideningTable(t *testing.T) {
	alice, bob, carol := newKey(t, "Alice"), newKey(t, "Bob"), newKey(t, "Carol")
	sigA, sigB, rekor := pemKey(t), pemKey(t), pemKey(t)
	disk := files{
		"/etc/gpg/alice.gpg": alice.pub, "/etc/gpg/bob.gpg": bob.pub, "/etc/gpg/team.gpg": cat(alice.pub, carol.pub),
		"/etc/gpg/alice.asc": armored(t, alice.pub), "/etc/gpg/ab.gpg": cat(alice.pub, bob.pub),
		"/etc/pki/a.pub": []byte(sigA), "/etc/pki/b.pub": []byte(sigB), "/etc/pki/rekor.pub": []byte(rekor),
		"/etc/pki/fulcio.pem": []byte("fulcio CA 1"), "/etc/pki/fulcio2.pem": []byte("fulcio CA 2"),
		"/etc/pki/roots.pem": []byte("roots 1"), "/etc/pki/roots2.pem": []byte("roots 2"),
	}
	withFile := func(path string, data []byte) files {
		out := files{}
		for k, v := range disk {
			out[k] = v
		}
		if data == nil {
			delete(out, path)
		} else {
			out[path] = data
		}
		return out
	}
	const sb = `{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/%s"%s}`
	signed := func(file, identity string) string {
		id := ""
		if identity != "" {
			id = `,"signedIdentity":` + identity
		}
		return strings.NewReplacer("%s", "").Replace(strings.Replace(strings.Replace(sb, "%s", file, 1), "%s", id, 1))
	}
	team := func(reqs ...string) string {
		return `{"default":[{"type":"reject"}],"transports":{"docker":{"registry.example.com/team":[` + strings.Join(reqs, ",") + `]}}}`
	}
	sigstore := func(body string) string {
		return team(`{"type":"sigstoreSigned",` + body + `}`)
	}
	fulcio := `"fulcio":{"caPath":"/etc/pki/fulcio.pem","oidcIssuer":"https://issuer.example.com","subjectEmail":"release@example.com"},"rekorPublicKeyPath":"/etc/pki/rekor.pub"`
	pki := `"pki":{"caRootsPath":"/etc/pki/roots.pem","subjectEmail":"release@example.com"}`
	exactRef := func(r string) string { return `{"type":"exactReference","dockerReference":"` + r + `"}` }
	exactRepo := func(r string) string { return `{"type":"exactRepository","dockerRepository":"` + r + `"}` }
	remap := func(p, sp string) string {
		return `{"type":"remapIdentity","prefix":"` + p + `","signedPrefix":"` + sp + `"}`
	}
	base := team(signed("alice.gpg", ""))
	trailingComma, unknownKey, bom := `{"default":[{"type":"reject"}],}`, `{"default":[{"type":"reject"}],"extra":1}`, "\ufeff"+base
	newBroken := `{"default":[{"type":"insecureAcceptAnything"}],}`
	broken := map[string]bool{trailingComma: true, unknownKey: true, bom: true, newBroken: true}

	tests := []struct {
		name             string
		old, cur         string
		oldKeys, curKeys files
		widens           bool
		says             string // in the plain words of the widening
	}{
		// Widenings.
		{"one of two required signatures removed", team(signed("alice.gpg", ""), signed("bob.gpg", "")), base, disk, disk, true, "no longer need: signed by 1 key: /etc/gpg/bob.gpg"},
		{"exactReference names another image", team(signed("alice.gpg", exactRef("registry.example.com/team/app:v1"))), team(signed("alice.gpg", exactRef("registry.example.com/team/app:v2"))), disk, disk, true, "exactReference"},
		{"exactRepository names another repository", team(signed("alice.gpg", exactRepo("registry.example.com/team/app"))), team(signed("alice.gpg", exactRepo("registry.example.com/team/other"))), disk, disk, true, "exactRepository"},
		{"remapIdentity prefix changed", team(signed("alice.gpg", remap("registry.example.com/team", "vendor.io/team"))), team(signed("alice.gpg", remap("registry.example.com", "vendor.io"))), disk, disk, true, "remapIdentity"},
		{"remapIdentity signedPrefix changed", team(signed("alice.gpg", remap("registry.example.com/team", "vendor.io/team"))), team(signed("alice.gpg", remap("registry.example.com/team", "evil.io/team"))), disk, disk, true, "remapIdentity"},
		{"identity type looser", team(signed("alice.gpg", `{"type":"matchExact"}`)), team(signed("alice.gpg", `{"type":"matchRepository"}`)), disk, disk, true, "matchRepository"},
		{"sigstore keyPath replaced by fulcio", sigstore(`"keyPath":"/etc/pki/a.pub"`), sigstore(fulcio), disk, disk, true, "Fulcio certificates for release@example.com"},
		{"sigstore key replaced", sigstore(`"keyPath":"/etc/pki/a.pub"`), sigstore(`"keyPath":"/etc/pki/b.pub"`), disk, disk, true, "/etc/pki/b.pub are now accepted"},
		{"sigstore keyData replaced", sigstore(`"keyData":"` + b64(sigA) + `"`), sigstore(`"keyData":"` + b64(sigB) + `"`), disk, disk, true, "now accepted"},
		{"sigstore key file content replaced", sigstore(`"keyPath":"/etc/pki/a.pub"`), sigstore(`"keyPath":"/etc/pki/a.pub"`), disk, withFile("/etc/pki/a.pub", []byte(sigB)), true, "/etc/pki/a.pub"},
		{"sigstore: a key the runtime could not read dropped", sigstore(`"keyPaths":["/etc/pki/a.pub","/etc/pki/missing.pub"]`), sigstore(`"keyPath":"/etc/pki/a.pub"`), disk, disk, true, "/etc/pki/a.pub are now accepted"},
		{"fulcio: another CA", sigstore(fulcio), sigstore(strings.Replace(fulcio, "fulcio.pem", "fulcio2.pem", 1)), disk, disk, true, "another Fulcio CA"},
		{"fulcio: another oidcIssuer", sigstore(fulcio), sigstore(strings.Replace(fulcio, "issuer.example.com", "evil.example.com", 1)), disk, disk, true, "OIDC issuer"},
		{"fulcio: another subjectEmail", sigstore(fulcio), sigstore(strings.Replace(fulcio, "release@", "anyone@", 1)), disk, disk, true, "subject e-mail"},
		{"sigstore: rekor key dropped", sigstore(`"keyPath":"/etc/pki/a.pub","rekorPublicKeyPath":"/etc/pki/rekor.pub"`), sigstore(`"keyPath":"/etc/pki/a.pub"`), disk, disk, true, "no longer need a Rekor entry"},
		{"pki: other roots", sigstore(pki), sigstore(strings.Replace(pki, "roots.pem", "roots2.pem", 1)), disk, disk, true, "other CA roots"},
		{"pki: subject e-mail replaced by a hostname", sigstore(pki), sigstore(`"pki":{"caRootsPath":"/etc/pki/roots.pem","subjectHostname":"build.example.com"}`), disk, disk, true, "subject e-mail"},
		{"key file content replaced (import --force)", base, base, disk, withFile("/etc/gpg/alice.gpg", bob.pub), true, bob.fpr},
		{"key file that was missing now exists", base, base, withFile("/etc/gpg/alice.gpg", nil), disk, true, alice.fpr},
		{"scope pointed at a multi-key file (--reference)", team(`{"type":"signedBy","keyType":"GPGKeys","keyData":"` + b64(string(alice.pub)) + `"}`), team(signed("team.gpg", "")), disk, disk, true, carol.fpr},
		{"scope removed: the default applies", `{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"registry.example.com/team":[` + signed("alice.gpg", "") + `]}}}`, `{"default":[{"type":"insecureAcceptAnything"}]}`, disk, disk, true, "accepted signed or not"},
		{"scope removed: a broader scope applies", `{"default":[{"type":"reject"}],"transports":{"docker":{"registry.example.com":[` + signed("bob.gpg", "") + `],"registry.example.com/team":[` + signed("alice.gpg", "") + `]}}}`, `{"default":[{"type":"reject"}],"transports":{"docker":{"registry.example.com":[` + signed("bob.gpg", "") + `]}}}`, disk, disk, true, bob.fpr},
		{"new narrower scope looser than the broader one", base, `{"default":[{"type":"reject"}],"transports":{"docker":{"registry.example.com/team":[` + signed("alice.gpg", "") + `],"registry.example.com/team/dev":[{"type":"insecureAcceptAnything"}]}}}`, disk, disk, true, "images under docker:registry.example.com/team/dev"},
		{"wildcard scope added above a host", `{"default":[{"type":"reject"}]}`, `{"default":[{"type":"reject"}],"transports":{"docker":{"*.example.com":[{"type":"insecureAcceptAnything"}]}}}`, disk, disk, true, "*.example.com"},
		{"old policy has a syntax error", trailingComma, `{"default":[{"type":"reject"}],"transports":{"docker":{"quay.io":[{"type":"insecureAcceptAnything"}]}}}`, disk, disk, true, "cannot be loaded by the runtime"},
		{"old policy has an unknown key", unknownKey, `{"default":[{"type":"insecureAcceptAnything"}]}`, disk, disk, true, "cannot be loaded by the runtime"},
		{"old policy starts with a BOM", bom, base, disk, disk, true, "cannot be loaded by the runtime"},
		{"no policy.json before", "", base, disk, disk, true, "cannot be loaded by the runtime"},
		{"keyType that verifies nothing becomes GPGKeys", team(`{"type":"signedBy","keyType":"X509Certificates","keyPath":"/etc/gpg/alice.gpg"}`), base, disk, disk, true, "verifies nothing"},
		{"transport section removed: default applies", `{"default":[{"type":"insecureAcceptAnything"}],"transports":{"dir":{"/var/img":[{"type":"reject"}]}}}`, `{"default":[{"type":"insecureAcceptAnything"}]}`, disk, disk, true, "dir:/var/img"},
		{"reject replaced by a signature requirement", team(`{"type":"reject"}`), base, disk, disk, true, "were all refused"},

		// Not widenings.
		{"unchanged", base, base, disk, disk, false, ""},
		{"whitespace only", base, strings.ReplaceAll(base, ",", ",\n  "), disk, disk, false, ""},
		{"requirement added", base, team(signed("alice.gpg", ""), signed("bob.gpg", "")), disk, disk, false, ""},
		{"identity narrowed: repository to exact", team(signed("alice.gpg", `{"type":"matchRepository"}`)), team(signed("alice.gpg", `{"type":"matchExact"}`)), disk, disk, false, ""},
		{"identity narrowed: default to exact", base, team(signed("alice.gpg", `{"type":"matchExact"}`)), disk, disk, false, ""},
		{"identity narrowed: repository to one reference in it", team(signed("alice.gpg", exactRepo("registry.example.com/team/app"))), team(signed("alice.gpg", exactRef("registry.example.com/team/app:v1"))), disk, disk, false, ""},
		{"key file added that nothing uses", base, base, disk, withFile("/etc/gpg/new.gpg", carol.pub), false, ""},
		{"key file nothing uses replaced", base, base, disk, withFile("/etc/gpg/bob.gpg", carol.pub), false, ""},
		{"same key re-written armored", base, base, disk, withFile("/etc/gpg/alice.gpg", armored(t, alice.pub)), false, ""},
		{"rule pointed at another file with the same key", base, team(signed("alice.asc", "")), disk, disk, false, ""},
		{"key file narrowed to one of its keys", team(signed("ab.gpg", "")), team(signed("ab.gpg", "")), disk, withFile("/etc/gpg/ab.gpg", alice.pub), false, ""},
		{"key removed from keyPaths", team(`{"type":"signedBy","keyType":"GPGKeys","keyPaths":["/etc/gpg/alice.gpg","/etc/gpg/bob.gpg"]}`), team(`{"type":"signedBy","keyType":"GPGKeys","keyPaths":["/etc/gpg/alice.gpg"]}`), disk, disk, false, ""},
		{"scopes reordered", `{"default":[{"type":"reject"}],"transports":{"docker":{"a.example.com":[{"type":"reject"}],"b.example.com":[` + signed("alice.gpg", "") + `]}}}`, `{"default":[{"type":"reject"}],"transports":{"docker":{"b.example.com":[` + signed("alice.gpg", "") + `],"a.example.com":[{"type":"reject"}]}}}`, disk, disk, false, ""},
		{"scope removed: falls to a stricter default", base, `{"default":[{"type":"reject"}]}`, disk, disk, false, ""},
		{"signature requirement replaced by reject", base, team(`{"type":"reject"}`), disk, disk, false, ""},
		{"default accept-anything made signed", `{"default":[{"type":"insecureAcceptAnything"}]}`, `{"default":[` + signed("alice.gpg", "") + `]}`, disk, disk, false, ""},
		{"sigstore: Rekor added", sigstore(`"keyPath":"/etc/pki/a.pub"`), sigstore(`"keyPath":"/etc/pki/a.pub","rekorPublicKeyPath":"/etc/pki/rekor.pub"`), disk, disk, false, ""},
		{"sigstore: a usable key dropped", sigstore(`"keyPaths":["/etc/pki/a.pub","/etc/pki/b.pub"]`), sigstore(`"keyPath":"/etc/pki/a.pub"`), disk, disk, false, ""},
		{"sigstore: rule now names a missing key", sigstore(`"keyPath":"/etc/pki/a.pub"`), sigstore(`"keyPath":"/etc/pki/missing.pub","signedIdentity":{"type":"matchRepository"}`), disk, disk, false, ""},
		{"sigstore: unchanged fulcio", sigstore(fulcio), sigstore(fulcio), disk, disk, false, ""},
		{"new policy the runtime cannot load", base, newBroken, disk, disk, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := policyio.Widenings(state(t, tt.old, tt.oldKeys, broken[tt.old]), state(t, tt.cur, tt.curKeys, broken[tt.cur]), gpg.CompareKeys)
			var text []string
			for _, w := range got {
				text = append(text, w.String())
			}
			all := strings.Join(text, "\n")
			t.Log(all)
			if tt.widens != (len(got) > 0) {
				t.Fatalf("widens = %v, want %v:\n%s", len(got) > 0, tt.widens, all)
			}
			if !strings.Contains(all, tt.says) {
				t.Errorf("the widening does not say %q:\n%s", tt.says, all)
			}
		})
	}
}

var _ = model.Reject

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
