package ui

import "testing"

// TestPastedLines: pasted text gets LF line ends; pasted binary (a key
// packet may hold 0x0d) is kept byte for byte.
func TestPastedLines(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"-----BEGIN PGP PUBLIC KEY BLOCK-----\r\rabc\r-----END\r", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabc\n-----END\n"},
		{"a\r\nb", "a\nb"},
		{"\x99\x01\x0d\x0a\x0d\x04", "\x99\x01\x0d\x0a\x0d\x04"},
		{"\x06\x0d\x0a", "\x06\x0d\x0a"},
	} {
		if got := pastedLines(tc.in); got != tc.want {
			t.Errorf("pastedLines(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
