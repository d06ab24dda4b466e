package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
)

// Annotations of a sigstore signature (internal/signature/sigstore.go).
const (
	SigstoreSignatureMIMEType   = "application/vnd.dev.cosign.simplesigning.v1+json"
	sigstoreSignatureAnnotation = "dev.cosignproject.cosign/signature"
	sigstoreSETAnnotation       = "dev.sigstore.cosign/bundle"
	sigstoreCertAnnotation      = "dev.sigstore.cosign/certificate"
	sigstoreChainAnnotation     = "dev.sigstore.cosign/chain"
	// SigstorePayloadType is critical.type of a sigstore payload.
	SigstorePayloadType = "cosign container image signature"
)

// sigstoreSignature is one sigstore signature or attachment as the
// runtime sees it: a MIME type, the payload and untrusted annotations.
type sigstoreSignature struct {
	Where       string            `json:"-"`
	MIMEType    string            `json:"mimeType"`
	Payload     []byte            `json:"payload"`
	Annotations map[string]string `json:"annotations"`
}

// parseSigstoreJSON decodes the data of a "\x00sigstore-json\n" envelope
// with plain encoding/json, as the runtime does (lenient on purpose: the
// content is only trusted after verification).
func parseSigstoreJSON(data []byte) (sigstoreSignature, error) {
	var s sigstoreSignature
	err := json.Unmarshal(data, &s)
	return s, err
}

// checkSigstoreSigned follows prSigstoreSigned.isRunningImageAllowed: only
// sigstore signatures with the cosign MIME type count; the first accepted
// one allows the image.
func (v *Verifier) checkSigstoreSigned(rr *RequirementResult, r *model.Requirement, img *Image, m *manifest, sigs []sigSource, attachments []sigstoreSignature) {
	var candidates []sigstoreSignature
	nonSigstore, nonSignature := 0, 0
	for _, s := range sigs {
		data, simple, err := s.unwrap()
		if err != nil {
			rr.Reason = fmt.Sprintf("parsing signature %s: %v", s.Where, err)
			return
		}
		if simple {
			nonSigstore++
			continue
		}
		ss, err := parseSigstoreJSON(data)
		if err != nil {
			rr.Reason = fmt.Sprintf("parsing signature %s: %v", s.Where, err)
			return
		}
		ss.Where = s.Where
		candidates = append(candidates, ss)
	}
	candidates = append(candidates, attachments...)
	var reasons []string
	for _, s := range candidates {
		if s.MIMEType != SigstoreSignatureMIMEType {
			nonSignature++
			continue
		}
		sc := SignatureCheck{Source: s.Where}
		v.checkSigstoreOne(&sc, r, img, m, s)
		rr.Signatures = append(rr.Signatures, sc)
		if sc.Accepted {
			rr.Accepted = true
			rr.Reason = fmt.Sprintf("sigstore signature verified with %s", sc.KeyFile)
			return
		}
		reasons = append(reasons, sc.Reason)
	}
	switch {
	case len(reasons) == 0 && nonSigstore == 0 && nonSignature == 0:
		rr.Reason = "A signature was required, but no signature exists"
	case len(reasons) == 0:
		rr.Reason = fmt.Sprintf("A signature was required, but no signature exists (%d non-sigstore signatures, %d sigstore non-signature attachments)", nonSigstore, nonSignature)
	case len(reasons) == 1:
		rr.Reason = reasons[0]
	default:
		rr.Reason = "None of the signatures were accepted, reasons: " + strings.Join(reasons, "; ")
	}
}

// sigstoreTrust is the trust root of one requirement, rebuilt for every
// signature as the runtime does (configuration errors surface only when a
// signature exists).
type sigstoreTrust struct {
	keys      []crypto.PublicKey
	keyLabels []string
	rekor     []*ecdsa.PublicKey
	fulcio    *model.Fulcio
	fulcioCAs *x509.CertPool
	pki       *model.PKI
	pkiRoots  *x509.CertPool
	pkiInter  *x509.CertPool
}

// readSources reads path/paths/data/datas the way
// loadBytesFromConfigSources does: files under the root.
func (v *Verifier) readSources(path string, paths []string, data []byte, datas [][]byte) ([][]byte, []string, error) {
	var out [][]byte
	var labels []string
	all := paths
	if path != "" {
		all = append([]string{path}, paths...)
	}
	for _, p := range all {
		b, err := v.opts.Paths.FS().ReadFile(v.opts.Paths.Host(p), nodefs.KeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("open %s: %w", p, openReason(err))
		}
		out, labels = append(out, b), append(labels, p)
	}
	if data != nil {
		out, labels = append(out, data), append(labels, "keyData")
	}
	for i, d := range datas {
		out, labels = append(out, d), append(labels, fmt.Sprintf("keyDatas[%d]", i))
	}
	return out, labels, nil
}

func (v *Verifier) sigstoreTrustRoot(r *model.Requirement) (*sigstoreTrust, error) {
	t := &sigstoreTrust{fulcio: r.Fulcio, pki: r.PKI}
	blobs, labels, err := v.readSources(r.KeyPath, r.KeyPaths, r.KeyData, r.KeyDatas)
	if err != nil {
		return nil, err
	}
	if t.keys, err = parsePEMPublicKeys(blobs, "public key"); err != nil {
		return nil, err
	}
	t.keyLabels = labels
	if f := r.Fulcio; f != nil {
		if t.fulcioCAs, err = v.certPool(f.CAPath, f.CAData, "error loading Fulcio CA certificates"); err != nil {
			return nil, err
		}
	}
	rekor, _, err := v.readSources(r.RekorPublicKeyPath, r.RekorPublicKeyPaths, r.RekorPublicKeyData, r.RekorPublicKeyDatas)
	if err != nil {
		return nil, err
	}
	rekorKeys, err := parsePEMPublicKeys(rekor, "Rekor public key")
	if err != nil {
		return nil, err
	}
	for i, k := range rekorKeys {
		ek, ok := k.(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("Rekor public key %d is not using ECDSA", i+1)
		}
		t.rekor = append(t.rekor, ek)
	}
	if p := r.PKI; p != nil {
		if t.pkiRoots, err = v.certPool(p.CARootsPath, p.CARootsData, "error loading PKI CA Roots certificates"); err != nil {
			return nil, err
		}
		inter, _, err := v.readSources(p.CAIntermediatesPath, nil, p.CAIntermediatesData, nil)
		if err != nil {
			return nil, err
		}
		if len(inter) == 1 {
			certs, err := parseCertificates(inter[0])
			if err != nil {
				return nil, fmt.Errorf("loading trusted intermediate certificates: %v", err)
			}
			t.pkiInter = x509.NewCertPool()
			for _, c := range certs {
				t.pkiInter.AddCert(c)
			}
		}
	}
	return t, nil
}

// parsePEMPublicKeys parses each blob as a PEM public key; what names
// them in errors, numbered from 1 as the runtime does.
func parsePEMPublicKeys(blobs [][]byte, what string) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for i, b := range blobs {
		k, err := parsePEMPublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("parsing %s %d: %w", what, i+1, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// certPool reads one certificate source (a path or inline data) into a
// pool; failure is the runtime's message for that source.
func (v *Verifier) certPool(path string, data []byte, failure string) (*x509.CertPool, error) {
	certs, _, err := v.readSources(path, nil, data, nil)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if len(certs) != 1 || !pool.AppendCertsFromPEM(certs[0]) {
		return nil, errors.New(failure)
	}
	return pool, nil
}

// checkSigstoreOne follows prSigstoreSigned.isSignatureAccepted.
func (v *Verifier) checkSigstoreOne(sc *SignatureCheck, r *model.Requirement, img *Image, m *manifest, s sigstoreSignature) {
	trust, err := v.sigstoreTrustRoot(r)
	if err != nil {
		sc.Reason = err.Error()
		return
	}
	// annotation reads a required annotation; a missing one is the reason.
	annotation := func(name string) (string, bool) {
		val, ok := s.Annotations[name]
		if !ok {
			sc.Reason = "missing " + name + " annotation"
		}
		return val, ok
	}
	sigB64, ok := annotation(sigstoreSignatureAnnotation)
	if !ok {
		return
	}
	var keys []crypto.PublicKey
	var labels []string
	switch {
	case trust.keys != nil && trust.rekor != nil:
		set, ok := annotation(sigstoreSETAnnotation)
		if !ok {
			return
		}
		var failures []string
		for i, k := range trust.keys {
			der, err := x509.MarshalPKIXPublicKey(k)
			if err != nil {
				sc.Reason = "re-marshaling public key to PEM: " + err.Error()
				return
			}
			keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			if _, err := verifyRekorSET(trust.rekor, []byte(set), keyPEM, sigB64, s.Payload); err != nil {
				failures = append(failures, err.Error())
				continue
			}
			keys, labels = []crypto.PublicKey{k}, []string{trust.keyLabels[i] + " (in the Rekor log)"}
			break
		}
		if keys == nil {
			sc.Reason = "No public key verified against the RekorSET: " + strings.Join(failures, ", ")
			return
		}
	case trust.keys != nil:
		keys, labels = trust.keys, trust.keyLabels
	case trust.fulcio != nil:
		if trust.rekor == nil {
			sc.Reason = "Internal inconsistency: Fulcio CA specified without a Rekor public key"
			return
		}
		set, ok := annotation(sigstoreSETAnnotation)
		if !ok {
			return
		}
		cert, ok := annotation(sigstoreCertAnnotation)
		if !ok {
			return
		}
		when, err := verifyRekorSET(trust.rekor, []byte(set), []byte(cert), sigB64, s.Payload)
		if err != nil {
			sc.Reason = err.Error()
			return
		}
		leaf, err := verifyFulcioCertificate(trust, when, []byte(cert), []byte(s.Annotations[sigstoreChainAnnotation]))
		if err != nil {
			sc.Reason = err.Error()
			return
		}
		keys, labels = []crypto.PublicKey{leaf.PublicKey}, []string{"Fulcio certificate for " + strings.Join(leaf.EmailAddresses, ", ")}
	case trust.pki != nil:
		if trust.rekor != nil {
			sc.Reason = "Internal inconsistency: PKI specified with a Rekor public key"
			return
		}
		cert, ok := annotation(sigstoreCertAnnotation)
		if !ok {
			return
		}
		leaf, err := verifyPKICertificate(trust, v.opts.Now(), []byte(cert), []byte(s.Annotations[sigstoreChainAnnotation]))
		if err != nil {
			sc.Reason = err.Error()
			return
		}
		keys, labels = []crypto.PublicKey{leaf.PublicKey}, []string{"certificate " + leaf.Subject.String()}
	default:
		sc.Reason = "Internal inconsistency: A public key, Fulcio, or PKI must be specified."
		return
	}
	which, err := verifySigstorePayload(keys, s.Payload, sigB64)
	if err != nil {
		sc.Reason = err.Error()
		return
	}
	sc.KeyFile = labels[which]
	p, err := parsePayloadOfType(s.Payload, SigstorePayloadType, true)
	if err != nil {
		sc.Reason = "invalid signature payload: " + err.Error()
		return
	}
	v.checkClaims(sc, r, img, m, p)
}

// verifySigstorePayload checks the base64 signature over the payload with
// each key in turn (VerifySigstorePayload); it returns the index of the
// key that verified. Every key must be usable, as in the runtime.
func verifySigstorePayload(keys []crypto.PublicKey, payload []byte, sigB64 string) (int, error) {
	for _, k := range keys {
		switch k.(type) {
		case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		default:
			return 0, fmt.Errorf("unsupported public key type: %T", k)
		}
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return 0, fmt.Errorf("base64 decoding: %v", err)
	}
	hash := sha256.Sum256(payload)
	var failures []string
	// The failure texts are sigstore's verifiers', which the runtime shows.
	for i, k := range keys {
		var err error
		switch k := k.(type) {
		case *ecdsa.PublicKey:
			if !ecdsa.VerifyASN1(k, hash[:], sig) {
				err = errors.New("invalid signature when validating ASN.1 encoded signature")
			}
		case *rsa.PublicKey:
			err = rsa.VerifyPKCS1v15(k, crypto.SHA256, hash[:], sig)
		case ed25519.PublicKey:
			if !ed25519.Verify(k, payload, sig) {
				err = errors.New("failed to verify signature")
			}
		}
		if err == nil {
			return i, nil
		}
		failures = append(failures, err.Error())
	}
	return 0, errors.New("cryptographic signature verification failed: " + strings.Join(failures, ", "))
}

// parsePEMPublicKey reads the first PEM block only, like
// cryptoutils.UnmarshalPEMToPublicKey.
func parsePEMPublicKey(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("PEM decoding failed")
	}
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	}
	return nil, fmt.Errorf("unknown Public key PEM file type: %v. Are you passing the correct public key?", block.Type)
}

// parseCertificates reads every PEM block as a certificate
// (cryptoutils.UnmarshalCertificatesFromPEM).
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := bytes.TrimSpace(data)
	for len(rest) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("error during PEM decoding")
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func parseLeaf(data []byte) (*x509.Certificate, error) {
	certs, err := parseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("parsing leaf certificate: %v", err)
	}
	switch len(certs) {
	case 0:
		return nil, errors.New("no certificate found in signature certificate data")
	case 1:
		return certs[0], nil
	}
	return nil, errors.New("unexpected multiple certificates present in signature certificate data")
}

// untrustedChain is the chain annotation without its last certificate
// (the root, which only the configured trust root may supply).
func untrustedChain(pool *x509.CertPool, chain []byte) error {
	if len(chain) == 0 {
		return nil
	}
	certs, err := parseCertificates(chain)
	if err != nil {
		return fmt.Errorf("loading certificate chain: %v", err)
	}
	for i := 0; i+1 < len(certs); i++ {
		pool.AddCert(certs[i])
	}
	return nil
}

var (
	oidFulcioIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidFulcioIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidSAN            = asn1.ObjectIdentifier{2, 5, 29, 17}
)

// verifyFulcioCertificate checks the leaf at the time Rekor logged it
// (verifyFulcioCertificateAtTime), then issuer and e-mail.
func verifyFulcioCertificate(t *sigstoreTrust, at time.Time, certPEM, chainPEM []byte) (*x509.Certificate, error) {
	inter := x509.NewCertPool()
	if err := untrustedChain(inter, chainPEM); err != nil {
		return nil, err
	}
	leaf, err := parseLeaf(certPEM)
	if err != nil {
		return nil, err
	}
	// Fulcio certificates have an empty subject and a critical SAN, which
	// Go would otherwise refuse as unhandled.
	leaf.UnhandledCriticalExtensions = slices.DeleteFunc(leaf.UnhandledCriticalExtensions, func(o asn1.ObjectIdentifier) bool { return o.Equal(oidSAN) })
	if _, err := leaf.Verify(x509.VerifyOptions{Intermediates: inter, Roots: t.fulcioCAs, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
		return nil, fmt.Errorf("veryfing leaf certificate failed: %v", err)
	}
	issuer, err := fulcioIssuer(leaf)
	if err != nil {
		return nil, err
	}
	if issuer != t.fulcio.OIDCIssuer {
		return nil, fmt.Errorf("Unexpected Fulcio OIDC issuer %q", issuer)
	}
	if !slices.Contains(leaf.EmailAddresses, t.fulcio.SubjectEmail) {
		return nil, fmt.Errorf("Required email %q not found (got %q)", t.fulcio.SubjectEmail, leaf.EmailAddresses)
	}
	return leaf, nil
}

func fulcioIssuer(c *x509.Certificate) (string, error) {
	var v1, v2 *string
	for _, ext := range c.Extensions {
		switch {
		case ext.Id.Equal(oidFulcioIssuerV1):
			if v1 != nil {
				return "", errors.New("Fulcio certificate has a duplicate OIDC issuer v1 extension")
			}
			s := string(ext.Value)
			v1 = &s
		case ext.Id.Equal(oidFulcioIssuerV2):
			if v2 != nil {
				return "", errors.New("Fulcio certificate has a duplicate OIDC issuer v2 extension")
			}
			var s string
			rest, err := asn1.Unmarshal(ext.Value, &s)
			if err != nil {
				return "", fmt.Errorf("invalid ASN.1 in OIDC issuer v2 extension: %v", err)
			}
			if len(rest) != 0 {
				return "", errors.New("invalid ASN.1 in OIDC issuer v2 extension, trailing data")
			}
			v2 = &s
		}
	}
	switch {
	case v1 != nil && v2 != nil && *v1 != *v2:
		return "", fmt.Errorf("inconsistent OIDC issuer extension values: v1 %q, v2 %q", *v1, *v2)
	case v1 != nil:
		return *v1, nil
	case v2 != nil:
		return *v2, nil
	}
	return "", errors.New("Fulcio certificate is missing the issuer extension")
}

// verifyPKICertificate checks the leaf against the configured roots now
// (verifyPKI), then e-mail and hostname.
func verifyPKICertificate(t *sigstoreTrust, now time.Time, certPEM, chainPEM []byte) (*x509.Certificate, error) {
	inter := x509.NewCertPool()
	if t.pkiInter != nil {
		inter = t.pkiInter.Clone()
	}
	if err := untrustedChain(inter, chainPEM); err != nil {
		return nil, err
	}
	leaf, err := parseLeaf(certPEM)
	if err != nil {
		return nil, err
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Intermediates: inter, Roots: t.pkiRoots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
		return nil, fmt.Errorf("veryfing leaf certificate failed: %v", err)
	}
	if e := t.pki.SubjectEmail; e != "" && !slices.Contains(leaf.EmailAddresses, e) {
		return nil, fmt.Errorf("Required email %q not found (got %q)", e, leaf.EmailAddresses)
	}
	if h := t.pki.SubjectHostname; h != "" {
		if err := leaf.VerifyHostname(h); err != nil {
			return nil, fmt.Errorf("Unexpected subject hostname: %v", err)
		}
	}
	return leaf, nil
}
