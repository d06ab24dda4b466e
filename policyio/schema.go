package policyio

import (
	"slices"

	"github.com/kios/imgtrust/model"
	"github.com/tailscale/hujson"
)

// The schema of policy.json, written once: each object's JSON keys, in
// the order the writer puts them, with the model field each one holds.
// The decoder's key lists, its value decoding for the fixed-shape objects
// and the writer are all driven by these tables, so that they cannot
// drift apart (signature/policy_config.go and policy_config_sigstore.go
// are the runtime's side).

// objectField is one key of a fixed-shape object (fulcio, pki, an
// identity): a string or a base64 value of the model struct T.
type objectField[T any] struct {
	name string
	str  func(*T) *string // a string key
	data func(*T) *[]byte // a base64 key
}

func fieldNames[T any](fields []objectField[T]) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}

func lookupField[T any](fields []objectField[T], name string) (objectField[T], bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return objectField[T]{}, false
}

var fulcioFields = []objectField[model.Fulcio]{
	{name: "caPath", str: func(f *model.Fulcio) *string { return &f.CAPath }},
	{name: "caData", data: func(f *model.Fulcio) *[]byte { return &f.CAData }},
	{name: "oidcIssuer", str: func(f *model.Fulcio) *string { return &f.OIDCIssuer }},
	{name: "subjectEmail", str: func(f *model.Fulcio) *string { return &f.SubjectEmail }},
	{name: "buildSignerURI", str: func(f *model.Fulcio) *string { return &f.BuildSignerURI }},
}

var pkiFields = []objectField[model.PKI]{
	{name: "caRootsPath", str: func(p *model.PKI) *string { return &p.CARootsPath }},
	{name: "caRootsData", data: func(p *model.PKI) *[]byte { return &p.CARootsData }},
	{name: "caIntermediatesPath", str: func(p *model.PKI) *string { return &p.CAIntermediatesPath }},
	{name: "caIntermediatesData", data: func(p *model.PKI) *[]byte { return &p.CAIntermediatesData }},
	{name: "subjectEmail", str: func(p *model.PKI) *string { return &p.SubjectEmail }},
	{name: "subjectHostname", str: func(p *model.PKI) *string { return &p.SubjectHostname }},
}

// identityFields are the value keys of a signedIdentity; identityKeys
// says which of them each identity type has.
var identityFields = []objectField[model.Identity]{
	{name: "dockerReference", str: func(id *model.Identity) *string { return &id.DockerReference }},
	{name: "dockerRepository", str: func(id *model.Identity) *string { return &id.DockerRepository }},
	{name: "prefix", str: func(id *model.Identity) *string { return &id.Prefix }},
	{name: "signedPrefix", str: func(id *model.Identity) *string { return &id.SignedPrefix }},
}

// identityKeys are the exact key sets of each identity type: every key is
// mandatory and no other is allowed (ParanoidUnmarshalJSONObjectExactFields).
var identityKeys = map[model.IdentityType][]string{
	model.MatchExact:             {"type"},
	model.MatchRepoDigestOrExact: {"type"},
	model.MatchRepository:        {"type"},
	model.ExactReference:         {"type", "dockerReference"},
	model.ExactRepository:        {"type", "dockerRepository"},
	model.RemapIdentity:          {"type", "prefix", "signedPrefix"},
}

// decodeObject decodes a fixed-shape object into out: each known key by
// its kind, each unknown one reported. present holds the keys given a
// value other than null (the runtime's "is it specified" for []byte).
func decodeObject[T any](d *jsonDecoder, v *hujson.Value, path string, t *model.Target, fields []objectField[T], out *T) (present map[string]bool, ok bool) {
	members, ok := d.object(v, path, t, nil)
	if !ok {
		return nil, false
	}
	present = map[string]bool{}
	for _, m := range members {
		f, known := lookupField(fields, m.name)
		if !known {
			d.unknownKey(m, path, fieldNames(fields), t, "")
			continue
		}
		if m.val.Value.Kind() != 'n' {
			present[m.name] = true
		}
		p := path + "." + m.name
		switch {
		case f.str != nil:
			*f.str(out), _ = d.str(m.val, p, t)
		case f.data != nil:
			*f.data(out), _ = d.base64(m.val, p, t)
		}
	}
	return present, true
}

// encodeObject renders the keys of v that are set (a string not empty, a
// []byte not nil), in table order.
func encodeObject[T any](fields []objectField[T], v *T) orderedObject {
	o := orderedObject{}
	for _, f := range fields {
		switch {
		case f.str != nil:
			o.str(f.name, *f.str(v))
		case f.data != nil:
			o.bytes(f.name, *f.data(v))
		}
	}
	return o
}

// requirementField is one key of a requirement after "type": the
// requirement types whose parser accepts it, and how the writer renders
// it. The writer renders what the model holds whatever the type, so that
// parsing the result reports a key the type does not take.
type requirementField struct {
	name  string
	types []model.RequirementType
	write func(o *orderedObject, r *model.Requirement)
}

var (
	signedBy       = []model.RequirementType{model.SignedBy}
	sigstoreSigned = []model.RequirementType{model.SigstoreSigned}
	bothSigned     = []model.RequirementType{model.SignedBy, model.SigstoreSigned}
)

// requirementFields are in the writer's order, which is also the order
// the decoder's messages list the allowed keys in.
var requirementFields = []requirementField{
	{"keyType", signedBy, func(o *orderedObject, r *model.Requirement) {
		if r.Type == model.SignedBy {
			*o = append(*o, field{"keyType", r.KeyType}) // kept when empty: the runtime requires it
		}
	}},
	{"keyPath", bothSigned, func(o *orderedObject, r *model.Requirement) {
		// An empty keyPath that was in the file is kept, so that the
		// runtime's "exactly one of" error stays visible.
		if r.KeyPath != "" || (r.HasField("keyPath") && r.Type == model.SignedBy) {
			*o = append(*o, field{"keyPath", r.KeyPath})
		}
	}},
	{"keyPaths", bothSigned, func(o *orderedObject, r *model.Requirement) { o.list("keyPaths", r.KeyPaths) }},
	{"keyData", bothSigned, func(o *orderedObject, r *model.Requirement) { o.bytes("keyData", r.KeyData) }},
	{"keyDatas", sigstoreSigned, func(o *orderedObject, r *model.Requirement) { o.dataList("keyDatas", r.KeyDatas) }},
	{"fulcio", sigstoreSigned, func(o *orderedObject, r *model.Requirement) {
		if r.Fulcio != nil {
			*o = append(*o, field{"fulcio", encodeObject(fulcioFields, r.Fulcio)})
		}
	}},
	{"pki", sigstoreSigned, func(o *orderedObject, r *model.Requirement) {
		if r.PKI != nil {
			*o = append(*o, field{"pki", encodeObject(pkiFields, r.PKI)})
		}
	}},
	{"rekorPublicKeyPath", sigstoreSigned, func(o *orderedObject, r *model.Requirement) { o.str("rekorPublicKeyPath", r.RekorPublicKeyPath) }},
	{"rekorPublicKeyPaths", sigstoreSigned, func(o *orderedObject, r *model.Requirement) { o.list("rekorPublicKeyPaths", r.RekorPublicKeyPaths) }},
	{"rekorPublicKeyData", sigstoreSigned, func(o *orderedObject, r *model.Requirement) { o.bytes("rekorPublicKeyData", r.RekorPublicKeyData) }},
	{"rekorPublicKeyDatas", sigstoreSigned, func(o *orderedObject, r *model.Requirement) { o.dataList("rekorPublicKeyDatas", r.RekorPublicKeyDatas) }},
	{"signedIdentity", bothSigned, func(o *orderedObject, r *model.Requirement) {
		if r.SignedIdentity != nil {
			*o = append(*o, field{"signedIdentity", identityJSON(r.SignedIdentity)})
		}
	}},
	{"baseLayerIdentity", []model.RequirementType{model.SignedBaseLayer}, func(o *orderedObject, r *model.Requirement) {
		if r.Type == model.SignedBaseLayer && r.BaseLayerIdentity != nil {
			*o = append(*o, field{"baseLayerIdentity", identityJSON(r.BaseLayerIdentity)})
		}
	}},
}

// requirementKeys are the keys each requirement type accepts, derived
// from requirementFields.
var requirementKeys = func() map[model.RequirementType][]string {
	out := map[model.RequirementType][]string{}
	for _, t := range model.RequirementTypes {
		keys := []string{"type"}
		for _, f := range requirementFields {
			if slices.Contains(f.types, t) {
				keys = append(keys, f.name)
			}
		}
		out[t] = keys
	}
	return out
}()
