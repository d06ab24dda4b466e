package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/opencontainers/go-digest"
)

// The fixtures under testdata/fixtures are containers/image's own
// (signature/fixtures, Apache-2.0): signatures made by /usr/bin/cosign,
// with Rekor SETs and Fulcio certificates from the public instance, and a
// private PKI. The expectations are the library's
// (TestPRSigstoreSignedIsRunningImageAllowed, ...IsSignatureAccepted).
func TestSigstoreSignedFixtures(t *testing.T) {
	fx := func(name string) string {
		p, err := filepath.Abs(filepath.Join("testdata", "fixtures", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(fx(name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	matchRepo := &model.Identity{Type: model.MatchRepository}
	fulcio := func(email string) *model.Fulcio {
		return &model.Fulcio{CAPath: fx("fulcio_v1.crt.pem"), OIDCIssuer: "https://github.com/login/oauth", SubjectEmail: email}
	}
	const single = "192.168.64.2:5000/cosign-signed-single-sample"
	dropAnnotation := func(key string) func(*sigstoreSignature) {
		return func(s *sigstoreSignature) { delete(s.Annotations, key) }
	}
	cases := []struct {
		name   string
		dir    string
		image  string // the reference the image is pulled by
		req    model.Requirement
		mutate func(*sigstoreSignature)
		accept bool
		reason string // substring of the requirement's reason when rejected
	}{
		{name: "cosign key, matchRepository", dir: "dir-img-cosign-valid", image: single + ":latest",
			req: model.Requirement{KeyPath: fx("cosign.pub"), SignedIdentity: matchRepo}, accept: true},
		{name: "cosign identity has no tag: default identity rejects", dir: "dir-img-cosign-valid", image: single + ":latest",
			req: model.Requirement{KeyPath: fx("cosign.pub")}, reason: `Signature for identity "` + single + `" is not accepted`},
		{name: "other repository", dir: "dir-img-cosign-valid", image: "testing/manifest:notlatest",
			req: model.Requirement{KeyPath: fx("cosign.pub"), SignedIdentity: matchRepo}, reason: "is not accepted"},
		{name: "unsigned", dir: "dir-img-unsigned", image: "testing/manifest:latest",
			req: model.Requirement{KeyPath: fx("cosign.pub")}, reason: "A signature was required, but no signature exists"},
		{name: "simple signing only", dir: "dir-img-valid", image: "testing/manifest:latest",
			req: model.Requirement{KeyPath: fx("cosign.pub")}, reason: "no signature exists (1 non-sigstore signatures, 0 sigstore non-signature attachments)"},
		{name: "other attachment", dir: "dir-img-cosign-other-attachment", image: "testing/manifest:latest",
			req: model.Requirement{KeyPath: fx("cosign.pub")}, reason: "no signature exists (0 non-sigstore signatures, 1 sigstore non-signature attachments)"},
		{name: "two valid", dir: "dir-img-cosign-valid-2", image: single,
			req: model.Requirement{KeyPath: fx("cosign.pub"), SignedIdentity: matchRepo}, accept: true},
		{name: "unknown key then valid", dir: "dir-img-cosign-mixed", image: single,
			req: model.Requirement{KeyPath: fx("cosign.pub"), SignedIdentity: matchRepo}, accept: true},
		{name: "unknown key only", dir: "dir-img-cosign-mixed", image: single,
			req: model.Requirement{KeyPath: fx("cosign2.pub"), SignedIdentity: matchRepo}, reason: "None of the signatures were accepted, reasons: cryptographic signature verification failed"},
		{name: "containers/image signature, matchExact tag", dir: "dir-img-cosign-valid-with-tag", image: "192.168.64.2:5000/skopeo-signed:tag",
			req: model.Requirement{KeyPath: fx("cosign.pub"), SignedIdentity: &model.Identity{Type: model.MatchExact}}, accept: true},
		{name: "containers/image signature, other tag", dir: "dir-img-cosign-valid-with-tag", image: "192.168.64.2:5000/skopeo-signed:othertag",
			req: model.Requirement{KeyPath: fx("cosign.pub"), SignedIdentity: &model.Identity{Type: model.MatchExact}}, reason: "is not accepted"},
		{name: "modified manifest", dir: "dir-img-cosign-modified-manifest", image: single,
			req: model.Requirement{KeyPath: fx("cosign.pub"), SignedIdentity: matchRepo}, reason: "does not match"},
		{name: "keyPaths either order", dir: "dir-img-cosign-valid", image: single,
			req: model.Requirement{KeyPaths: []string{fx("cosign2.pub"), fx("cosign.pub")}, SignedIdentity: matchRepo}, accept: true},
		{name: "keyData", dir: "dir-img-cosign-valid", image: single,
			req: model.Requirement{KeyData: read("cosign.pub"), SignedIdentity: matchRepo}, accept: true},
		{name: "keyDatas", dir: "dir-img-cosign-valid", image: single,
			req: model.Requirement{KeyDatas: [][]byte{read("cosign2.pub"), read("cosign.pub")}, SignedIdentity: matchRepo}, accept: true},
		{name: "key that is not PEM", dir: "dir-img-cosign-valid", image: single,
			req: model.Requirement{KeyData: []byte("nonsense"), SignedIdentity: matchRepo}, reason: "parsing public key 1: PEM decoding failed"},
		{name: "missing key file", dir: "dir-img-cosign-valid", image: single,
			req: model.Requirement{KeyPath: "/nonexistent/cosign.pub", SignedIdentity: matchRepo}, reason: "no such file"},
		{name: "signature annotation missing", dir: "dir-img-cosign-valid", image: single, mutate: dropAnnotation(sigstoreSignatureAnnotation),
			req: model.Requirement{KeyPath: fx("cosign.pub"), SignedIdentity: matchRepo}, reason: "missing dev.cosignproject.cosign/signature annotation"},
		{name: "key + Rekor", dir: "dir-img-cosign-key-rekor-valid", image: "192.168.64.2:5000/cosign-signed/key-1",
			req: model.Requirement{KeyPaths: []string{fx("cosign.pub"), fx("cosign2.pub")}, RekorPublicKeyPath: fx("rekor.pub"), SignedIdentity: matchRepo}, accept: true},
		{name: "key + Rekor, SET missing", dir: "dir-img-cosign-key-rekor-valid", image: "192.168.64.2:5000/cosign-signed/key-1", mutate: dropAnnotation(sigstoreSETAnnotation),
			req: model.Requirement{KeyPath: fx("cosign2.pub"), RekorPublicKeyPath: fx("rekor.pub"), SignedIdentity: matchRepo}, reason: "missing dev.sigstore.cosign/bundle annotation"},
		{name: "key + Rekor, wrong log key", dir: "dir-img-cosign-key-rekor-valid", image: "192.168.64.2:5000/cosign-signed/key-1",
			req: model.Requirement{KeyPath: fx("cosign2.pub"), RekorPublicKeyPath: fx("cosign.pub"), SignedIdentity: matchRepo}, reason: "cryptographic signature verification of Rekor SET failed"},
		{name: "key + Rekor, SET for another signature", dir: "dir-img-cosign-valid", image: single,
			mutate: func(s *sigstoreSignature) { s.Annotations[sigstoreSETAnnotation] = string(read("rekor-set")) },
			req:    model.Requirement{KeyPaths: []string{fx("cosign.pub"), fx("cosign2.pub")}, RekorPublicKeyPath: fx("rekor.pub"), SignedIdentity: matchRepo}, reason: "No public key verified against the RekorSET"},
		{name: "Fulcio + Rekor", dir: "dir-img-cosign-fulcio-rekor-valid", image: "192.168.64.2:5000/cosign-signed/fulcio-rekor-1",
			req: model.Requirement{Fulcio: fulcio("mitr@redhat.com"), RekorPublicKeyPath: fx("rekor.pub"), SignedIdentity: matchRepo}, accept: true},
		{name: "Fulcio, other e-mail", dir: "dir-img-cosign-fulcio-rekor-valid", image: "192.168.64.2:5000/cosign-signed/fulcio-rekor-1",
			req: model.Requirement{Fulcio: fulcio("this-does-not-match@example.com"), RekorPublicKeyPath: fx("rekor.pub"), SignedIdentity: matchRepo}, reason: `Required email "this-does-not-match@example.com" not found`},
		{name: "Fulcio, chain missing", dir: "dir-img-cosign-fulcio-rekor-valid", image: "192.168.64.2:5000/cosign-signed/fulcio-rekor-1", mutate: dropAnnotation(sigstoreChainAnnotation),
			req: model.Requirement{Fulcio: fulcio("mitr@redhat.com"), RekorPublicKeyPath: fx("rekor.pub"), SignedIdentity: matchRepo}, reason: "veryfing leaf certificate failed"},
		{name: "Fulcio, certificate missing", dir: "dir-img-cosign-fulcio-rekor-valid", image: "192.168.64.2:5000/cosign-signed/fulcio-rekor-1", mutate: dropAnnotation(sigstoreCertAnnotation),
			req: model.Requirement{Fulcio: fulcio("mitr@redhat.com"), RekorPublicKeyPath: fx("rekor.pub"), SignedIdentity: matchRepo}, reason: "missing dev.sigstore.cosign/certificate annotation"},
		{name: "Fulcio, wrong log key", dir: "dir-img-cosign-fulcio-rekor-valid", image: "192.168.64.2:5000/cosign-signed/fulcio-rekor-1",
			req: model.Requirement{Fulcio: fulcio("mitr@redhat.com"), RekorPublicKeyPath: fx("cosign.pub"), SignedIdentity: matchRepo}, reason: "cryptographic signature verification of Rekor SET failed"},
		{name: "PKI", dir: "dir-img-cosign-pki-valid", image: "localhost:5000/test",
			req: model.Requirement{PKI: &model.PKI{CARootsPath: fx("pki_root_crts.pem"), CAIntermediatesPath: fx("pki_intermediate_crts.pem"), SubjectEmail: "qiwan@redhat.com", SubjectHostname: "myhost.example.com"}, SignedIdentity: matchRepo}, accept: true},
		{name: "PKI, chain missing, intermediates configured", dir: "dir-img-cosign-pki-valid", image: "localhost:5000/test", mutate: dropAnnotation(sigstoreChainAnnotation),
			req: model.Requirement{PKI: &model.PKI{CARootsPath: fx("pki_root_crts.pem"), CAIntermediatesPath: fx("pki_intermediate_crts.pem"), SubjectEmail: "qiwan@redhat.com"}, SignedIdentity: matchRepo}, accept: true},
		{name: "PKI, chain missing, roots only", dir: "dir-img-cosign-pki-valid", image: "localhost:5000/test", mutate: dropAnnotation(sigstoreChainAnnotation),
			req: model.Requirement{PKI: &model.PKI{CARootsPath: fx("pki_root_crts.pem"), SubjectEmail: "qiwan@redhat.com"}, SignedIdentity: matchRepo}, reason: "veryfing leaf certificate failed"},
		{name: "PKI, certificate missing", dir: "dir-img-cosign-pki-valid", image: "localhost:5000/test", mutate: dropAnnotation(sigstoreCertAnnotation),
			req: model.Requirement{PKI: &model.PKI{CARootsPath: fx("pki_root_crts.pem"), CAIntermediatesPath: fx("pki_intermediate_crts.pem"), SubjectEmail: "qiwan@redhat.com"}, SignedIdentity: matchRepo}, reason: "missing dev.sigstore.cosign/certificate annotation"},
		{name: "PKI, other host name", dir: "dir-img-cosign-pki-valid", image: "localhost:5000/test",
			req: model.Requirement{PKI: &model.PKI{CARootsPath: fx("pki_root_crts.pem"), CAIntermediatesPath: fx("pki_intermediate_crts.pem"), SubjectHostname: "other.example.com"}, SignedIdentity: matchRepo}, reason: "Unexpected subject hostname"},
	}
	v, err := New(Options{Paths: node.NewPaths("/", "", "", ""), Policy: &model.Policy{}, Registries: &policyio.RegistriesD{},
		Mechanism: gpg.MechGoCrypto, Now: func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, sigs, err := dirManifestAndSignatures(&Image{Dir: fx(c.dir)})
			if err != nil {
				t.Fatal(err)
			}
			if c.mutate != nil {
				for i := range sigs {
					sigs[i].Blob = mutateSigstoreBlob(t, sigs[i].Blob, c.mutate)
				}
			}
			named, err := reference.ParseNormalizedNamed(c.image)
			if err != nil {
				t.Fatal(err)
			}
			req := c.req
			req.Type = model.SigstoreSigned
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

// mutateSigstoreBlob edits the JSON inside a sigstore-json envelope.
func mutateSigstoreBlob(t *testing.T, blob []byte, f func(*sigstoreSignature)) []byte {
	t.Helper()
	const prefix = "\x00sigstore-json\n"
	if !strings.HasPrefix(string(blob), prefix) {
		return blob
	}
	s, err := parseSigstoreJSON(blob[len(prefix):])
	if err != nil {
		t.Fatal(err)
	}
	f(&s)
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(prefix), out...)
}

// sigstorePayload is what cosign signs.
func sigstorePayload(identity string, d digest.Digest) []byte {
	out, _ := json.Marshal(map[string]any{
		"critical": map[string]any{
			"type":     SigstorePayloadType,
			"image":    map[string]string{"docker-manifest-digest": d.String()},
			"identity": map[string]string{"docker-reference": identity},
		},
		"optional": nil,
	})
	return out
}

// attach stores layers under the sha256-<hex>.sig tag the way cosign does.
func (n *testNode) attach(repo string, d digest.Digest, layers ...mutate.Addendum) {
	n.t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.Append(img, layers...)
	if err != nil {
		n.t.Fatal(err)
	}
	tag, _ := sigstoreAttachmentTag(d)
	ref, err := name.ParseReference(n.host+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		n.t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		n.t.Fatal(err)
	}
}

func cosignLayer(t *testing.T, key *ecdsa.PrivateKey, payload []byte, mime string) mutate.Addendum {
	h := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return mutate.Addendum{
		Layer:       static.NewLayer(payload, types.MediaType(mime)),
		Annotations: map[string]string{sigstoreSignatureAnnotation: base64.StdEncoding.EncodeToString(sig)},
	}
}

// TestSigstoreAttachmentsFromRegistry reads cosign's sha256-<hex>.sig
// attachments from a registry when registries.d enables them, and only then.
func TestSigstoreAttachmentsFromRegistry(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	cases := []struct {
		name    string
		attach  bool // use-sigstore-attachments
		layers  func(repo string, d digest.Digest) []mutate.Addendum
		simple  bool // a simple-signing signature on the look-aside too
		accept  bool
		reason  string
		sources int
	}{
		{name: "valid attachment", attach: true, accept: true, sources: 1,
			layers: func(repo string, d digest.Digest) []mutate.Addendum {
				return []mutate.Addendum{cosignLayer(t, key, sigstorePayload(repo, d), SigstoreSignatureMIMEType)}
			}},
		{name: "attachments not enabled", attach: false, reason: "A signature was required, but no signature exists",
			layers: func(repo string, d digest.Digest) []mutate.Addendum {
				return []mutate.Addendum{cosignLayer(t, key, sigstorePayload(repo, d), SigstoreSignatureMIMEType)}
			}},
		{name: "no attachment manifest", attach: true, simple: true, sources: 1,
			reason: "no signature exists (1 non-sigstore signatures, 0 sigstore non-signature attachments)"},
		{name: "attestation only", attach: true, sources: 1,
			reason: "no signature exists (0 non-sigstore signatures, 1 sigstore non-signature attachments)",
			layers: func(repo string, d digest.Digest) []mutate.Addendum {
				return []mutate.Addendum{cosignLayer(t, key, []byte(`{"predicate":{}}`), "application/vnd.dsse.envelope.v1+json")}
			}},
		{name: "signed by another key, then valid", attach: true, accept: true, sources: 2,
			layers: func(repo string, d digest.Digest) []mutate.Addendum {
				return []mutate.Addendum{
					cosignLayer(t, other, sigstorePayload(repo, d), SigstoreSignatureMIMEType),
					cosignLayer(t, key, sigstorePayload(repo, d), SigstoreSignatureMIMEType),
				}
			}},
		{name: "signed for another digest", attach: true, sources: 1, reason: "does not match",
			layers: func(repo string, d digest.Digest) []mutate.Addendum {
				return []mutate.Addendum{cosignLayer(t, key, sigstorePayload(repo, digest.FromString("other")), SigstoreSignatureMIMEType)}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := newNode(t)
			n.write("etc/containers/registries.d/default.yaml", fmt.Sprintf("default-docker:\n  lookaside: %s\n  use-sigstore-attachments: %v\n", n.lookaside.URL, c.attach))
			n.write("etc/keys/cosign.pub", pubPEM)
			d := n.push("team/app:1")
			repo := n.host + "/team/app"
			if c.layers != nil {
				n.attach("team/app", d, c.layers(repo, d)...)
			}
			if c.simple {
				n.sign(n.key("alice", nil), "team/app", d, repo+":1", 1)
			}
			n.policy(`{"default":[{"type":"reject"}],"transports":{"docker":{"REG/team":[{"type":"sigstoreSigned","keyPath":"/etc/keys/cosign.pub","signedIdentity":{"type":"matchRepository"}}]}}}`)
			res := n.verify("REG/team/app:1")
			if res.Incomplete {
				t.Fatalf("incomplete: %s", res.Summary)
			}
			rr := res.Trace.Requirements[0]
			if res.Accepted != c.accept {
				t.Fatalf("accepted = %v, want %v: %s", res.Accepted, c.accept, rr.Reason)
			}
			if c.accept && !strings.Contains(res.Summary, "sigstore signature verified with /etc/keys/cosign.pub") {
				t.Fatalf("summary %q does not say what was verified", res.Summary)
			}
			if !c.accept && !strings.Contains(rr.Reason, c.reason) {
				t.Fatalf("reason %q, want it to contain %q", rr.Reason, c.reason)
			}
			if len(res.Trace.Signatures) != c.sources {
				t.Fatalf("signatures found %v, want %d", res.Trace.Signatures, c.sources)
			}
		})
	}
}

// TestSigstoreKeyTypes: ECDSA, RSA (PKCS#1 v1.5 over SHA-256) and Ed25519
// (over the raw payload) keys, in PKIX and PKCS#1 PEM, as sigstore's
// verifiers accept them; a key that does not verify is skipped for the next.
func TestSigstoreKeyTypes(t *testing.T) {
	payload := []byte(`{"critical":{}}`)
	h := sha256.Sum256(payload)
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ecSig, _ := ecdsa.SignASN1(rand.Reader, ec, h[:])
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaSig, _ := rsa.SignPKCS1v15(rand.Reader, rk, crypto.SHA256, h[:])
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edSig := ed25519.Sign(edPriv, payload)
	pkix := func(k any) []byte {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rk.PublicKey)})
	tests := []struct {
		name  string
		keys  [][]byte
		sig   []byte
		which int // index of the key that verifies, -1 none
	}{
		{"ecdsa P-384", [][]byte{pkix(&ec.PublicKey)}, ecSig, 0},
		{"rsa pkix", [][]byte{pkix(&rk.PublicKey)}, rsaSig, 0},
		{"rsa pkcs1", [][]byte{pkcs1}, rsaSig, 0},
		{"ed25519", [][]byte{pkix(edPub)}, edSig, 0},
		{"second key verifies", [][]byte{pkix(&ec.PublicKey), pkix(edPub)}, edSig, 1},
		{"no key verifies", [][]byte{pkix(&ec.PublicKey), pkcs1}, edSig, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []crypto.PublicKey
			for _, k := range tt.keys {
				pk, err := cryptoutils.UnmarshalPEMToPublicKey(k)
				if err != nil {
					t.Fatal(err)
				}
				keys = append(keys, pk)
			}
			which, err := verifySigstorePayload(keys, payload, base64.StdEncoding.EncodeToString(tt.sig))
			switch {
			case tt.which < 0 && err == nil:
				t.Fatal("verified")
			case tt.which < 0:
				if !strings.HasPrefix(err.Error(), "cryptographic signature verification failed: ") {
					t.Fatalf("message %q", err)
				}
			case err != nil || which != tt.which:
				t.Fatalf("key %d, %v; want key %d", which, err, tt.which)
			}
		})
	}
	if _, err := cryptoutils.UnmarshalPEMToPublicKey([]byte("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n")); err == nil || !strings.Contains(err.Error(), "unknown Public key PEM file type") {
		t.Errorf("a certificate as a key: %v", err)
	}
}
