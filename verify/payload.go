package verify

//lint:file-ignore ST1005 error texts are containers/image's own wording, which admins search for; they are kept word for word

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

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
	if err := paranoidExactFields(data, map[string]any{"critical": &critical, "optional": &optional}); err != nil {
		return nil, err
	}
	var typ string
	var image, identity json.RawMessage
	if err := paranoidExactFields(critical, map[string]any{"type": &typ, "image": &image, "identity": &identity}); err != nil {
		return nil, err
	}
	if typ != want {
		return nil, fmt.Errorf("Unrecognized signature type %s", typ)
	}
	var dg json.RawMessage
	if err := paranoidExactFields(image, map[string]any{"docker-manifest-digest": &dg}); err != nil {
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
	if err := paranoidExactFields(identity, map[string]any{"docker-reference": &ref}); err != nil {
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

// paranoidUnmarshalObject decodes one JSON object and nothing after it,
// as containers/image's ParanoidUnmarshalJSONObject: a duplicate key is an
// error, and resolve says where each key's value is decoded (with
// json.Unmarshal), or returns nil for a key that is not allowed.
func paranoidUnmarshalObject(data []byte, resolve func(key string) any) error {
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
		dst := resolve(key)
		if dst == nil {
			return fmt.Errorf("Unknown key %q", key)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// paranoidExactFields decodes an object with exactly the keys of fields,
// each into its destination: an unknown or a missing key is an error
// (ParanoidUnmarshalJSONObjectExactFields).
func paranoidExactFields(data []byte, fields map[string]any) error {
	seen := map[string]bool{}
	if err := paranoidUnmarshalObject(data, func(key string) any {
		seen[key] = true
		return fields[key]
	}); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if !seen[k] {
			return fmt.Errorf("Key %q missing in a JSON object", k)
		}
	}
	return nil
}

// paranoidAny decodes an object with any keys, refusing duplicates.
func paranoidAny(data []byte, out map[string]*json.RawMessage) error {
	return paranoidUnmarshalObject(data, func(key string) any {
		raw := new(json.RawMessage)
		out[key] = raw
		return raw
	})
}
