// Package widentest holds the tests of the trust-widening check that need
// the whole stack: policyio's check, gpg's key comparison and verify's
// evaluator, which decides offline whether dir: images made at test time
// are accepted. It has no code of its own.
package widentest
