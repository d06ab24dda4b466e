package verify

import (
	"context"
	"errors"
	"testing"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
)

// TestRequirementErrorKinds: every rejection carries a kind a caller can
// test for, the reason shown is the error's text, and errors wrap what
// they were made from.
func TestRequirementErrorKinds(t *testing.T) {
	n := newNode(t)
	release := n.key("release", nil)
	other := n.key("other", nil)
	app := n.push("team/app:v1")
	n.sign(release, "team/app", app, n.host+"/team/app:v1", 1)
	wrongKey := n.push("team/wrongkey:v1")
	n.sign(other, "team/wrongkey", wrongKey, n.host+"/team/wrongkey:v1", 1)
	otherRepo := n.push("team/otherrepo:v1")
	n.sign(release, "team/otherrepo", otherRepo, n.host+"/team/app:v1", 1)
	twice := n.push("team/twice:v1")
	n.sign(other, "team/twice", twice, n.host+"/team/twice:v1", 1)
	n.sign(release, "team/twice", twice, n.host+"/team/elsewhere:v1", 2)
	n.push("team/unsigned:v1")

	missingKey := `{"default":[{"type":"reject"}],"transports":{"docker":{"REG/team":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/absent.gpg"}]}}}`
	tests := []struct {
		name, policy, image string
		kind                ReasonKind
		sigKinds            []ReasonKind
	}{
		{"reject", `{"default":[{"type":"reject"}]}`, "REG/team/app:v1", KindRejected, nil},
		{"signedBaseLayer", `{"default":[{"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchRepository"}}]}`, "REG/team/app:v1", KindUnimplemented, nil},
		{"unsigned", policyWith(""), "REG/team/unsigned:v1", KindNoSignature, nil},
		{"wrong key", policyWith(""), "REG/team/wrongkey:v1", KindInvalidSignature, []ReasonKind{KindInvalidSignature}},
		{"identity", policyWith(""), "REG/team/otherrepo:v1", KindIdentityMismatch, []ReasonKind{KindIdentityMismatch}},
		{"none of two", policyWith(""), "REG/team/twice:v1", KindNoneAccepted, []ReasonKind{KindInvalidSignature, KindIdentityMismatch}},
		{"missing key file", missingKey, "REG/team/app:v1", KindTrustRoot, nil},
		{"unreachable", `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/release.gpg"}]}`, "127.0.0.1:1/team/app:v1", KindUnreadable, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n.policy(tt.policy)
			res := n.verify(tt.image)
			if res.Accepted || len(res.Trace.Requirements) == 0 {
				t.Fatalf("accepted or no requirement: %+v", res)
			}
			rr := res.Trace.Requirements[0]
			if KindOf(rr.Err) != tt.kind || rr.Err.Error() != rr.Reason {
				t.Fatalf("kind %q (%v), want %q; reason %q", KindOf(rr.Err), rr.Err, tt.kind, rr.Reason)
			}
			if len(rr.Signatures) != len(tt.sigKinds) {
				t.Fatalf("%d signature checks, want %d", len(rr.Signatures), len(tt.sigKinds))
			}
			for i, sc := range rr.Signatures {
				if KindOf(sc.Err) != tt.sigKinds[i] || sc.Err.Error() != sc.Reason {
					t.Errorf("signature %d: kind %q, want %q (%s)", i, KindOf(sc.Err), tt.sigKinds[i], sc.Reason)
				}
				// A combined error still exposes each signature's.
				if tt.kind == KindNoneAccepted && !errors.Is(rr.Err, sc.Err) {
					t.Errorf("the combined error does not wrap signature %d's", i)
				}
			}
		})
	}

	n.policy(policyWith(""))
	res := n.verify("REG/team/otherrepo:v1")
	im, ok := identityMismatch(res.Trace.Requirements[0].Err)
	if !ok || im.Claimed != n.host+"/team/app:v1" || im.Expected != n.host+"/team/otherrepo:v1" {
		t.Errorf("identity mismatch %+v", im)
	}
	if res.Summary != "rejected: signed by "+shortSigner(res)+" but for "+n.host+"/team/app:v1, and docker:"+n.host+"/team requires "+n.host+"/team/otherrepo:v1" {
		t.Errorf("summary %q", res.Summary)
	}
}

func shortSigner(res *Result) string {
	s := res.Trace.Requirements[0].Signatures[0].Signer
	return s[len(s)-16:]
}

func TestEvaluateOffline(t *testing.T) {
	root := t.TempDir()
	pol := &model.Policy{Default: model.Requirements{{Type: model.Reject}}}
	res, err := Evaluate(context.Background(), Options{Paths: node.NewPaths(root, "", "", ""), Policy: pol, Registries: &policyio.RegistriesD{}, Mechanism: gpg.MechGoCrypto}, "dir:"+root)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted || KindOf(res.Trace.Requirements[0].Err) != KindRejected || res.Trace.HTTPRequests != 0 {
		t.Errorf("result %+v", res)
	}
	if _, err := Evaluate(context.Background(), Options{Paths: node.NewPaths(root, "", "", "")}, "dir:"+root); err == nil {
		t.Error("Evaluate without a policy file succeeded")
	}
}
