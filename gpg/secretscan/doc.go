// Package secretscan finds private key material in bytes meant to hold
// public keys only: OpenPGP secret keys (binary or armored, however the
// armor is labelled or damaged) and PEM/DER private keys of any kind. It
// is a leaf package so that both the key importer (gpg) and the policy
// writer (policyio) refuse the same things.
//
// Detection never depends on the input being well formed: an attacker
// controls the framing (armor labels, headers, checksums, junk around the
// key, text inside packets), so every plausible reading is scanned and any
// find refuses the whole input.
package secretscan
