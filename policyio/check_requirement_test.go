package policyio

import (
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
)

func TestCheckRequirement(t *testing.T) {
	id := func(typ model.IdentityType, ref string) *model.Identity {
		return &model.Identity{Type: typ, DockerReference: ref}
	}
	tests := []struct {
		name  string
		r     *model.Requirement
		codes []string // error codes wanted, in any order; none: valid
		field string   // the Target.Field of the first error
	}{
		{"keyPath", &model.Requirement{Type: model.SignedBy, KeyType: "GPGKeys", KeyPath: "/etc/gpg/a.gpg"}, nil, ""},
		{"no key", &model.Requirement{Type: model.SignedBy, KeyType: "GPGKeys"}, []string{"signedby-no-key"}, "keyPath"},
		{"relative keyPath", &model.Requirement{Type: model.SignedBy, KeyType: "GPGKeys", KeyPath: "a.gpg"}, []string{"key-relative-path"}, "keyPath"},
		{"relative keyPaths entry", &model.Requirement{Type: model.SignedBy, KeyType: "GPGKeys", KeyPaths: []string{"/a", "b"}}, []string{"key-relative-path"}, "keyPaths"},
		{"empty keyPaths", &model.Requirement{Type: model.SignedBy, KeyType: "GPGKeys", KeyPaths: []string{}}, []string{"no-keys"}, "keyPaths"},
		{"two sources", &model.Requirement{Type: model.SignedBy, KeyType: "GPGKeys", KeyPath: "/a", KeyData: []byte("k")}, []string{"signedby-many-keys"}, "keyData"},
		{"bad exactReference", &model.Requirement{Type: model.SignedBy, KeyType: "GPGKeys", KeyPath: "/a", SignedIdentity: id(model.ExactReference, "no tag/x")}, []string{"bad-identity-value"}, "signedIdentity"},
		{"fulcio without rekor", &model.Requirement{Type: model.SigstoreSigned, Fulcio: &model.Fulcio{CAPath: "/ca", OIDCIssuer: "https://i", SubjectEmail: "a@b"}}, []string{"sigstore-fulcio-rekor"}, ""},
		{"fulcio relative CA", &model.Requirement{Type: model.SigstoreSigned, Fulcio: &model.Fulcio{CAPath: "ca.pem", OIDCIssuer: "https://i", SubjectEmail: "a@b"}, RekorPublicKeyPath: "/r"}, []string{"key-relative-path"}, "fulcio"},
		{"pki no subject", &model.Requirement{Type: model.SigstoreSigned, PKI: &model.PKI{CARootsPath: "/ca"}}, []string{"pki-subject"}, "pki"},
		{"pki", &model.Requirement{Type: model.SigstoreSigned, PKI: &model.PKI{CARootsData: []byte("x"), SubjectHostname: "h"}}, nil, ""},
		{"base layer", &model.Requirement{Type: model.SignedBaseLayer, BaseLayerIdentity: &model.Identity{Type: model.MatchRepository}}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var first *model.Diagnostic
			ds := CheckRequirement(tt.r)
			for i, d := range ds {
				if d.Severity == model.Error {
					got = append(got, d.Code)
					if first == nil {
						first = &ds[i]
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.codes, ",") {
				t.Fatalf("errors = %v, want %v:\n%s", got, tt.codes, dump(ds))
			}
			if first != nil && first.Target.Field != tt.field {
				t.Errorf("target field = %q, want %q", first.Target.Field, tt.field)
			}
		})
	}
}
