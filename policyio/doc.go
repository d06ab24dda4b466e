// Package policyio reads, validates and writes the files that decide what
// a node may pull: policy.json and registries.d. Readers report every
// problem as a model.Diagnostic with its position; writers refuse invalid
// content and replace files atomically, keeping a backup.
package policyio
