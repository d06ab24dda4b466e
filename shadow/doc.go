// Package shadow evaluates a candidate configuration on the images a node
// really pulls, while the node keeps enforcing its live one: no runtime
// that reads containers/image policies has a warn-only mode
// (IsRunningImageAllowed passes or fails the pull), so this is how a
// policy is soaked before it is enforced.
//
// The source of pulls is containers-storage's images.json, read as a
// stream (never whole: a node may hold a million images) each time it
// changes — watched with fsnotify on its directory, so that the storage
// library's write-to-temporary-then-rename is seen — and re-read on a
// timer as a fallback for filesystems that deliver no events. Every name
// not seen before (a new image, or a new tag of a stored one) is judged
// under both configurations by the caller's Evaluator (imgtrust uses
// verify's, the one `imgtrust verify` runs), and one JSON line per image
// is appended to a log that Summarize reads back.
package shadow
