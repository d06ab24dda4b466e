package main

import (
	"strings"
	"testing"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/policyio"
)

func TestTUILookasideExplain(t *testing.T) {
	tests := []struct {
		name, regd, image string
		want, wantErr     string
	}{
		{"placeholder digest", "docker:\n  example.com: {lookaside: https://sigs.example}\n", "example.com/app",
			"https://sigs.example/app@sha256=" + strings.Repeat("0", 64) + "/signature-1\n(the zeros stand for the manifest digest", ""},
		{"real digest", "docker:\n  example.com: {lookaside: https://sigs.example, use-sigstore-attachments: true}\n",
			"example.com/app@sha256:" + strings.Repeat("1", 64),
			"https://sigs.example/app@sha256=" + strings.Repeat("1", 64) + "/signature-1\ntried: example.com/app@sha256:" + strings.Repeat("1", 64) +
				", example.com/app, example.com, *.com, default-docker\nalso reads sigstore attachments", ""},
		{"invalid registries.d", "docker:\n  example.com: {lookaside: [}\n", "example.com/app", "", "registries.d is invalid"},
		{"bad reference", "", "Not A Ref", "", "not an image reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.regd != "" {
				files["etc/containers/registries.d/a.yaml"] = tt.regd
			}
			root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, files)
			l := tuiLookaside{paths: policyio.NewPaths(root, "", "", "")}
			lines, err := l.Explain(tt.image)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(strings.Join(lines, "\n"), tt.want) {
				t.Fatalf("err %v, lines:\n%s", err, strings.Join(lines, "\n"))
			}
		})
	}
}

func TestKeyInfoDetails(t *testing.T) {
	exp := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	k := gpg.InventoryKey{KeyInfo: gpg.KeyInfo{Fingerprint: "0123456789ABCDEF0123456789ABCDEF01234567", KeyID: "89ABCDEF01234567",
		UserIDs: []string{"Release <r@example.com>"}, Algorithm: "RSA", Bits: 3072, Expires: &exp,
		Subkeys: []gpg.SubkeyInfo{{KeyID: "1111", Algorithm: "RSA", Sign: true, Revoked: true}}}}
	ki := keyInfo(k)
	if ki.UserID != "Release <r@example.com>" || ki.Algorithm != "RSA 3072" || !ki.Expires.Equal(exp) {
		t.Errorf("key info %+v", ki)
	}
	if !strings.Contains(ki.Details, "subkey 1111 RSA [sign,revoked]") || !strings.Contains(ki.Details, "fingerprint 0123 4567") {
		t.Errorf("details:\n%s", ki.Details)
	}
}
