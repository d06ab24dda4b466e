// Package ui is imgtrust's terminal front end (Bubble Tea v2). It shows and
// edits a node's trust configuration through the backends in Deps and owns
// no domain rules: validation, diffs, saving and verdicts come from
// policyio, workspace, gpg and verify.
package ui
