// Package gpg handles OpenPGP public keys the way a node's runtime will use
// them: parsing keyrings, refusing private key material, importing public
// keys into the keys directory, joining them with the policy, and checking
// simple-signing signatures under the runtime's OpenPGP mechanism.
package gpg

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// SecretKeyError reports private key material in input meant to hold
// public keys. Nothing is written when it is returned.
type SecretKeyError struct {
	// What was found, e.g. "a secret key packet", "a PGP PRIVATE KEY BLOCK".
	Found string
}

func (e *SecretKeyError) Error() string {
	return fmt.Sprintf("refusing key material that contains %s: imgtrust stores public keys only, and nothing was written. "+
		"Export just the public part on the signing machine with `gpg --export KEYID > key.gpg` "+
		"(never `gpg --export-secret-keys`) and import that file", e.Found)
}

// Packet tags of secret key material (RFC 9580 §5).
const (
	tagSecretKey    = 5
	tagSecretSubkey = 7
)

// FindSecret looks for private key material anywhere in data, armored or
// binary, and returns a *SecretKeyError describing the first find, or nil.
// It walks packet headers itself rather than relying on a parser that might
// stop early on an unsupported packet and miss a secret key behind it.
func FindSecret(data []byte) error {
	if bytes.Contains(data, []byte("PRIVATE KEY BLOCK")) {
		return &SecretKeyError{Found: "a PGP PRIVATE KEY BLOCK"}
	}
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		rest := data
		for {
			i := bytes.Index(rest, []byte("-----BEGIN "))
			if i < 0 {
				return nil
			}
			block, err := armor.Decode(bytes.NewReader(rest[i:]))
			if err != nil {
				return nil // not armor after all; the key parser reports it
			}
			if strings.Contains(block.Type, "PRIVATE") {
				return &SecretKeyError{Found: "a " + block.Type}
			}
			body, err := io.ReadAll(block.Body)
			if err == nil {
				if err := findSecretPackets(body); err != nil {
					return err
				}
			}
			rest = rest[i+len("-----BEGIN "):]
		}
	}
	return findSecretPackets(data)
}

func findSecretPackets(data []byte) error {
	for len(data) > 0 {
		tag, body, rest, ok := nextPacket(data)
		if !ok {
			return nil
		}
		switch tag {
		case tagSecretKey:
			return &SecretKeyError{Found: "a secret key packet"}
		case tagSecretSubkey:
			return &SecretKeyError{Found: "a secret subkey packet"}
		}
		_ = body
		data = rest
	}
	return nil
}

// nextPacket splits one OpenPGP packet off data (old and new header
// formats). Partial body lengths are followed to the end of the packet.
func nextPacket(data []byte) (tag int, body, rest []byte, ok bool) {
	if len(data) < 2 || data[0]&0x80 == 0 {
		return 0, nil, nil, false
	}
	if data[0]&0x40 == 0 { // old format
		tag = int(data[0]>>2) & 0x0f
		var n, hdr int
		switch data[0] & 3 {
		case 0:
			n, hdr = int(data[1]), 2
		case 1:
			if len(data) < 3 {
				return 0, nil, nil, false
			}
			n, hdr = int(data[1])<<8|int(data[2]), 3
		case 2:
			if len(data) < 5 {
				return 0, nil, nil, false
			}
			n, hdr = int(data[1])<<24|int(data[2])<<16|int(data[3])<<8|int(data[4]), 5
		default: // indeterminate: to the end
			return tag, data[1:], nil, true
		}
		if n < 0 || hdr+n > len(data) {
			return 0, nil, nil, false
		}
		return tag, data[hdr : hdr+n], data[hdr+n:], true
	}
	tag = int(data[0] & 0x3f)
	off := 1
	var out []byte
	for {
		if off >= len(data) {
			return 0, nil, nil, false
		}
		b := int(data[off])
		var n int
		partial := false
		switch {
		case b < 192:
			n, off = b, off+1
		case b < 224:
			if off+1 >= len(data) {
				return 0, nil, nil, false
			}
			n, off = (b-192)<<8+int(data[off+1])+192, off+2
		case b == 255:
			if off+4 >= len(data) {
				return 0, nil, nil, false
			}
			n, off = int(data[off+1])<<24|int(data[off+2])<<16|int(data[off+3])<<8|int(data[off+4]), off+5
		default:
			n, off, partial = 1<<(b&0x1f), off+1, true
		}
		if n < 0 || off+n > len(data) {
			return 0, nil, nil, false
		}
		out = append(out, data[off:off+n]...)
		off += n
		if !partial {
			return tag, out, data[off:], true
		}
	}
}
