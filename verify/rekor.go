package verify

//lint:file-ignore ST1005 error texts are containers/image's own wording, which admins search for; they are kept word for word

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
)

// verifyRekorSET checks a Rekor signed entry timestamp the way
// signature/internal/rekor_set.go does: the log's signature over the
// canonical payload, then that the logged hashedrekord entry names this
// key or certificate, this signature and this payload. It returns the time
// the entry was logged. Only the SET is checked: like the runtime, no
// inclusion proof is fetched.
func verifyRekorSET(rekorKeys []*ecdsa.PublicKey, setJSON, keyOrCertPEM []byte, sigB64 string, payload []byte) (time.Time, error) {
	var set struct {
		SignedEntryTimestamp []byte
		Payload              json.RawMessage
	}
	raw := map[string]any{}
	var sigField, payloadField json.RawMessage
	raw["SignedEntryTimestamp"], raw["Payload"] = &sigField, &payloadField
	if err := paranoidExactFields(setJSON, raw); err != nil {
		return time.Time{}, err
	}
	if err := json.Unmarshal(sigField, &set.SignedEntryTimestamp); err != nil {
		return time.Time{}, err
	}
	set.Payload = payloadField
	canonical, err := jsoncanonicalizer.Transform(set.Payload)
	if err != nil {
		return time.Time{}, fmt.Errorf("canonicalizing Rekor SET JSON: %w", err)
	}
	hash := sha256.Sum256(canonical)
	matched := false
	for _, k := range rekorKeys {
		if ecdsa.VerifyASN1(k, hash[:], set.SignedEntryTimestamp) {
			matched = true
			break
		}
	}
	if !matched {
		return time.Time{}, errors.New("cryptographic signature verification of Rekor SET failed")
	}
	var body, integrated, logIndex, logID json.RawMessage
	if err := paranoidExactFields(canonical, map[string]any{"body": &body, "integratedTime": &integrated, "logIndex": &logIndex, "logID": &logID}); err != nil {
		return time.Time{}, fmt.Errorf("parsing Rekor SET payload: %w", err)
	}
	var bodyBytes []byte
	var integratedTime, index int64
	var id string
	for _, f := range []struct {
		raw json.RawMessage
		dst any
	}{{body, &bodyBytes}, {integrated, &integratedTime}, {logIndex, &index}, {logID, &id}} {
		if err := json.Unmarshal(f.raw, f.dst); err != nil {
			return time.Time{}, fmt.Errorf("parsing Rekor SET payload: %w", err)
		}
	}
	var entry struct {
		APIVersion *string         `json:"apiVersion"`
		Spec       json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(bodyBytes, &entry); err != nil {
		return time.Time{}, fmt.Errorf("decoding the body of a Rekor SET payload: %w", err)
	}
	if entry.APIVersion == nil {
		return time.Time{}, errors.New("missing Rekor SET Payload API version")
	}
	if *entry.APIVersion != "0.0.1" {
		return time.Time{}, fmt.Errorf("unsupported Rekor SET Payload hashedrekord version %q", *entry.APIVersion)
	}
	var spec struct {
		Signature *struct {
			Content   []byte `json:"content"`
			PublicKey *struct {
				Content []byte `json:"content"`
			} `json:"publicKey"`
		} `json:"signature"`
		Data *struct {
			Hash *struct {
				Algorithm *string `json:"algorithm"`
				Value     *string `json:"value"`
			} `json:"hash"`
		} `json:"data"`
	}
	if err := json.Unmarshal(entry.Spec, &spec); err != nil {
		return time.Time{}, fmt.Errorf("decoding hashedrekod spec: %w", err)
	}
	switch {
	case spec.Signature == nil:
		return time.Time{}, errors.New(`Missing "signature" field in hashedrekord`)
	case spec.Signature.PublicKey == nil:
		return time.Time{}, errors.New(`Missing "signature.publicKey" field in hashedrekord`)
	}
	logged, rest := pem.Decode(spec.Signature.PublicKey.Content)
	if logged == nil {
		return time.Time{}, errors.New("publicKey in Rekor SET is not in PEM format")
	}
	if len(rest) != 0 {
		return time.Time{}, errors.New("publicKey in Rekor SET has trailing data")
	}
	ours, rest := pem.Decode(keyOrCertPEM)
	if ours == nil {
		return time.Time{}, errors.New("public key or cert to be matched against publicKey in Rekor SET is not in PEM format")
	}
	if len(rest) != 0 {
		return time.Time{}, errors.New("public key or cert to be matched against publicKey in Rekor SET has trailing data")
	}
	if !bytes.Equal(logged.Bytes, ours.Bytes) {
		return time.Time{}, errors.New("publicKey in Rekor SET does not match")
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return time.Time{}, fmt.Errorf("decoding signature base64: %w", err)
	}
	if !bytes.Equal(spec.Signature.Content, sig) {
		return time.Time{}, errors.New("signature in Rekor SET does not match")
	}
	switch {
	case spec.Data == nil:
		return time.Time{}, errors.New(`Missing "data" field in hashedrekord`)
	case spec.Data.Hash == nil:
		return time.Time{}, errors.New(`Missing "data.hash" field in hashedrekord`)
	case spec.Data.Hash.Algorithm == nil:
		return time.Time{}, errors.New(`Missing "data.hash.algorithm" field in hashedrekord`)
	case *spec.Data.Hash.Algorithm != "sha256":
		return time.Time{}, fmt.Errorf(`Unexpected "data.hash.algorithm" value %q`, *spec.Data.Hash.Algorithm)
	case spec.Data.Hash.Value == nil:
		return time.Time{}, errors.New(`Missing "data.hash.value" field in hashedrekord`)
	}
	logHash, err := hex.DecodeString(*spec.Data.Hash.Value)
	if err != nil {
		return time.Time{}, fmt.Errorf(`Invalid "data.hash.value" field in hashedrekord: %w`, err)
	}
	payloadHash := sha256.Sum256(payload)
	if !bytes.Equal(logHash, payloadHash[:]) {
		return time.Time{}, errors.New("payload in Rekor SET does not match")
	}
	return time.Unix(integratedTime, 0), nil
}
