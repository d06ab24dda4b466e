package demo

import (
	"bytes"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// GenerateKey makes a throw-away RSA signing key for the demo, kept in
// memory only. RSA rather than ed25519 because the kiOS runtime's pure-Go
// mechanism (x/crypto) cannot use EdDSA keys. The returned public key is
// the binary transferable public key (what containers/image reads from a
// keyPath); it never contains secret material.
func GenerateKey(name string, now time.Time) (*openpgp.Entity, []byte, error) {
	cfg := &packet.Config{
		Algorithm: packet.PubKeyAlgoRSA,
		RSABits:   2048,
		Time:      func() time.Time { return now },
	}
	e, err := openpgp.NewEntity(name, "imgtrust demo", "", cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("demo key %q: %w", name, err)
	}
	var pub bytes.Buffer
	if err := e.Serialize(&pub); err != nil { // Serialize writes public parts only
		return nil, nil, fmt.Errorf("demo key %q: %w", name, err)
	}
	return e, pub.Bytes(), nil
}
