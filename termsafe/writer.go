package termsafe

import (
	"io"
	"unicode/utf8"
)

// Writer is the last guard of a command's output: it passes everything
// written to it through Text, so that no ESC, C1 or bidi control reaches
// the terminal even from a value a renderer forgot to escape. It cannot
// tell a value's newline from the renderer's own, so renderers still
// escape each value with String; this only keeps a mistake from driving
// the terminal.
type Writer struct {
	w       io.Writer
	pending []byte // the start of a rune split across two writes
}

// NewWriter guards w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write escapes p as Text does. A multi-byte character cut between two
// writes is held back until the rest arrives, so it is not mistaken for
// invalid UTF-8.
func (t *Writer) Write(p []byte) (int, error) {
	data := p
	if len(t.pending) > 0 {
		data = append(t.pending, p...)
		t.pending = nil
	}
	cut := len(data)
	// Hold back at most the first 3 bytes of an unfinished rune.
	for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(data[i]) {
			if !utf8.FullRune(data[i:]) {
				cut = i
			}
			break
		}
	}
	if cut < len(data) {
		t.pending = append([]byte(nil), data[cut:]...)
	}
	if _, err := io.WriteString(t.w, escape(string(data[:cut]), text)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what is held back (bytes that never became a character are
// shown escaped).
func (t *Writer) Flush() error {
	if len(t.pending) == 0 {
		return nil
	}
	s := escape(string(t.pending), text)
	t.pending = nil
	_, err := io.WriteString(t.w, s)
	return err
}
