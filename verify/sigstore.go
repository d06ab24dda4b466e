package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
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

// annotation reads a required annotation; a missing one is the error.
func (s sigstoreSignature) annotation(name string) (string, error) {
	val, ok := s.Annotations[name]
	if !ok {
		return "", reqErr(KindInvalidSignature, "missing %s annotation", name)
	}
	return val, nil
}

// verifySigstorePayload checks the base64 signature over the payload with
// each key in turn (VerifySigstorePayload); it returns the index of the
// key that verified. Every key must be usable, as in the runtime.
func verifySigstorePayload(keys []crypto.PublicKey, payload []byte, sigB64 string) (int, error) {
	for _, k := range keys {
		switch k.(type) {
		case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		default:
			return 0, reqErr(KindTrustRoot, "unsupported public key type: %T", k)
		}
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return 0, reqErr(KindInvalidSignature, "base64 decoding: %w", err)
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
	return 0, &RequirementError{Kind: KindInvalidSignature, Err: errors.New("cryptographic signature verification failed: " + strings.Join(failures, ", "))}
}
