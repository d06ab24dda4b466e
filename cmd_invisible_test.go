package main

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/termsafe"
)

// TestInvisibleRunesShownEscaped: a key path holding a rune that draws as
// nothing (a format character or another default-ignorable code point)
// is shown with that rune escaped by lint's text output and in a TUI
// frame, so "/etc/gpg/k\u200b.gpg" cannot pass for "/etc/gpg/k.gpg".
func TestInvisibleRunesShownEscaped(t *testing.T) {
	tests := []struct {
		name string
		r    rune
	}{
		{"zero-width space", 0x200b},
		{"zero-width non-joiner", 0x200c},
		{"zero-width joiner", 0x200d},
		{"word joiner", 0x2060},
		{"byte order mark", 0xfeff},
		{"soft hyphen", 0x00ad},
		{"Mongolian vowel separator", 0x180e},
		{"invisible separator", 0x2063},
		{"variation selector 16", 0xfe0f},
		{"Hangul filler", 0x3164},
		{"language tag", 0xe0001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/etc/gpg/k" + string(tt.r) + ".gpg"
			// The escape's form is termsafe's (its tests pin it); here the
			// rune must not be drawn raw, and its escape must be shown.
			shown := termsafe.String(path)
			pol := `{"default":[{"type":"reject"}],"transports":{"docker":{"quay.io/app":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"` + path + `"}]}}}`
			root := scratchRoot(t, pol, map[string]string{node.OwnImageFile[1:]: "none\n"})
			_, out, _ := run(t, "--root", root, "--mechanism", "openpgp-gocrypto", "lint", "--offline")
			if strings.ContainsRune(out, tt.r) || !strings.Contains(out, shown) {
				t.Errorf("lint shows the path raw, want %s:\n%s", shown, out)
			}
			r := startTUI(t, root)
			r.key(tea.KeyPressMsg{Code: '6', Text: "6"})
			frame := r.m.View().Content
			if strings.ContainsRune(frame, tt.r) || !strings.Contains(ansi.Strip(frame), shown) {
				t.Errorf("the TUI's Problems view shows the path raw, want %s:\n%s", shown, ansi.Strip(frame))
			}
		})
	}
}
