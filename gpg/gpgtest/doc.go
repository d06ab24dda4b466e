// Package gpgtest makes OpenPGP and PEM key material for tests, generated
// at test time: in particular private keys in the disguises an attacker
// (or a careless export) would use to slip them past a "public keys only"
// check. Only tests import it.
package gpgtest
