package gpg

import (
	"fmt"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/kios/imgtrust/gpg/secretscan"
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

// FindSecret looks for private key material anywhere in data, armored or
// binary, however the armor is labelled or damaged, and returns a
// *SecretKeyError describing the first find, or nil. See secretscan for
// what is scanned; ParseKeyring also refuses any parsed key that carries a
// private part, whatever this scan missed.
func FindSecret(data []byte) error {
	if what := secretscan.Find(data); what != "" {
		return &SecretKeyError{Found: what}
	}
	return nil
}

// entitySecret reports private material in parsed keys: a primary key or
// subkey read from a secret-key or secret-subkey packet (tags 5 and 7),
// GNU dummy primaries of `gpg --export-secret-subkeys` included.
func entitySecret(ents openpgp.EntityList) error {
	for _, e := range ents {
		if e.PrivateKey != nil {
			return &SecretKeyError{Found: "a secret key (" + fingerprint(e.PrimaryKey) + ")"}
		}
		for _, sk := range e.Subkeys {
			if sk.PrivateKey != nil {
				return &SecretKeyError{Found: "a secret subkey (of " + fingerprint(e.PrimaryKey) + ")"}
			}
		}
	}
	return nil
}
