package ui

import (
	"strings"

	"github.com/kios/imgtrust/model"
)

// The sigstoreSigned fields: exactly one trust root (keyPath, keyPaths,
// keyData, fulcio or pki; keyDatas is kept when a rule has it), an
// optional Rekor key (required with fulcio, refused with pki) and the
// signedIdentity, as newPRSigstoreSigned in containers/image's
// signature/policy_config_sigstore.go takes them.

const (
	rootKeyPath  = "keyPath"
	rootKeyPaths = "keyPaths"
	rootKeyData  = "keyData"
	rootFulcio   = "fulcio"
	rootPKI      = "pki"

	srcNone = "none"
	srcPath = "path"
	srcList = "paths"
	srcData = "data"
)

// sigstoreRootsOf lists the trust roots a rule has.
func sigstoreRootsOf(r *model.Requirement) []string {
	var out []string
	for _, x := range []struct {
		has  bool
		name string
	}{{r.KeyPath != "", rootKeyPath}, {r.KeyPaths != nil, rootKeyPaths}, {r.KeyData != nil, rootKeyData},
		{r.KeyDatas != nil, "keyDatas"}, {r.Fulcio != nil, rootFulcio}, {r.PKI != nil, rootPKI}} {
		if x.has {
			out = append(out, x.name)
		}
	}
	return out
}

// rekorSourcesOf lists the Rekor key fields a rule has.
func rekorSourcesOf(r *model.Requirement) []string {
	var out []string
	for _, x := range []struct {
		has  bool
		name string
	}{{r.RekorPublicKeyPath != "", "rekorPublicKeyPath"}, {r.RekorPublicKeyPaths != nil, "rekorPublicKeyPaths"},
		{r.RekorPublicKeyData != nil, "rekorPublicKeyData"}, {r.RekorPublicKeyDatas != nil, "rekorPublicKeyDatas"}} {
		if x.has {
			out = append(out, x.name)
		}
	}
	return out
}

func (m *Model) sigstoreFields(st *ruleState) []*field {
	orig := st.orig
	if orig != nil && orig.Type != model.SigstoreSigned {
		orig = nil
	}
	sig := isType(model.SigstoreSigned)
	is := func(key, v string) func(f *form) bool {
		return func(f *form) bool { return sig(f) && f.val(key) == v }
	}
	text := func(key, label, placeholder string, show func(f *form) bool) *field {
		fd := textField(key, label, "", placeholder)
		fd.show = show
		fd.check = st.check(key, nil)
		return fd
	}
	// embedded makes a field that names a file whose content is embedded;
	// left empty, it keeps what the rule embeds already.
	embedded := func(key, label, placeholder string, kind KeyFileKind, keep []byte, show func(f *form) bool) *field {
		e := &embed{kind: kind, keep: keep}
		st.embeds[key] = e
		fd := textField(key, label, "", placeholder)
		if keep != nil {
			// Without colour a placeholder looks like a value: say what
			// an empty field does.
			fd.in.Placeholder = "(empty: keep the embedded data)"
		}
		fd.show = show
		fd.explain = func(*form) string {
			if s := e.explain(m.th.G.Ellipsis); s != "" {
				return s
			}
			return "the file's content is written into policy.json"
		}
		fd.check = st.check(key, func(*form) string { return e.problem() })
		return fd
	}

	opts := []string{rootKeyPath, rootKeyPaths, rootKeyData, rootFulcio, rootPKI}
	labels := []string{"a public key file (keyPath)", "several key files, any one may sign (keyPaths)",
		"a public key embedded in policy.json (keyData)", "Fulcio certificates (fulcio)",
		"certificates from your own CA (pki)"}
	var keepRoots bool
	if orig != nil {
		if roots := sigstoreRootsOf(orig); len(roots) > 1 || orig.KeyDatas != nil {
			keepRoots = true
			opts = append([]string{keyKeep}, opts...)
			labels = append([]string{"keep " + strings.Join(roots, " and ")}, labels...)
		}
	}
	root := choiceField("ssRoot", "Trust root", opts, labels)
	root.show = sig
	root.check = st.check("ssRoot", nil)
	root.explain = func(f *form) string {
		switch f.val("ssRoot") {
		case rootFulcio:
			return "signatures carry a Fulcio certificate: the rule names its CA, the OIDC issuer and the signer's email"
		case rootPKI:
			return "signatures carry an X.509 certificate from your CA roots: the rule names the subject"
		case keyKeep:
			return "the rule's trust roots stay as they are"
		}
		return "cosign public keys (PEM)"
	}
	isRoot := func(v string) func(f *form) bool { return is("ssRoot", v) }

	var origData, caData, rootsData, interData, rekorData []byte
	if orig != nil {
		origData, rekorData = orig.KeyData, orig.RekorPublicKeyData
		if orig.Fulcio != nil {
			caData = orig.Fulcio.CAData
		}
		if orig.PKI != nil {
			rootsData, interData = orig.PKI.CARootsData, orig.PKI.CAIntermediatesData
		}
	}
	keyPath := text("ssKeyPath", "Public key file", "/etc/containers/cosign.pub", isRoot(rootKeyPath))
	keyPaths := text("ssKeyPaths", "Public key files", "/etc/containers/a.pub, /etc/containers/b.pub", isRoot(rootKeyPaths))
	keyPaths.explain = func(*form) string { return "separated by commas; a signature by any one key is accepted" }
	keyData := embedded("ssKeyData", "Embed key file", "/root/cosign.pub", PEMPublicKey, origData, isRoot(rootKeyData))

	fuCA := choiceField("fuCA", "Fulcio CA", []string{srcPath, srcData}, []string{"a CA file (caPath)", "embed a CA file (caData)"})
	fuCA.show = isRoot(rootFulcio)
	fuCA.check = st.check("fuCA", nil)
	fuCAIs := func(v string) func(f *form) bool {
		return func(f *form) bool { return isRoot(rootFulcio)(f) && f.val("fuCA") == v }
	}
	fuCAPath := text("fuCAPath", "CA file", "/etc/containers/fulcio.pem", fuCAIs(srcPath))
	fuCAData := embedded("fuCAData", "Embed CA file", "/root/fulcio.pem", PEMCertificates, caData, fuCAIs(srcData))
	fuIssuer := text("fuIssuer", "OIDC issuer", "https://oauth2.sigstore.dev/auth", isRoot(rootFulcio))
	fuIssuer.explain = func(*form) string { return "who vouched for the signer's identity" }
	fuEmail := text("fuEmail", "Subject email", "release@example.com", isRoot(rootFulcio))
	fuEmail.explain = func(*form) string { return "the signer's email in the certificate" }

	pkRoots := choiceField("pkRoots", "CA roots", []string{srcPath, srcData}, []string{"a CA file (caRootsPath)", "embed a CA file (caRootsData)"})
	pkRoots.show = isRoot(rootPKI)
	pkRoots.check = st.check("pkRoots", nil)
	pkIs := func(key, v string) func(f *form) bool {
		return func(f *form) bool { return isRoot(rootPKI)(f) && f.val(key) == v }
	}
	pkRootsPath := text("pkRootsPath", "Roots file", "/etc/containers/ca.pem", pkIs("pkRoots", srcPath))
	pkRootsData := embedded("pkRootsData", "Embed roots file", "/root/ca.pem", PEMCertificates, rootsData, pkIs("pkRoots", srcData))
	pkInter := choiceField("pkInter", "Intermediates", []string{srcNone, srcPath, srcData},
		[]string{"none", "a file (caIntermediatesPath)", "embed a file (caIntermediatesData)"})
	pkInter.show = isRoot(rootPKI)
	pkInterPath := text("pkInterPath", "Intermediates file", "/etc/containers/intermediates.pem", pkIs("pkInter", srcPath))
	pkInterData := embedded("pkInterData", "Embed interm. file", "/root/intermediates.pem", PEMCertificates, interData, pkIs("pkInter", srcData))
	pkEmail := text("pkEmail", "Subject email", "release@example.com", isRoot(rootPKI))
	pkHost := text("pkHost", "Subject hostname", "build.example.com", isRoot(rootPKI))
	pkHost.explain = func(*form) string { return "the certificate must name this email, this hostname, or both" }

	ropts := []string{srcNone, srcPath, srcList, srcData}
	rlabels := []string{"none", "a public key file (rekorPublicKeyPath)", "several key files (rekorPublicKeyPaths)", "embed a key file (rekorPublicKeyData)"}
	var keepRekor bool
	if orig != nil {
		if rs := rekorSourcesOf(orig); len(rs) > 1 || orig.RekorPublicKeyDatas != nil {
			keepRekor = true
			ropts = append([]string{keyKeep}, ropts...)
			rlabels = append([]string{"keep " + strings.Join(rs, " and ")}, rlabels...)
		}
	}
	rk := choiceField("rkSrc", "Rekor key", ropts, rlabels)
	rk.show = func(f *form) bool { return sig(f) && f.val("ssRoot") != rootPKI }
	rk.check = st.check("rkSrc", nil)
	rk.explain = func(f *form) string {
		if f.val("ssRoot") == rootFulcio {
			return "required with fulcio: signatures must carry a Rekor inclusion promise"
		}
		return "with one, signatures must also carry a Rekor inclusion promise"
	}
	rkIs := func(v string) func(f *form) bool {
		return func(f *form) bool { return rk.show(f) && f.val("rkSrc") == v }
	}
	rkPath := text("rkPath", "Rekor key file", "/etc/containers/rekor.pub", rkIs(srcPath))
	rkPaths := text("rkPaths", "Rekor key files", "/etc/containers/rekor1.pub, /etc/containers/rekor2.pub", rkIs(srcList))
	rkData := embedded("rkData", "Embed Rekor key", "/root/rekor.pub", PEMPublicKey, rekorData, rkIs(srcData))

	st.own("ssRoot", "", "keyDatas")
	st.own("ssKeyPath", "keyPath")
	st.own("ssKeyPaths", "keyPaths")
	st.own("ssKeyData", "keyData")
	st.own("ssRoot", "keyPath", "keyPaths", "keyData")
	st.own("fuCA", "fulcio")
	st.own("pkRoots", "pki")
	st.own("rkPath", "rekorPublicKeyPath")
	st.own("rkPaths", "rekorPublicKeyPaths")
	st.own("rkData", "rekorPublicKeyData")
	st.own("rkSrc", "code:sigstore-fulcio-rekor", "code:sigstore-rekor-sources", "code:sigstore-pki-rekor")
	st.own("rkSrc", "rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData", "rekorPublicKeyDatas")

	if orig != nil {
		keyPath.in.SetValue(orig.KeyPath)
		keyPaths.in.SetValue(strings.Join(orig.KeyPaths, ", "))
		switch {
		case keepRoots:
			root.setChoice(keyKeep)
		case orig.KeyPath != "":
			root.setChoice(rootKeyPath)
		case orig.KeyPaths != nil:
			root.setChoice(rootKeyPaths)
		case orig.KeyData != nil:
			root.setChoice(rootKeyData)
		case orig.Fulcio != nil:
			root.setChoice(rootFulcio)
		case orig.PKI != nil:
			root.setChoice(rootPKI)
		}
		if fu := orig.Fulcio; fu != nil {
			if fu.CAData != nil {
				fuCA.setChoice(srcData)
			}
			fuCAPath.in.SetValue(fu.CAPath)
			fuIssuer.in.SetValue(fu.OIDCIssuer)
			fuEmail.in.SetValue(fu.SubjectEmail)
		}
		if p := orig.PKI; p != nil {
			if p.CARootsData != nil {
				pkRoots.setChoice(srcData)
			}
			pkRootsPath.in.SetValue(p.CARootsPath)
			switch {
			case p.CAIntermediatesPath != "":
				pkInter.setChoice(srcPath)
			case p.CAIntermediatesData != nil:
				pkInter.setChoice(srcData)
			}
			pkInterPath.in.SetValue(p.CAIntermediatesPath)
			pkEmail.in.SetValue(p.SubjectEmail)
			pkHost.in.SetValue(p.SubjectHostname)
		}
		switch {
		case keepRekor:
			rk.setChoice(keyKeep)
		case orig.RekorPublicKeyPath != "":
			rk.setChoice(srcPath)
		case orig.RekorPublicKeyPaths != nil:
			rk.setChoice(srcList)
		case orig.RekorPublicKeyData != nil:
			rk.setChoice(srcData)
		}
		rkPath.in.SetValue(orig.RekorPublicKeyPath)
		rkPaths.in.SetValue(strings.Join(orig.RekorPublicKeyPaths, ", "))
	}
	return []*field{root, keyPath, keyPaths, keyData,
		fuCA, fuCAPath, fuCAData, fuIssuer, fuEmail,
		pkRoots, pkRootsPath, pkRootsData, pkInter, pkInterPath, pkInterData, pkEmail, pkHost,
		rk, rkPath, rkPaths, rkData}
}

// sigstoreRoots writes the trust root and Rekor key the form names into r.
func (st *ruleState) sigstoreRoots(f *form, r *model.Requirement) {
	if root := f.val("ssRoot"); root != keyKeep {
		var buildSigner string
		if r.Fulcio != nil {
			buildSigner = r.Fulcio.BuildSignerURI // not in the form: kept
		}
		r.KeyPath, r.KeyPaths, r.KeyData, r.KeyDatas, r.Fulcio, r.PKI = "", nil, nil, nil, nil, nil
		switch root {
		case rootKeyPath:
			r.KeyPath = f.val("ssKeyPath")
		case rootKeyPaths:
			r.KeyPaths = append([]string{}, splitPaths(f.val("ssKeyPaths"))...)
		case rootKeyData:
			r.KeyData = st.embedded("ssKeyData")
		case rootFulcio:
			r.Fulcio = &model.Fulcio{OIDCIssuer: f.val("fuIssuer"), SubjectEmail: f.val("fuEmail"), BuildSignerURI: buildSigner}
			if f.val("fuCA") == srcData {
				r.Fulcio.CAData = st.embedded("fuCAData")
			} else {
				r.Fulcio.CAPath = f.val("fuCAPath")
			}
		case rootPKI:
			r.PKI = &model.PKI{SubjectEmail: f.val("pkEmail"), SubjectHostname: f.val("pkHost")}
			if f.val("pkRoots") == srcData {
				r.PKI.CARootsData = st.embedded("pkRootsData")
			} else {
				r.PKI.CARootsPath = f.val("pkRootsPath")
			}
			switch f.val("pkInter") {
			case srcPath:
				r.PKI.CAIntermediatesPath = f.val("pkInterPath")
			case srcData:
				r.PKI.CAIntermediatesData = st.embedded("pkInterData")
			}
		}
	}
	rk := f.val("rkSrc")
	if rk == keyKeep {
		return
	}
	r.RekorPublicKeyPath, r.RekorPublicKeyPaths, r.RekorPublicKeyData, r.RekorPublicKeyDatas = "", nil, nil, nil
	switch rk {
	case srcPath:
		r.RekorPublicKeyPath = f.val("rkPath")
	case srcList:
		r.RekorPublicKeyPaths = append([]string{}, splitPaths(f.val("rkPaths"))...)
	case srcData:
		r.RekorPublicKeyData = st.embedded("rkData")
	}
}
