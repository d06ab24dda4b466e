// Package safefile replaces configuration files so that a crash, a full
// disk or a concurrent editor never leaves a node with a broken or lost
// file: the new content goes to a temporary file in the same directory, is
// synced and renamed over the old one; the previous content is kept as a
// backup; a change made by someone else since the file was read is refused;
// and every write is recorded in an audit log.
package safefile
