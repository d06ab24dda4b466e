// Package workspace holds a node's trust configuration as an editor sees
// it: the files as loaded and one change set staged in memory with undo —
// policy.json edits, key files added to or removed from the keys
// directory, and registries.d edits — with the problems of the staged
// state, one review (the diff over every file, the widening and the
// impact on the node's images) and the ordered, atomic apply with
// rollback and one audit entry. The TUI and every CLI change command go
// through it, so that no change bypasses the review.
package workspace
