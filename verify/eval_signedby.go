package verify

import (
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/runtimever"
)

// prSignedBy is signedBy (policy_eval_signedby.go): OpenPGP signatures
// from the look-aside, the registry's signature API or a dir: image, one
// of which must verify with the requirement's keys and claim the image.
type prSignedBy struct{ r *model.Requirement }

func (prSignedBy) needsSignatures() bool { return true }

// evaluate follows isRunningImageAllowed: the first accepted signature
// allows the image.
func (pr prSignedBy) evaluate(ec *evalContext) (string, []SignatureCheck, error) {
	sigs := ec.sigs.lookaside
	if len(sigs) == 0 {
		return "", nil, errNoSignature()
	}
	// The runtime parses every blob while reading the signatures; one it
	// cannot parse fails the whole read, whatever the others hold.
	for _, s := range sigs {
		if _, _, err := s.unwrap(); err != nil {
			return "", nil, reqErr(KindInvalidSignature, "parsing signature %s: %w", s.Where, err)
		}
	}
	if pr.r.KeyType != model.KeyTypeGPGKeys {
		return "", nil, reqErr(KindUnimplemented, "Unimplemented \"keyType\" value %q", pr.r.KeyType)
	}
	rings, files, err := pr.keyrings(ec.v)
	if err != nil {
		return "", nil, err
	}
	var checks []SignatureCheck
	var errs []error
	for _, s := range sigs {
		sc := SignatureCheck{Source: s.Where}
		sc.setOutcome(pr.checkSignature(ec, &sc, s, rings, files))
		checks = append(checks, sc)
		if sc.Accepted {
			return "signed by " + gpg.ShortFingerprint(sc.Signer) + " (" + sc.KeyFile + ")", checks, nil
		}
		errs = append(errs, sc.Err)
	}
	return "", checks, noneAccepted(errs)
}

// keyrings reads the requirement's keys: the files under the root and
// the inline data, with the names the trace gives them.
func (pr prSignedBy) keyrings(v *Verifier) (rings [][]byte, files []string, err error) {
	for _, k := range pr.r.KeyRefs() {
		if k.Inline() {
			rings, files = append(rings, k.Data), append(files, "keyData")
			continue
		}
		data, err := v.opts.Paths.FS().ReadFile(v.opts.Paths.Host(k.Path), nodefs.KeyFile)
		if err != nil {
			return nil, nil, errOpen(k.Path, err)
		}
		rings, files = append(rings, data), append(files, k.Path)
	}
	return rings, files, nil
}

// errOpen is a trust-root file that cannot be read, named by its node
// path (the host path under --root means nothing on the node).
func errOpen(nodePath string, err error) error {
	return reqErr(KindTrustRoot, "open %s: %w", nodePath, openReason(err))
}

// checkSignature is isSignatureAuthorAccepted for one signature: it
// fills the signer and key file in sc and returns why it is accepted.
func (pr prSignedBy) checkSignature(ec *evalContext, sc *SignatureCheck, s sigSource, rings [][]byte, files []string) (string, error) {
	data, simple, err := s.unwrap()
	if err != nil {
		return "", reqErr(KindInvalidSignature, "parsing signature: %w", err)
	}
	if !simple {
		return "", reqErr(KindInvalidSignature, "a sigstore signature: signedBy ignores it")
	}
	ver, err := gpg.VerifySignature(data, rings, ec.v.detection.Mechanism, ec.v.opts.Now())
	if err != nil {
		return "", asKind(KindInvalidSignature, err)
	}
	sc.Signer, sc.KeyFile = ver.SignerFingerprint, files[ver.KeyringIndex]
	// Before containers/image v5.37 the mechanism returned the signing
	// key's own fingerprint (mechanism_gpgme.go, mechanism_openpgp.go;
	// subkey mapping came with ec83beb392): a subkey's signature matched
	// no trusted primary fingerprint (policy_eval_signedby.go).
	if sub := ver.SigningFingerprint; sub != "" && sub != ver.SignerFingerprint && !ec.v.detection.Library().Has(runtimever.SubkeySignatures) {
		return "", reqErr(KindInvalidSignature, "Signature by key %s is not accepted (containers/image %s maps a signing subkey to its primary key only from %s)",
			sub, ec.v.detection.Library().Version, "v5.37.0")
	}
	p, err := ParsePayload(ver.Payload)
	if err != nil {
		return "", reqErr(KindInvalidSignature, "invalid signature payload: %w", err)
	}
	return checkClaims(sc, pr.r, ec.img, ec.m, p)
}
