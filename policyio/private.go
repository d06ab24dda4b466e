package policyio

import (
	"fmt"
	"strings"

	"github.com/kios/imgtrust/gpg/secretscan"
	"github.com/kios/imgtrust/model"
)

// PrivateFind is private key material inline in policy.json: which rule
// holds it, in which field, and what it is.
type PrivateFind struct {
	List        model.ScopeRef
	Requirement int
	Type        model.RequirementType
	// Field is the JSON key, with an index for lists: "keyDatas[1]",
	// "fulcio.caData".
	Field string
	Found string // "a secret key packet", "a PEM EC PRIVATE KEY"...
	Pos   model.Pos
}

func (f PrivateFind) String() string {
	return fmt.Sprintf("%s requirement %d (%s) %s holds %s", f.List, f.Requirement, f.Type, f.Field, f.Found)
}

// Fix says how to replace the material with its public part.
func (f PrivateFind) Fix() string {
	switch {
	case f.Type == model.SignedBy:
		return "put the public part there instead: gpg --export KEYID | base64 -w0 (or import it with imgtrust keys import and use keyPath)"
	case strings.Contains(f.Field, ".ca"):
		return "keep only the CERTIFICATE blocks of the CA bundle, base64-encoded"
	default:
		return "put the public part there instead: openssl pkey -in KEY -pubout | base64 -w0 (cosign: cosign public-key --key cosign.key)"
	}
}

// FindPrivate lists every inline key or certificate field of p that holds
// private key material (an OpenPGP secret key in any disguise, a PEM or
// DER private key of any kind). The runtime only needs public parts, and
// policy.json is world-readable.
func FindPrivate(p *model.Policy) []PrivateFind {
	if p == nil {
		return nil
	}
	var out []PrivateFind
	p.EachList(func(ref model.ScopeRef, _ model.Pos, reqs model.Requirements) {
		for i, r := range reqs {
			check := func(field, posKey string, data []byte) {
				if len(data) == 0 {
					return
				}
				if what := secretscan.Find(data); what != "" {
					pos := r.FieldPosition(posKey)
					if pos.IsZero() {
						pos = r.Pos
					}
					out = append(out, PrivateFind{List: ref, Requirement: i, Type: r.Type, Field: field, Found: what, Pos: pos})
				}
			}
			check("keyData", "keyData", r.KeyData)
			for j, d := range r.KeyDatas {
				check(fmt.Sprintf("keyDatas[%d]", j), "keyDatas", d)
			}
			check("rekorPublicKeyData", "rekorPublicKeyData", r.RekorPublicKeyData)
			for j, d := range r.RekorPublicKeyDatas {
				check(fmt.Sprintf("rekorPublicKeyDatas[%d]", j), "rekorPublicKeyDatas", d)
			}
			if r.Fulcio != nil {
				check("fulcio.caData", "fulcio", r.Fulcio.CAData)
			}
			if r.PKI != nil {
				check("pki.caRootsData", "pki", r.PKI.CARootsData)
				check("pki.caIntermediatesData", "pki", r.PKI.CAIntermediatesData)
			}
		}
	})
	return out
}

// PrivateKeyError refuses a policy.json that would hold private key
// material: nothing is written.
type PrivateKeyError struct {
	Path  string
	Finds []PrivateFind
}

func (e *PrivateKeyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "refusing to write %s: it would hold private key material, and imgtrust stores public keys only; nothing was changed", e.Path)
	for _, f := range e.Finds {
		b.WriteString("\n  ")
		b.WriteString(f.String())
		b.WriteString(": ")
		b.WriteString(f.Fix())
	}
	return b.String()
}

// privateDiagnostics reports FindPrivate's finds as errors for lint and
// the Problems view.
func privateDiagnostics(p *model.Policy) model.Diagnostics {
	var out model.Diagnostics
	for _, f := range FindPrivate(p) {
		field, _, _ := strings.Cut(f.Field, "[")
		field, _, _ = strings.Cut(field, ".")
		out = append(out, model.Diagnostic{
			Severity: model.Error, Code: "key-private", Pos: f.Pos,
			Target:  &model.Target{List: f.List, Requirement: f.Requirement, Field: field},
			Message: fmt.Sprintf("%s[%d].%s contains private key material (%s); policy.json is world-readable and must only hold public parts", f.List, f.Requirement, f.Field, f.Found),
			Fix:     f.Fix(),
		})
	}
	return out
}

// RawPrivateDiagnostics reports private key material in the text of
// policy.json that is in none of its rules (a comment, say): the rules'
// fields are reported by CheckKeyFiles, by field.
func RawPrivateDiagnostics(pf *PolicyFile) model.Diagnostics {
	if pf == nil || len(pf.Raw) == 0 || len(FindPrivate(pf.Policy)) > 0 {
		return nil
	}
	what := secretscan.Find(pf.Raw)
	if what == "" {
		return nil
	}
	return model.Diagnostics{{
		Severity: model.Error, Code: "key-private", Pos: model.Pos{File: pf.Path},
		Message: fmt.Sprintf("the text of policy.json holds private key material (%s) outside its rules, in a comment perhaps; policy.json is world-readable", what),
		Fix:     "delete it from the file; a save from imgtrust rewrites the file without it and keeps no backup of it",
	}}
}

// holdsPrivate: the file as read holds private key material, in a rule
// or anywhere in its text.
func (pf *PolicyFile) holdsPrivate() bool {
	return len(FindPrivate(pf.Policy)) > 0 || (len(pf.Raw) > 0 && secretscan.Find(pf.Raw) != "")
}
