package verify

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/kios/imgtrust/model"
	"github.com/opencontainers/go-digest"
)

const signedPolicy = `{"default":[{"type":"reject"}],"transports":{"docker":{"REG/team":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/release.gpg"IDENTITY}]}}}`

func policyWith(identity string) string {
	if identity != "" {
		identity = `,"signedIdentity":` + identity
	}
	return strings.Replace(signedPolicy, "IDENTITY", identity, 1)
}

// TestVerifyRegistry covers the verdicts of issue 5 against an in-process
// registry and look-aside, with keys and signatures made at test time.
func TestVerifyRegistry(t *testing.T) {
	n := newNode(t)
	release := n.key("release", nil)
	other := n.key("other", nil)
	app := n.push("team/app:v1")
	n.sign(release, "team/app", app, n.host+"/team/app:v1", 1)
	wrongKey := n.push("team/wrongkey:v1")
	n.sign(other, "team/wrongkey", wrongKey, n.host+"/team/wrongkey:v1", 1)
	otherDigest := n.push("team/otherdigest:v1")
	n.sign(release, "team/otherdigest", otherDigest, n.host+"/team/otherdigest:v1", 1)
	n.sigs.Range(func(k, v any) bool { return true })
	// Move that signature to a different digest's place: signed, but for another manifest.
	misplaced := n.push("team/misplaced:v1")
	n.sign(release, "team/misplaced", otherDigest, n.host+"/team/misplaced:v1", 1)
	blob, _ := n.sigs.Load("/team/misplaced@sha256=" + otherDigest.Encoded() + "/signature-1")
	n.putSig("team/misplaced", misplaced, 1, blob.([]byte))
	otherRepo := n.push("team/otherrepo:v1")
	n.sign(release, "team/otherrepo", otherRepo, n.host+"/team/app:v1", 1)
	second := n.push("team/second:v1")
	n.sign(release, "team/second", second, n.host+"/team/second:v1", 2)
	corrupt := n.push("team/corrupt:v1")
	cblob, _ := n.sigs.Load("/team/app@sha256=" + app.Encoded() + "/signature-1")
	c := append([]byte(nil), cblob.([]byte)...)
	c[len(c)-8] ^= 0xff
	n.putSig("team/corrupt", corrupt, 1, c)
	mixed := n.push("team/mixed:v1")
	n.sign(other, "team/mixed", mixed, n.host+"/team/mixed:v1", 1)
	n.sign(release, "team/mixed", mixed, n.host+"/team/mixed:v1", 2)
	expiredKey := n.key("expired", &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256, KeyLifetimeSecs: 60,
		Time: func() time.Time { return time.Now().Add(-time.Hour) }})
	expImg := n.push("team/expired:v1")
	// Signed 30 s into the key's minute of life: a signing time at its very
	// end fell after the expiry whenever the push took a second.
	blobExp, err := signAt(expiredKey, MarshalPayload(n.host+"/team/expired:v1", expImg), time.Now().Add(-59*time.Minute-30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n.putSig("team/expired", expImg, 1, blobExp)
	unsigned := n.push("team/unsigned:v1")
	_ = unsigned

	tests := []struct {
		name, policy, image string
		mech                string
		accepted            bool
		reason              string
	}{
		{"signed, by tag", policyWith(""), "REG/team/app:v1", "", true, "signed by"},
		{"signed, by digest", policyWith(""), "REG/team/app@" + app.String(), "", true, "signed by"},
		{"tag and digest: tag dropped", policyWith(""), "REG/team/app:v1@" + app.String(), "", true, "signed by"},
		{"unsigned", policyWith(""), "REG/team/unsigned:v1", "", false, "no signature exists"},
		{"wrong key", policyWith(""), "REG/team/wrongkey:v1", "", false, "Key not found"},
		{"signature for another digest", policyWith(""), "REG/team/misplaced:v1", "", false, "does not match"},
		{"signature for another repository", policyWith(""), "REG/team/otherrepo:v1", "", false, "is not accepted"},
		{"another repository, matchRepository", policyWith(`{"type":"matchRepository"}`), "REG/team/otherrepo:v1", "", false, "is not accepted"},
		{"another repository, exactRepository", policyWith(`{"type":"exactRepository","dockerRepository":"REG/team/app"}`), "REG/team/otherrepo:v1", "", true, "signed by"},
		{"exactReference", policyWith(`{"type":"exactReference","dockerReference":"REG/team/app:v1"}`), "REG/team/otherrepo:v1", "", true, "signed by"},
		{"matchExact by digest", policyWith(`{"type":"matchExact"}`), "REG/team/app@" + app.String(), "", false, "is not accepted"},
		{"matchRepository by digest", policyWith(`{"type":"matchRepository"}`), "REG/team/app@" + app.String(), "", true, "signed by"},
		{"remapIdentity", policyWith(`{"type":"remapIdentity","prefix":"REG/team","signedPrefix":"REG/team"}`), "REG/team/app:v1", "", true, "signed by"},
		{"missing signature-1", policyWith(""), "REG/team/second:v1", "", false, "no signature exists"},
		{"corrupt", policyWith(""), "REG/team/corrupt:v1", "", false, "signature error"},
		{"wrong then right", policyWith(""), "REG/team/mixed:v1", "", true, "signed by"},
		{"expired key, x/crypto trusts it", strings.Replace(policyWith(""), "release.gpg", "expired.gpg", 1), "REG/team/expired:v1", "openpgp-xcrypto", true, "signed by"},
		{"expired key, gpgme rejects it", strings.Replace(policyWith(""), "release.gpg", "expired.gpg", 1), "REG/team/expired:v1", "gpgme", false, "key expired"},
		{"keyPaths", strings.Replace(policyWith(""), `"keyPath":"/etc/gpg/release.gpg"`, `"keyPaths":["/etc/gpg/other.gpg","/etc/gpg/release.gpg"]`, 1), "REG/team/app:v1", "", true, "/etc/gpg/release.gpg"},
		{"missing key file", strings.Replace(policyWith(""), "release.gpg", "missing.gpg", 1), "REG/team/app:v1", "", false, "missing.gpg"},
		{"default rejects", policyWith(""), "REG/elsewhere/x:v1", "", false, "rejected by policy"},
		{"insecureAcceptAnything needs no signature", `{"default":[{"type":"insecureAcceptAnything"}]}`, "REG/team/unsigned:v1", "", true, "without a signature check"},
		{"two requirements, one fails", `{"default":[{"type":"reject"}],"transports":{"docker":{"REG/team":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/release.gpg"},{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/other.gpg"}]}}}`, "REG/team/app:v1", "", false, "Key not found"},
		{"unimplemented keyType", strings.Replace(policyWith(""), "GPGKeys", "X509Certificates", 1), "REG/team/app:v1", "", false, "Unimplemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n.policy(tt.policy)
			res := n.verify(tt.image, func(o *Options) {
				if tt.mech != "" {
					o.Mechanism = mechOf(tt.mech)
				}
			})
			if res.Accepted != tt.accepted || res.Incomplete {
				t.Fatalf("accepted=%v incomplete=%v, want %v\n%s", res.Accepted, res.Incomplete, tt.accepted, render(res))
			}
			if !strings.Contains(res.Summary, tt.reason) && !strings.Contains(render(res), tt.reason) {
				t.Errorf("the trace does not say %q:\n%s", tt.reason, render(res))
			}
		})
	}
}

// TestKeyDataInline checks keyData with a key that is nowhere on disk.
func TestKeyDataInline(t *testing.T) {
	n := newNode(t)
	k := n.key("inline", nil)
	var pub bytes.Buffer
	k.Serialize(&pub)
	d := n.push("team/app:v1")
	n.sign(k, "team/app", d, n.host+"/team/app:v1", 1)
	n.policy(`{"default":[{"type":"reject"}],"transports":{"docker":{"REG":[{"type":"signedBy","keyType":"GPGKeys","keyData":"` + b64(pub.Bytes()) + `"}]}}}`)
	if res := n.verify("REG/team/app:v1"); !res.Accepted || res.Trace.Requirements[0].Signatures[0].KeyFile != "keyData" {
		t.Fatalf("%s", render(res))
	}
}

// TestRequestCount: a signed image found through a look-aside costs the
// minimum of the runtime's protocol: the registry ping and manifest, then
// signature-1 and the signature-2 that proves there is no more.
func TestRequestCount(t *testing.T) {
	n := newNode(t)
	k := n.key("release", nil)
	d := n.push("team/app:v1")
	n.sign(k, "team/app", d, n.host+"/team/app:v1", 1)
	n.policy(policyWith(""))
	n.requests.Store(0)
	res := n.verify("REG/team/app:v1")
	if !res.Accepted {
		t.Fatal(render(res))
	}
	if got := n.requests.Load(); got != 2 {
		t.Errorf("look-aside requests: %d, want 2 (signature-1, signature-2)", got)
	}
	// With --tls-verify=false the ping tries https first and falls back to
	// http, as the runtime does; then the manifest and the two signatures.
	if res.Trace.HTTPRequests != 5 {
		t.Errorf("HTTP requests: %d, want 5", res.Trace.HTTPRequests)
	}
}

func TestImageIndex(t *testing.T) {
	n := newNode(t)
	k := n.key("release", nil)
	amd, _ := random.Image(64, 1)
	arm, _ := random.Image(64, 1)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})
	ref := n.pushIndex("team/multi:v1", idx)
	amdDigest, _ := amd.Digest()
	n.policy(policyWith(""))

	// Only the index signed: the runtime checks the instance, so no.
	n.sign(k, "team/multi", ref, n.host+"/team/multi:v1", 1)
	res := n.verify("REG/team/multi:v1", func(o *Options) { o.Platform = "linux/amd64" })
	if res.Accepted || !strings.Contains(res.Summary, "no signature exists") || res.Trace.IndexDigest != ref.String() {
		t.Fatalf("index-only signature:\n%s", render(res))
	}
	// The instance signed: yes.
	n.sign(k, "team/multi", digest.Digest(amdDigest.String()), n.host+"/team/multi:v1", 1)
	res = n.verify("REG/team/multi:v1", func(o *Options) { o.Platform = "linux/amd64" })
	if !res.Accepted || res.Trace.ManifestDigest != amdDigest.String() {
		t.Fatalf("instance signature:\n%s", render(res))
	}
	// Another platform's instance is not signed.
	if res := n.verify("REG/team/multi:v1", func(o *Options) { o.Platform = "linux/arm64" }); res.Accepted {
		t.Fatalf("arm64 instance is not signed:\n%s", render(res))
	}
}

func TestScopeChoice(t *testing.T) {
	p := &model.Policy{Default: model.Requirements{{Type: model.Reject}}}
	for _, s := range []string{"", "unmatched", "deep.com", "*.very.deep.com", "*.deep.com", "deep.com/n1", "deep.com/n1/n2", "deep.com/n1/n2/n3", "deep.com/n1/n2/n3/repo", "deep.com/n1/n2/n3/repo:tag2"} {
		p.SetScope("docker", s, model.Requirements{{Type: model.Reject}})
	}
	p.SetScope("atomic", "unmatched", model.Requirements{{Type: model.Reject}})
	tests := map[string]string{
		"deep.com/n1/n2/n3/repo:tag2":          "deep.com/n1/n2/n3/repo:tag2",
		"deep.com/n1/n2/n3/repo:nottag2":       "deep.com/n1/n2/n3/repo",
		"deep.com/n1/n2/n3/notrepo:tag2":       "deep.com/n1/n2/n3",
		"deep.com/n1/n2/notn3/repo:tag2":       "deep.com/n1/n2",
		"deep.com/n1/notn2/n3/repo:tag2":       "deep.com/n1",
		"deep.com/notn1/n2/n3/repo:tag2":       "deep.com",
		"very.deep.com/n1/n2/n3/repo:tag2":     "*.deep.com",
		"not.very.deep.com/n1/n2/n3/repo:tag2": "*.very.deep.com",
		"this.does-not/match:anything":         "",
	}
	for image, want := range tests {
		img, err := ParseImage(image)
		if err != nil {
			t.Fatal(err)
		}
		c := ChooseRequirements(p, img)
		if c.List.IsDefault || c.List.Scope != want {
			t.Errorf("%s: chose %s, want %q (tried %v)", image, c.List, want, c.Tried)
		}
	}
	if _, err := ParseImage("oci-archive:/x.tar"); err == nil {
		t.Error("an unsupported transport was accepted")
	}
}

// TestUnreachableAndHostile: the check ends in bounded time, incomplete,
// never accepted.
func TestUnreachableAndHostile(t *testing.T) {
	n := newNode(t)
	n.key("release", nil)
	n.policy(`{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/release.gpg"}]}`)
	cases := map[string]string{
		"unreachable":             "127.0.0.1:1/team/app:v1",
		"slow":                    hostile(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(3 * time.Second) }) + "/team/app:v1",
		"huge manifest":           hostile(t, hugeManifest) + "/team/app:v1",
		"http on a TLS reference": strings.TrimPrefix(n.reg.URL, "http://") + "/team/app:v1",
	}
	for name, image := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			res := n.verify(image, func(o *Options) {
				o.Timeout = 500 * time.Millisecond
				o.TLSVerify = name == "http on a TLS reference"
			})
			if res.Accepted || !res.Incomplete {
				t.Fatalf("want incomplete, got:\n%s", render(res))
			}
			if d := time.Since(start); d > 2500*time.Millisecond {
				t.Errorf("took %v", d)
			}
		})
	}
}
