package verify

import (
	"crypto"
	"crypto/x509"
	"errors"
	"strings"
	"time"

	"github.com/kios/imgtrust/model"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// prSigstoreSigned is sigstoreSigned (policy_eval_sigstore.go): sigstore
// signatures from the look-aside and the registry's attachments, one of
// which must verify with the requirement's key, Fulcio or PKI trust root
// and claim the image.
type prSigstoreSigned struct{ r *model.Requirement }

func (prSigstoreSigned) needsSignatures() bool { return true }

// evaluate follows isRunningImageAllowed: only sigstore signatures with
// the cosign MIME type count; the first accepted one allows the image.
func (pr prSigstoreSigned) evaluate(ec *evalContext) (string, []SignatureCheck, error) {
	var candidates []sigstoreSignature
	nonSigstore, nonSignature := 0, 0
	for _, s := range ec.sigs.lookaside {
		data, simple, err := s.unwrap()
		if err != nil {
			return "", nil, reqErr(KindInvalidSignature, "parsing signature %s: %w", s.Where, err)
		}
		if simple {
			nonSigstore++
			continue
		}
		ss, err := parseSigstoreJSON(data)
		if err != nil {
			return "", nil, reqErr(KindInvalidSignature, "parsing signature %s: %w", s.Where, err)
		}
		ss.Where = s.Where
		candidates = append(candidates, ss)
	}
	candidates = append(candidates, ec.sigs.attachments...)
	var checks []SignatureCheck
	var errs []error
	for _, s := range candidates {
		if s.MIMEType != SigstoreSignatureMIMEType {
			nonSignature++
			continue
		}
		sc := SignatureCheck{Source: s.Where}
		sc.setOutcome(pr.checkSignature(ec, &sc, s))
		checks = append(checks, sc)
		if sc.Accepted {
			return "sigstore signature verified with " + sc.KeyFile, checks, nil
		}
		errs = append(errs, sc.Err)
	}
	switch {
	case len(errs) == 0 && nonSigstore == 0 && nonSignature == 0:
		return "", checks, errNoSignature()
	case len(errs) == 0:
		return "", checks, reqErr(KindNoSignature, "A signature was required, but no signature exists (%d non-sigstore signatures, %d sigstore non-signature attachments)", nonSigstore, nonSignature)
	}
	return "", checks, noneAccepted(errs)
}

// checkSignature is isSignatureAccepted for one signature: the keys the
// trust root allows for it, the signature over the payload, then the
// payload's claims. It fills the key label in sc.
func (pr prSigstoreSigned) checkSignature(ec *evalContext, sc *SignatureCheck, s sigstoreSignature) (string, error) {
	trust, err := ec.v.sigstoreTrustRoot(pr.r)
	if err != nil {
		return "", err
	}
	sigB64, err := s.annotation(sigstoreSignatureAnnotation)
	if err != nil {
		return "", err
	}
	keys, labels, err := trust.candidateKeys(s, sigB64, ec.v.opts.Now())
	if err != nil {
		return "", err
	}
	which, err := verifySigstorePayload(keys, s.Payload, sigB64)
	if err != nil {
		return "", err
	}
	sc.KeyFile = labels[which]
	p, err := parsePayloadOfType(s.Payload, SigstorePayloadType, true)
	if err != nil {
		return "", reqErr(KindInvalidSignature, "invalid signature payload: %w", err)
	}
	return checkClaims(sc, pr.r, ec.img, ec.m, p)
}

// candidateKeys are the public keys a signature may be verified with,
// with their labels: the configured keys (those in the Rekor log when a
// Rekor key is set), or the leaf of a Fulcio or PKI certificate.
func (t *sigstoreTrust) candidateKeys(s sigstoreSignature, sigB64 string, now time.Time) ([]crypto.PublicKey, []string, error) {
	switch {
	case t.keys != nil && t.rekor != nil:
		return t.keysInRekor(s, sigB64)
	case t.keys != nil:
		return t.keys, t.keyLabels, nil
	case t.fulcio != nil:
		if t.rekor == nil {
			return nil, nil, reqErr(KindTrustRoot, "Internal inconsistency: Fulcio CA specified without a Rekor public key")
		}
		leaf, err := t.fulcioLeaf(s, sigB64)
		if err != nil {
			return nil, nil, err
		}
		return []crypto.PublicKey{leaf.PublicKey}, []string{"Fulcio certificate for " + strings.Join(leaf.EmailAddresses, ", ")}, nil
	case t.pki != nil:
		if t.rekor != nil {
			return nil, nil, reqErr(KindTrustRoot, "Internal inconsistency: PKI specified with a Rekor public key")
		}
		cert, err := s.annotation(sigstoreCertAnnotation)
		if err != nil {
			return nil, nil, err
		}
		leaf, err := t.pki.verify(now, []byte(cert), []byte(s.Annotations[sigstoreChainAnnotation]))
		if err != nil {
			return nil, nil, err
		}
		return []crypto.PublicKey{leaf.PublicKey}, []string{"certificate " + leaf.Subject.String()}, nil
	}
	return nil, nil, reqErr(KindTrustRoot, "Internal inconsistency: A public key, Fulcio, or PKI must be specified.")
}

// keysInRekor is the first configured key whose Rekor SET covers this
// signature.
func (t *sigstoreTrust) keysInRekor(s sigstoreSignature, sigB64 string) ([]crypto.PublicKey, []string, error) {
	set, err := s.annotation(sigstoreSETAnnotation)
	if err != nil {
		return nil, nil, err
	}
	var failures []string
	for i, k := range t.keys {
		keyPEM, err := cryptoutils.MarshalPublicKeyToPEM(k)
		if err != nil {
			return nil, nil, reqErr(KindTrustRoot, "re-marshaling public key to PEM: %w", err)
		}
		if _, err := verifyRekorSET(t.rekor, []byte(set), keyPEM, sigB64, s.Payload); err != nil {
			failures = append(failures, err.Error())
			continue
		}
		return []crypto.PublicKey{k}, []string{t.keyLabels[i] + " (in the Rekor log)"}, nil
	}
	return nil, nil, &RequirementError{Kind: KindInvalidSignature, Err: errors.New("No public key verified against the RekorSET: " + strings.Join(failures, ", "))}
}

// fulcioLeaf checks the Rekor SET of the signature's certificate, then
// the certificate at the time Rekor logged it.
func (t *sigstoreTrust) fulcioLeaf(s sigstoreSignature, sigB64 string) (*x509.Certificate, error) {
	set, err := s.annotation(sigstoreSETAnnotation)
	if err != nil {
		return nil, err
	}
	cert, err := s.annotation(sigstoreCertAnnotation)
	if err != nil {
		return nil, err
	}
	when, err := verifyRekorSET(t.rekor, []byte(set), []byte(cert), sigB64, s.Payload)
	if err != nil {
		return nil, asKind(KindInvalidSignature, err)
	}
	return t.fulcio.verify(when, []byte(cert), []byte(s.Annotations[sigstoreChainAnnotation]))
}
