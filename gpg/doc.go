// Package gpg handles OpenPGP public keys the way a node's runtime will use
// them: parsing keyrings, refusing private key material, importing public
// keys into the keys directory, joining them with the policy, and checking
// simple-signing signatures under the runtime's OpenPGP mechanism.
package gpg
