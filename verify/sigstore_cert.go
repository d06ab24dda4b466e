package verify

//lint:file-ignore ST1005 error texts are containers/image's own wording, which admins search for; they are kept word for word

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"slices"
	"time"

	"github.com/sigstore/fulcio/pkg/certificate"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Certificates of sigstore signatures: a Fulcio leaf checked at the time
// Rekor logged it (fulcio_cert.go), or a leaf from the node's own PKI
// checked now (pki_cert.go). Every failure here is the signature's.

func invalidCert(format string, a ...any) error {
	return reqErr(KindInvalidSignature, format, a...)
}

func parseLeaf(data []byte) (*x509.Certificate, error) {
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(data)
	if err != nil {
		return nil, invalidCert("parsing leaf certificate: %w", err)
	}
	switch len(certs) {
	case 0:
		return nil, invalidCert("no certificate found in signature certificate data")
	case 1:
		return certs[0], nil
	}
	return nil, invalidCert("unexpected multiple certificates present in signature certificate data")
}

// untrustedChain adds the chain annotation without its last certificate
// (the root, which only the configured trust root may supply) to pool.
func untrustedChain(pool *x509.CertPool, chain []byte) error {
	if len(chain) == 0 {
		return nil
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(chain)
	if err != nil {
		return invalidCert("loading certificate chain: %w", err)
	}
	for i := 0; i+1 < len(certs); i++ {
		pool.AddCert(certs[i])
	}
	return nil
}

// verifyLeaf checks the leaf for code signing against roots at a time.
func verifyLeaf(leaf *x509.Certificate, roots, inter *x509.CertPool, at time.Time) error {
	if _, err := leaf.Verify(x509.VerifyOptions{Intermediates: inter, Roots: roots, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
		return invalidCert("veryfing leaf certificate failed: %w", err)
	}
	return nil
}

// verify checks the leaf at the time Rekor logged it
// (verifyFulcioCertificateAtTime), then issuer and e-mail.
func (f *fulcioTrust) verify(at time.Time, certPEM, chainPEM []byte) (*x509.Certificate, error) {
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
	leaf.UnhandledCriticalExtensions = slices.DeleteFunc(leaf.UnhandledCriticalExtensions, func(o asn1.ObjectIdentifier) bool { return o.Equal(cryptoutils.SANOID) })
	if err := verifyLeaf(leaf, f.cas, inter, at); err != nil {
		return nil, err
	}
	issuer, err := fulcioIssuer(leaf)
	if err != nil {
		return nil, err
	}
	if issuer != f.cfg.OIDCIssuer {
		return nil, invalidCert("Unexpected Fulcio OIDC issuer %q", issuer)
	}
	if !slices.Contains(leaf.EmailAddresses, f.cfg.SubjectEmail) {
		return nil, invalidCert("Required email %q not found (got %q)", f.cfg.SubjectEmail, leaf.EmailAddresses)
	}
	return leaf, nil
}

// fulcioIssuer reads the OIDC issuer Fulcio recorded. certificate's
// ParseExtensions neither refuses a duplicate nor compares the v1 and v2
// extensions, which the runtime does: read them one by one.
func fulcioIssuer(c *x509.Certificate) (string, error) {
	var v1, v2 *string
	for _, ext := range c.Extensions {
		switch {
		//lint:ignore SA1019 deprecated for new certificates, and still accepted by the runtime
		case ext.Id.Equal(certificate.OIDIssuer):
			if v1 != nil {
				return "", invalidCert("Fulcio certificate has a duplicate OIDC issuer v1 extension")
			}
			s := string(ext.Value)
			v1 = &s
		case ext.Id.Equal(certificate.OIDIssuerV2):
			if v2 != nil {
				return "", invalidCert("Fulcio certificate has a duplicate OIDC issuer v2 extension")
			}
			var s string
			rest, err := asn1.Unmarshal(ext.Value, &s)
			if err != nil {
				return "", invalidCert("invalid ASN.1 in OIDC issuer v2 extension: %w", err)
			}
			if len(rest) != 0 {
				return "", invalidCert("invalid ASN.1 in OIDC issuer v2 extension, trailing data")
			}
			v2 = &s
		}
	}
	switch {
	case v1 != nil && v2 != nil && *v1 != *v2:
		return "", invalidCert("inconsistent OIDC issuer extension values: v1 %q, v2 %q", *v1, *v2)
	case v1 != nil:
		return *v1, nil
	case v2 != nil:
		return *v2, nil
	}
	return "", &RequirementError{Kind: KindInvalidSignature, Err: errors.New("Fulcio certificate is missing the issuer extension")}
}

// verify checks the leaf against the configured roots now (verifyPKI),
// then e-mail and hostname.
func (p *pkiTrust) verify(now time.Time, certPEM, chainPEM []byte) (*x509.Certificate, error) {
	inter := x509.NewCertPool()
	if p.inter != nil {
		inter = p.inter.Clone()
	}
	if err := untrustedChain(inter, chainPEM); err != nil {
		return nil, err
	}
	leaf, err := parseLeaf(certPEM)
	if err != nil {
		return nil, err
	}
	if err := verifyLeaf(leaf, p.roots, inter, now); err != nil {
		return nil, err
	}
	if e := p.cfg.SubjectEmail; e != "" && !slices.Contains(leaf.EmailAddresses, e) {
		return nil, invalidCert("Required email %q not found (got %q)", e, leaf.EmailAddresses)
	}
	if h := p.cfg.SubjectHostname; h != "" {
		if err := leaf.VerifyHostname(h); err != nil {
			return nil, invalidCert("Unexpected subject hostname: %w", err)
		}
	}
	return leaf, nil
}
