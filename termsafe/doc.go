// Package termsafe makes text that came from files, keys, servers or
// people safe to print on a terminal. A user ID, scope name, URL, server
// error body or source line may hold ESC sequences (CSI moves the cursor
// and can overwrite a fingerprint already printed, OSC sets the window
// title or writes the clipboard, OSC 8 makes hyperlinks), other C0 and C1
// controls, bidi controls that reorder what is shown, or invisible runes
// (zero-width space, BOM, soft hyphen, every other format character and
// default-ignorable code point) that make two names look the same. The functions
// here show each of them escaped, Go style ("\x1b", "\u202e"), so that the
// terminal draws them as text and never interprets them.
//
// Escape at the place where text reaches the terminal, not where it is
// read: errors and --json keep the exact values.
package termsafe
