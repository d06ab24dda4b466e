// Package model holds imgtrust's domain types: the policy with its
// requirements and identities, keys, look-aside entries and diagnostics.
// It does no I/O; the readers in policyio and gpg fill it in.
package model
