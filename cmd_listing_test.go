package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The read-only listings: keys list/show and lookaside list/explain, in
// text and JSON, with their exit codes.
func TestListingCommands(t *testing.T) {
	policy := `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}}}`
	good := scratchRoot(t, policy, map[string]string{
		"etc/gpg/k.gpg":                      testPublicKey(t),
		"etc/containers/registries.d/a.yaml": "docker:\n  example.com:\n    lookaside: https://sigs.example\n    use-sigstore-attachments: true\n",
	})
	empty := scratchRoot(t, `{"default":[{"type":"reject"}]}`, nil)
	broken := scratchRoot(t, policy, map[string]string{"etc/containers/registries.d/a.yaml": "docker: ["})
	dg := "sha256:" + strings.Repeat("a", 64)
	tests := []struct {
		name string
		args []string
		code int
		want []string
		json bool
	}{
		{"keys list", []string{"--root", good, "keys", "list", "--mechanism", "openpgp-gocrypto"}, exitOK,
			[]string{"mechanism: openpgp-gocrypto (set with --mechanism)", "test <test@example.com>", "/etc/gpg/k.gpg", "docker:example.com"}, false},
		{"keys list json", []string{"--root", good, "keys", "list", "--json"}, exitOK, []string{`"fingerprint"`, `"detection"`}, true},
		{"keys list empty", []string{"--root", empty, "keys", "list"}, exitOK, []string{"no keys in /etc/gpg"}, false},
		{"keys list missing key file", []string{"--root", broken, "keys", "list"}, exitFindings, []string{"k.gpg"}, false},
		{"keys show", []string{"--root", good, "keys", "show", "k.gpg"}, exitOK, []string{"fingerprint  ", "user ID      test <test@example.com>", "used by      docker:example.com", "subkey "}, false},
		{"keys show json", []string{"--root", good, "keys", "show", "--json", "k.gpg"}, exitOK, []string{`"user_ids"`}, true},
		{"keys show no match", []string{"--root", good, "keys", "show", "nomatch"}, exitFindings, nil, false},
		{"lookaside list", []string{"--root", good, "lookaside", "list"}, exitOK, []string{"SCOPE", "example.com  https://sigs.example  true"}, false},
		{"lookaside list json", []string{"--root", good, "lookaside", "list", "--json"}, exitOK, []string{`"entries"`, `"diagnostics": []`}, true},
		{"lookaside list empty", []string{"--root", empty, "lookaside", "list"}, exitOK, []string{"no look-aside configured"}, false},
		{"lookaside list broken", []string{"--root", broken, "lookaside", "list"}, exitFindings, []string{"error"}, false},
		{"lookaside explain", []string{"--root", good, "lookaside", "explain", "example.com/app:v1"}, exitOK,
			[]string{"section    example.com", "also reads sigstore attachments", "give --digest", "https://sigs.example/app@sha256=" + strings.Repeat("0", 64) + "/signature-3"}, false},
		{"lookaside explain digest", []string{"--root", good, "lookaside", "explain", "--digest", dg, "--count", "1", "example.com/app"}, exitOK,
			[]string{"signature URLs for " + dg, "https://sigs.example/app@sha256=" + strings.Repeat("a", 64) + "/signature-1\nthe runtime"}, false},
		{"lookaside explain json", []string{"--root", good, "lookaside", "explain", "--json", "example.com/app"}, exitOK, []string{`"urls"`}, true},
		{"lookaside explain bad ref", []string{"--root", good, "lookaside", "explain", "Not A Ref"}, exitUsage, nil, false},
		{"lookaside explain broken", []string{"--root", broken, "lookaside", "explain", "example.com/app"}, exitUsage, nil, false},
		{"lookaside explain no image", []string{"--root", good, "lookaside", "explain"}, exitUsage, nil, false},
		{"tui --json", []string{"--root", good, "tui", "--json"}, exitUsage, nil, false},
		// Tests run without a terminal: the TUI refuses rather than hang.
		{"tui without a terminal", []string{"--root", good}, exitUsage, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if tt.json && !json.Valid([]byte(out)) {
				t.Errorf("not JSON:\n%s", out)
			}
			if code != exitOK && errs == "" && out == "" {
				t.Error("a failure printed nothing")
			}
		})
	}
}
