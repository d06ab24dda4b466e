package policyio

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kios/imgtrust/model"
)

// reflectObject is the writer as it was, on encoding/json's reflection:
// the oracle the fast encoder must equal byte for byte.
type reflectObject []field

func (o reflectObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(toReflect(f.val))
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func toReflect(v any) any {
	switch v := v.(type) {
	case orderedObject:
		out := make(reflectObject, len(v))
		for i, f := range v {
			out[i] = field{f.key, toReflect(f.val)}
		}
		if v == nil {
			return reflectObject(nil)
		}
		return out
	case []orderedObject:
		if v == nil {
			return []reflectObject(nil)
		}
		out := make([]reflectObject, len(v))
		for i, o := range v {
			out[i] = toReflect(o).(reflectObject)
		}
		return out
	}
	return v
}

func marshalReflect(t *testing.T, p *model.Policy) []byte {
	top := orderedObject{{"default", requirementsJSON(p.Default)}}
	if len(p.Transports) > 0 {
		var ts orderedObject
		for _, tr := range p.Transports {
			scopes := orderedObject{}
			for _, s := range tr.Scopes {
				scopes = append(scopes, field{s.Name, requirementsJSON(s.Requirements)})
			}
			ts = append(ts, field{tr.Name, scopes})
		}
		top = append(top, field{"transports", ts})
	}
	raw, err := json.Marshal(toReflect(top))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// TestMarshalMatchesEncodingJSON: MarshalPolicy writes exactly what the
// reflection-based writer wrote, for the test policies, the fuzz corpus
// and a policy of awkward strings and byte fields.
func TestMarshalMatchesEncodingJSON(t *testing.T) {
	var pols []*model.Policy
	files, _ := filepath.Glob("../testdata/policies/*.json")
	files = append(files, "../testdata/kios-guide-policy.json")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := ParsePolicy(f, data); p != nil {
			pols = append(pols, p)
		}
	}
	odd := []string{"", "plain", `q"uote`, `back\slash`, "<html>&amp;", "tab\there", "nl\nx", "\x00\x01\x1f\x7f", "é ü 日本", "\u2028\u2029", "bad\xffutf8", "\b\f"}
	p := &model.Policy{Default: model.Requirements{{Type: model.Reject}}}
	for i, s := range odd {
		p.SetScope(s, s, model.Requirements{{
			Type: model.SignedBy, KeyType: s, KeyPath: s, KeyPaths: []string{s, ""}, KeyData: []byte(s),
			KeyDatas:       [][]byte{nil, {}, []byte(s)},
			SignedIdentity: &model.Identity{Type: model.RemapIdentity, Prefix: s, SignedPrefix: s},
		}, {
			Type: model.SigstoreSigned, KeyDatas: [][]byte{}, RekorPublicKeyPaths: []string{}, RekorPublicKeyData: []byte{},
			Fulcio: &model.Fulcio{CAPath: s, CAData: []byte{byte(i)}, OIDCIssuer: s, SubjectEmail: s},
			PKI:    &model.PKI{CARootsData: []byte(s), SubjectHostname: s},
		}})
	}
	p.SetScope("docker", "empty", model.Requirements{})
	pols = append(pols, p, &model.Policy{}, &model.Policy{Transports: []*model.Transport{{Name: "docker"}}})
	for i, p := range pols {
		got, err := MarshalPolicy(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := marshalReflect(t, p); !bytes.Equal(got, want) {
			t.Errorf("policy %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// FuzzMarshalMatchesEncodingJSON: for whatever policy.json parses into a
// model, the fast writer and the reflection-based one agree.
func FuzzMarshalMatchesEncodingJSON(f *testing.F) {
	files, _ := filepath.Glob("../testdata/policies/*.json")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"default":[{"type":"signedBy","keyType":"<&>","keyData":"","keyPaths":[]}],"transports":{"docker":{"a\u2028":[{"type":"reject"}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _ := ParsePolicy("fuzz", data)
		if p == nil {
			return
		}
		got, err := MarshalPolicy(p)
		if err != nil {
			return
		}
		if want := marshalReflect(t, p); !bytes.Equal(got, want) {
			t.Fatalf("writers differ:\n got %s\nwant %s", got, want)
		}
	})
}
