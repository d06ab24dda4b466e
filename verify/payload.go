// Package verify decides whether the node's runtime would accept an image:
// it parses the reference like the runtime, chooses the requirements of
// the policy with the same scope precedence, finds the signatures where
// the runtime would (registry look-aside, dir: directories), checks each
// with the node's OpenPGP mechanism and the payload and identity rules of
// containers/image, and records every step in a trace a person can read.
package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/opencontainers/go-digest"
)

// SignatureType is the only simple-signing payload type.
const SignatureType = "atomic container signature"

// Payload is the signed content of a simple-signing signature.
type Payload struct {
	ManifestDigest  digest.Digest
	DockerReference string
	Creator         string
	Timestamp       *int64
}

// MarshalPayload builds a simple-signing payload as skopeo writes it (for
// the demo and tests).
func MarshalPayload(dockerReference string, manifestDigest digest.Digest) []byte {
	out, _ := json.Marshal(map[string]any{
		"critical": map[string]any{
			"type":     SignatureType,
			"image":    map[string]string{"docker-manifest-digest": manifestDigest.String()},
			"identity": map[string]string{"docker-reference": dockerReference},
		},
		"optional": map[string]any{"creator": "imgtrust"},
	})
	return out
}

// ParsePayload parses a payload as strictly as containers/image
// (signature/simple.go): duplicate keys anywhere, unknown or missing keys
// in critical, a wrong type or digest are all errors.
func ParsePayload(data []byte) (*Payload, error) {
	return parsePayloadOfType(data, SignatureType, false)
}

// parsePayloadOfType parses a simple-signing or a sigstore payload
// (signature/internal/sigstore_payload.go): the same structure with
// another critical.type, and "optional": null allowed, which cosign writes.
func parsePayloadOfType(data []byte, want string, nullOptional bool) (*Payload, error) {
	p := &Payload{}
	var critical, optional json.RawMessage
	if err := paranoidObject(data, map[string]*json.RawMessage{"critical": &critical, "optional": &optional}, true); err != nil {
		return nil, err
	}
	var typ string
	var image, identity json.RawMessage
	if err := paranoidObject(critical, map[string]*json.RawMessage{"type": nil, "image": &image, "identity": &identity}, true, &typ); err != nil {
		return nil, err
	}
	if typ != want {
		return nil, fmt.Errorf("Unrecognized signature type %s", typ)
	}
	var dg json.RawMessage
	if err := paranoidObject(image, map[string]*json.RawMessage{"docker-manifest-digest": &dg}, true); err != nil {
		return nil, err
	}
	var dgs string
	if err := json.Unmarshal(dg, &dgs); err != nil {
		return nil, err
	}
	d, err := digest.Parse(dgs)
	if err != nil {
		return nil, fmt.Errorf("invalid docker-manifest-digest value %q: %w", dgs, err)
	}
	p.ManifestDigest = d
	var ref json.RawMessage
	if err := paranoidObject(identity, map[string]*json.RawMessage{"docker-reference": &ref}, true); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(ref, &p.DockerReference); err != nil {
		return nil, err
	}
	if nullOptional && bytes.Equal(optional, []byte("null")) {
		return p, nil
	}
	// optional: any keys, but creator and timestamp are type-checked.
	opt := map[string]*json.RawMessage{}
	if err := paranoidAny(optional, opt); err != nil {
		return nil, err
	}
	if c, ok := opt["creator"]; ok {
		if err := json.Unmarshal(*c, &p.Creator); err != nil {
			return nil, err
		}
	}
	if ts, ok := opt["timestamp"]; ok {
		var f float64
		if err := json.Unmarshal(*ts, &f); err != nil {
			return nil, err
		}
		if f != math.Floor(f) {
			return nil, errors.New("Field optional.timestamp is not an integer")
		}
		i := int64(f)
		p.Timestamp = &i
	}
	return p, nil
}

// paranoidObject decodes one JSON object with exactly the given keys
// (every key required when exact), refusing duplicates and unknown keys.
// A nil destination with typeOut set receives the "type" string.
func paranoidObject(data []byte, fields map[string]*json.RawMessage, exact bool, typeOut ...*string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("JSON object expected, got %#v", tok)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string)
		if seen[key] {
			return fmt.Errorf("Duplicate key %q", key)
		}
		seen[key] = true
		dst, known := fields[key]
		if !known {
			return fmt.Errorf("Unknown key %q", key)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		switch {
		case dst != nil:
			*dst = raw
		case len(typeOut) > 0:
			if err := json.Unmarshal(raw, typeOut[0]); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("unexpected data after the JSON object")
	}
	if exact {
		for k := range fields {
			if !seen[k] {
				return fmt.Errorf("Key %q missing in a JSON object", k)
			}
		}
	}
	return nil
}

// paranoidAny decodes an object with any keys, refusing duplicates.
func paranoidAny(data []byte, out map[string]*json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("JSON object expected, got %#v", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string)
		if _, dup := out[key]; dup {
			return fmt.Errorf("Duplicate key %q", key)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		out[key] = &raw
	}
	_, err = dec.Token()
	return err
}
