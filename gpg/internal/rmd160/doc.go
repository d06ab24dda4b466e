// Package rmd160 is RIPEMD-160 (Dobbertin, Bosselaers, Preneel, 1996) for
// the gpgme model only.
//
// golang.org/x/crypto/ripemd160 registers itself with crypto.RegisterHash
// when linked, and that would make the openpgp-xcrypto mechanism (which
// runs x/crypto/openpgp in this same binary) accept RIPEMD-160 signatures
// that the node's runtime, which links no RIPEMD-160, refuses ("hash not
// available: 9"). This implementation registers nothing. Its test checks
// it against x/crypto's on random input.
package rmd160
