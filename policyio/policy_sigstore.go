package policyio

import (
	"fmt"

	"github.com/kios/imgtrust/model"
	"github.com/tailscale/hujson"
)

// sigstoreSigned follows newPRSigstoreSigned's checks
// (signature/policy_config_sigstore.go); see policy-json.md §5.5–5.7.
func (d *jsonDecoder) sigstoreSigned(r *model.Requirement, f fieldList, reqOff int, path string, tgt model.Target) {
	if v, ok := f.get("signedIdentity"); ok {
		r.SignedIdentity = d.identity(v, path+".signedIdentity", fieldTarget(tgt, "signedIdentity"))
	}
	d.keySources(r, f, path, tgt, false)
	for _, k := range []string{"keyPaths", "keyDatas"} {
		if v, ok := f.get(k); ok && (v.Value.Kind() == 'n' || (v.Value.Kind() == '[' && len(v.Value.(*hujson.Array).Elements) == 0)) {
			d.noEntries(v, path, k, k, tgt)
		}
	}
	if v, ok := f.get("rekorPublicKeyPath"); ok {
		r.RekorPublicKeyPath, _ = d.str(v, path+".rekorPublicKeyPath", fieldTarget(tgt, "rekorPublicKeyPath"))
	}
	if v, ok := f.get("rekorPublicKeyPaths"); ok {
		r.RekorPublicKeyPaths, _ = d.strList(v, path+".rekorPublicKeyPaths", fieldTarget(tgt, "rekorPublicKeyPaths"))
		if len(r.RekorPublicKeyPaths) == 0 {
			d.noEntries(v, path, "rekorPublicKeyPaths", "rekorPublickeyPaths", tgt)
		}
	}
	if v, ok := f.get("rekorPublicKeyData"); ok {
		r.RekorPublicKeyData, _ = d.base64(v, path+".rekorPublicKeyData", fieldTarget(tgt, "rekorPublicKeyData"))
	}
	if v, ok := f.get("rekorPublicKeyDatas"); ok {
		r.RekorPublicKeyDatas, _ = d.base64List(v, path+".rekorPublicKeyDatas", fieldTarget(tgt, "rekorPublicKeyDatas"))
		if len(r.RekorPublicKeyDatas) == 0 {
			d.noEntries(v, path, "rekorPublicKeyDatas", "rekorPublickeyDatas", tgt)
		}
	}
	if v, ok := f.get("fulcio"); ok {
		r.Fulcio = d.fulcio(v, path+".fulcio", tgt)
	}
	if v, ok := f.get("pki"); ok {
		r.PKI = d.pki(v, path+".pki", tgt)
	}

	sources := 0
	for _, has := range []bool{r.KeyPath != "", r.KeyPaths != nil, r.KeyData != nil, r.KeyDatas != nil, r.Fulcio != nil, r.PKI != nil} {
		if has {
			sources++
		}
	}
	if sources != 1 {
		msg := "sigstoreSigned names no trust root"
		if sources > 1 {
			msg = "sigstoreSigned names more than one trust root"
		}
		d.report(problem{
			sev: model.Error, code: "sigstore-key-sources", off: reqOff, path: path, target: &tgt,
			msg:     msg + ": exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki is required",
			fix:     `for cosign keys use "keyPath": "/etc/containers/cosign.pub"`,
			runtime: "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified",
		})
	}
	rekor := 0
	for _, has := range []bool{r.RekorPublicKeyPath != "", r.RekorPublicKeyPaths != nil, r.RekorPublicKeyData != nil, r.RekorPublicKeyDatas != nil} {
		if has {
			rekor++
		}
	}
	switch {
	case rekor > 1:
		d.report(problem{
			sev: model.Error, code: "sigstore-rekor-sources", off: reqOff, path: path, target: &tgt,
			msg:     "sigstoreSigned names more than one Rekor key source",
			runtime: "at most one of rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas can be used simultaneously",
		})
	case r.Fulcio != nil && rekor == 0:
		d.report(problem{
			sev: model.Error, code: "sigstore-fulcio-rekor", off: reqOff, path: path, target: &tgt,
			msg:     "fulcio needs a Rekor public key",
			fix:     `add "rekorPublicKeyPath": "/etc/containers/rekor.pub"`,
			runtime: "At least one of rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas must be specified if fulcio is used",
		})
	case r.PKI != nil && rekor > 0:
		d.report(problem{
			sev: model.Error, code: "sigstore-pki-rekor", off: reqOff, path: path, target: &tgt,
			msg:     "pki cannot be combined with a Rekor key",
			runtime: "rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas are not supported for pki",
		})
	}
}

func (d *jsonDecoder) noEntries(v *hujson.Value, path, key, runtimeKey string, tgt model.Target) {
	d.report(problem{
		sev: model.Error, code: "sigstore-empty-list", off: v.StartOffset, path: path + "." + key, target: fieldTarget(tgt, key),
		msg:     fmt.Sprintf("%q has no entries", key),
		runtime: fmt.Sprintf("%q contains no entries", runtimeKey),
	})
}

// fulcio decodes a fulcio object (fulcioFields), then applies
// newPRSigstoreSignedFulcio's checks.
func (d *jsonDecoder) fulcio(v *hujson.Value, path string, tgt model.Target) *model.Fulcio {
	t := fieldTarget(tgt, "fulcio")
	f := &model.Fulcio{}
	present, ok := decodeObject(d, v, path, t, fulcioFields, f)
	if !ok {
		return nil
	}
	hasCAData := present["caData"]
	off := v.StartOffset
	switch {
	case f.CAPath != "" && hasCAData:
		d.report(problem{sev: model.Error, code: "fulcio-ca", off: off, path: path, target: t,
			msg: "fulcio has both caPath and caData", runtime: "caPath and caData cannot be used simultaneously"})
	case f.CAPath == "" && !hasCAData:
		d.report(problem{sev: model.Error, code: "fulcio-ca", off: off, path: path, target: t,
			msg: "fulcio needs caPath or caData", runtime: "At least one of caPath and caData must be specified"})
	}
	if f.OIDCIssuer == "" {
		d.report(problem{sev: model.Error, code: "fulcio-issuer", off: off, path: path, target: t,
			msg: "fulcio needs oidcIssuer", runtime: "oidcIssuer not specified"})
	}
	if f.SubjectEmail == "" && f.BuildSignerURI == "" {
		d.report(problem{sev: model.Error, code: "fulcio-subject", off: off, path: path, target: t,
			msg: "fulcio needs subjectEmail", runtime: "subjectEmail not specified"})
	}
	// buildSignerURI is in no release up to runtimever.Checked: the
	// version check (CheckPolicyFeatures) reports it against the node's.
	return f
}

// pki decodes a pki object (pkiFields), then applies
// newPRSigstoreSignedPKI's checks.
func (d *jsonDecoder) pki(v *hujson.Value, path string, tgt model.Target) *model.PKI {
	t := fieldTarget(tgt, "pki")
	p := &model.PKI{}
	present, ok := decodeObject(d, v, path, t, pkiFields, p)
	if !ok {
		return nil
	}
	off := v.StartOffset
	roots := p.CARootsPath != ""
	switch {
	case roots && present["caRootsData"]:
		d.report(problem{sev: model.Error, code: "pki-roots", off: off, path: path, target: t,
			msg: "pki has both caRootsPath and caRootsData", runtime: "caRootsPath and caRootsData cannot be used simultaneously"})
	case !roots && !present["caRootsData"]:
		d.report(problem{sev: model.Error, code: "pki-roots", off: off, path: path, target: t,
			msg: "pki needs caRootsPath or caRootsData", runtime: "At least one of caRootsPath and caRootsData must be specified"})
	}
	if p.CAIntermediatesPath != "" && present["caIntermediatesData"] {
		d.report(problem{sev: model.Error, code: "pki-intermediates", off: off, path: path, target: t,
			msg: "pki has both caIntermediatesPath and caIntermediatesData", runtime: "caIntermediatesPath and caIntermediatesData cannot be used simultaneously"})
	}
	if p.SubjectEmail == "" && p.SubjectHostname == "" {
		d.report(problem{sev: model.Error, code: "pki-subject", off: off, path: path, target: t,
			msg: "pki needs subjectEmail or subjectHostname", runtime: "At least one of subjectEmail, subjectHostname must be specified"})
	}
	return p
}
