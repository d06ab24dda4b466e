package policyio

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/kios/imgtrust/model"
)

// TestSchemaTablesDriveDecoderAndWriter: an object with every key of its
// table set is written with exactly the table's keys, in table order, and
// reads back to the same model value.
func TestSchemaTablesDriveDecoderAndWriter(t *testing.T) {
	data := []byte("data")
	tests := []struct {
		name string
		req  *model.Requirement
		path []string // object to inspect inside the requirement, "" = the requirement
		keys []string
	}{
		{"fulcio", &model.Requirement{Type: model.SigstoreSigned, RekorPublicKeyPath: "/r.pub",
			Fulcio: &model.Fulcio{CAPath: "/ca.pem", CAData: data, OIDCIssuer: "https://issuer", SubjectEmail: "a@example.com", BuildSignerURI: "https://b"}},
			[]string{"fulcio"}, fieldNames(fulcioFields)},
		{"pki", &model.Requirement{Type: model.SigstoreSigned,
			PKI: &model.PKI{CARootsPath: "/roots.pem", CARootsData: data, CAIntermediatesPath: "/i.pem", CAIntermediatesData: data, SubjectEmail: "a@example.com", SubjectHostname: "h.example.com"}},
			[]string{"pki"}, fieldNames(pkiFields)},
		{"signedBy", &model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/k.gpg", KeyPaths: []string{"/a"}, KeyData: data,
			SignedIdentity: &model.Identity{Type: model.MatchRepository}},
			nil, requirementKeys[model.SignedBy]},
		{"sigstoreSigned", &model.Requirement{Type: model.SigstoreSigned, KeyPath: "/k.pub", KeyPaths: []string{"/a"}, KeyData: data, KeyDatas: [][]byte{data},
			Fulcio: &model.Fulcio{}, PKI: &model.PKI{}, RekorPublicKeyPath: "/r", RekorPublicKeyPaths: []string{"/r"}, RekorPublicKeyData: data, RekorPublicKeyDatas: [][]byte{data},
			SignedIdentity: &model.Identity{Type: model.MatchExact}},
			nil, requirementKeys[model.SigstoreSigned]},
		{"signedBaseLayer", &model.Requirement{Type: model.SignedBaseLayer, BaseLayerIdentity: &model.Identity{Type: model.MatchRepository}},
			nil, requirementKeys[model.SignedBaseLayer]},
		{"remapIdentity", &model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/k",
			SignedIdentity: &model.Identity{Type: model.RemapIdentity, Prefix: "mirror.example.com", SignedPrefix: "example.com"}},
			[]string{"signedIdentity"}, identityKeys[model.RemapIdentity]},
		{"exactReference", &model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/k",
			SignedIdentity: &model.Identity{Type: model.ExactReference, DockerReference: "example.com/a:1"}},
			[]string{"signedIdentity"}, identityKeys[model.ExactReference]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &model.Policy{Default: model.Requirements{tt.req}}
			out, err := MarshalPolicy(p)
			if err != nil {
				t.Fatal(err)
			}
			// The keys as written, in order.
			var top struct{ Default []json.RawMessage }
			if err := json.Unmarshal(out, &top); err != nil {
				t.Fatal(err)
			}
			obj := top.Default[0]
			for _, k := range tt.path {
				var m map[string]json.RawMessage
				if err := json.Unmarshal(obj, &m); err != nil {
					t.Fatal(err)
				}
				obj = m[k]
			}
			got := objectKeys(t, obj)
			if !slices.Equal(got, tt.keys) {
				t.Errorf("written keys %v, table %v", got, tt.keys)
			}
			back, diags := ParsePolicy("policy.json", out)
			for _, d := range diags {
				if d.Code == "unknown-key" || d.Code == "wrong-type" || d.Code == "missing-key" {
					t.Errorf("the written file does not read back: %s: %s", d.Path, d.Message)
				}
			}
			r := back.Default[0]
			r.Pos, r.FieldPos = model.Pos{}, nil
			for _, id := range []*model.Identity{r.SignedIdentity, r.BaseLayerIdentity} {
				if id != nil {
					id.Pos = model.Pos{}
				}
			}
			if !reflect.DeepEqual(r, tt.req) {
				t.Errorf("read back\n%+v\nwant\n%+v", r, tt.req)
			}
		})
	}
}

// objectKeys lists a JSON object's keys in document order.
func objectKeys(t *testing.T, obj json.RawMessage) []string {
	t.Helper()
	var keys []string
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}
