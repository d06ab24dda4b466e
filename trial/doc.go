// Package trial applies a change for a while: the files a change command
// wrote are recorded with what they held before (trial.json on the node,
// written atomically), and unless the admin confirms in time they are put
// back byte for byte — by a detached watcher process that holds the
// record, or, should it have died with the node's pod, by the next
// imgtrust command that starts after the deadline. A revert that cannot
// restore a file keeps the record and says so in every later command.
//
// The previous contents are captured before the change by Capture and
// compared after it by Changed, so a trial works with any command that
// writes node files, whatever package does the writing.
package trial
