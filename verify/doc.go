// Package verify decides whether the node's runtime would accept an image:
// it parses the reference like the runtime, chooses the requirements of
// the policy with the same scope precedence, finds the signatures where
// the runtime would (registry look-aside, dir: directories), checks each
// with the node's OpenPGP mechanism and the payload and identity rules of
// containers/image, and records every step in a trace a person can read.
package verify
