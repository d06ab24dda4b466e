package model

import "slices"

// RequirementType is the "type" of a policy requirement.
type RequirementType string

const (
	InsecureAcceptAnything RequirementType = "insecureAcceptAnything"
	Reject                 RequirementType = "reject"
	SignedBy               RequirementType = "signedBy"
	SignedBaseLayer        RequirementType = "signedBaseLayer"
	SigstoreSigned         RequirementType = "sigstoreSigned"
)

// RequirementTypes lists every requirement type containers/image parses.
var RequirementTypes = []RequirementType{InsecureAcceptAnything, Reject, SignedBy, SignedBaseLayer, SigstoreSigned}

// KeyType values accepted by signedBy. Only GPGKeys works at evaluation
// time; the others parse but reject every signature.
const (
	KeyTypeGPGKeys          = "GPGKeys"
	KeyTypeSignedByGPGKeys  = "signedByGPGKeys"
	KeyTypeX509Certificates = "X509Certificates"
	KeyTypeSignedByX509CAs  = "signedByX509CAs"
)

// KeyTypes lists the keyType strings the parser accepts.
var KeyTypes = []string{KeyTypeGPGKeys, KeyTypeSignedByGPGKeys, KeyTypeX509Certificates, KeyTypeSignedByX509CAs}

// Requirement is one element of a requirement list. One struct carries the
// fields of every type; which are meaningful depends on Type. Slices and
// byte fields are nil when absent from the file, so that the writer can
// reproduce what was there.
type Requirement struct {
	Type RequirementType
	Pos  Pos

	// signedBy (KeyPath, KeyPaths, KeyData are shared with sigstoreSigned).
	KeyType  string
	KeyPath  string
	KeyPaths []string
	KeyData  []byte
	// SignedIdentity is nil when the key is absent: the runtime then uses
	// matchRepoDigestOrExact (see EffectiveIdentity).
	SignedIdentity *Identity

	// signedBaseLayer
	BaseLayerIdentity *Identity

	// sigstoreSigned
	KeyDatas            [][]byte
	Fulcio              *Fulcio
	PKI                 *PKI
	RekorPublicKeyPath  string
	RekorPublicKeyPaths []string
	RekorPublicKeyData  []byte
	RekorPublicKeyDatas [][]byte

	// FieldPos holds where each field's key is, in file order, for
	// diagnostics and for placing a cursor on a field (FieldPosition).
	// A requirement has a handful: a slice of line and column costs a
	// fifth of a map of Pos (issue 15: the maps were 4 MB of the 9 MB
	// model of 10,000 scopes).
	FieldPos []FieldPos
}

// FieldPos is where a requirement's field is, in the requirement's file.
type FieldPos struct {
	Field     string
	Line, Col int32
}

// FieldPosition returns where field is in the file, or the zero Pos.
func (r *Requirement) FieldPosition(field string) Pos {
	for _, f := range r.FieldPos {
		if f.Field == field {
			return Pos{File: r.Pos.File, Line: int(f.Line), Col: int(f.Col)}
		}
	}
	return Pos{}
}

// HasField reports whether field was in the file.
func (r *Requirement) HasField(field string) bool {
	for _, f := range r.FieldPos {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Fulcio is the certificate-based trust root of sigstoreSigned.
type Fulcio struct {
	CAPath         string
	CAData         []byte
	OIDCIssuer     string
	SubjectEmail   string
	BuildSignerURI string
}

// PKI is the X.509 trust root of sigstoreSigned.
type PKI struct {
	CARootsPath         string
	CARootsData         []byte
	CAIntermediatesPath string
	CAIntermediatesData []byte
	SubjectEmail        string
	SubjectHostname     string
}

// EffectiveIdentity returns the signedIdentity the runtime applies.
func (r *Requirement) EffectiveIdentity() Identity {
	if r.SignedIdentity != nil {
		return *r.SignedIdentity
	}
	return Identity{Type: MatchRepoDigestOrExact}
}

// KeyRef is one place a requirement takes key material from.
type KeyRef struct {
	// Field is the JSON key: keyPath, keyPaths, keyData or keyDatas.
	Field string
	// Index is the position within keyPaths/keyDatas, 0 otherwise.
	Index int
	// Path is the node path of a key file, as written in policy.json.
	Path string
	// Data is inline key material (keyData, keyDatas).
	Data []byte
}

// Inline reports whether the key material is embedded in the policy.
func (k KeyRef) Inline() bool { return k.Path == "" }

// KeyRefs lists the key sources of a signedBy or sigstoreSigned
// requirement in file order.
func (r *Requirement) KeyRefs() []KeyRef {
	if r.Type != SignedBy && r.Type != SigstoreSigned {
		return nil
	}
	var out []KeyRef
	if r.KeyPath != "" {
		out = append(out, KeyRef{Field: "keyPath", Path: r.KeyPath})
	}
	for i, p := range r.KeyPaths {
		out = append(out, KeyRef{Field: "keyPaths", Index: i, Path: p})
	}
	if r.KeyData != nil {
		out = append(out, KeyRef{Field: "keyData", Data: r.KeyData})
	}
	for i, d := range r.KeyDatas {
		out = append(out, KeyRef{Field: "keyDatas", Index: i, Data: d})
	}
	return out
}

// Clone deep-copies a requirement.
func (r *Requirement) Clone() *Requirement {
	if r == nil {
		return nil
	}
	c := *r
	c.KeyPaths = slices.Clone(r.KeyPaths)
	c.KeyData = slices.Clone(r.KeyData)
	c.KeyDatas = cloneBytesList(r.KeyDatas)
	c.RekorPublicKeyPaths = slices.Clone(r.RekorPublicKeyPaths)
	c.RekorPublicKeyData = slices.Clone(r.RekorPublicKeyData)
	c.RekorPublicKeyDatas = cloneBytesList(r.RekorPublicKeyDatas)
	if r.SignedIdentity != nil {
		id := *r.SignedIdentity
		c.SignedIdentity = &id
	}
	if r.BaseLayerIdentity != nil {
		id := *r.BaseLayerIdentity
		c.BaseLayerIdentity = &id
	}
	if r.Fulcio != nil {
		f := *r.Fulcio
		f.CAData = slices.Clone(r.Fulcio.CAData)
		c.Fulcio = &f
	}
	if r.PKI != nil {
		p := *r.PKI
		p.CARootsData = slices.Clone(r.PKI.CARootsData)
		p.CAIntermediatesData = slices.Clone(r.PKI.CAIntermediatesData)
		c.PKI = &p
	}
	c.FieldPos = slices.Clone(r.FieldPos)
	return &c
}

func cloneBytesList(in [][]byte) [][]byte {
	if in == nil {
		return nil
	}
	out := make([][]byte, len(in))
	for i, b := range in {
		out[i] = slices.Clone(b)
	}
	return out
}
