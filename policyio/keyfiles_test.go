package policyio

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
)

// TestCheckKeyFiles: key files are looked up under the root and checked
// for the requirement's kind — OpenPGP through the inspector for signedBy,
// PEM for sigstoreSigned (keys, Rekor keys, CA files).
func TestCheckKeyFiles(t *testing.T) {
	root := t.TempDir()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	priv, _ := x509.MarshalECPrivateKey(k)
	files := map[string][]byte{
		"etc/keys/cosign.pub":  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		"etc/keys/cosign.key":  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: priv}),
		"etc/keys/garbage.pub": []byte("not pem"),
		// A public key first and the private key behind it.
		"etc/keys/mixed.pub": append(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: priv})...),
		"etc/gpg/a.gpg":      []byte("openpgp bytes"),
	}
	for name, data := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, data, 0o644)
	}
	tests := []struct {
		req  string
		want string // diagnostic code, "" for none
	}{
		{`{"type":"sigstoreSigned","keyPath":"/etc/keys/cosign.pub"}`, ""},
		{`{"type":"sigstoreSigned","keyPath":"/etc/keys/missing.pub"}`, "key-missing"},
		{`{"type":"sigstoreSigned","keyPath":"/etc/keys/garbage.pub"}`, "sigstore-key-invalid"},
		{`{"type":"sigstoreSigned","keyPath":"/etc/keys/cosign.key"}`, "sigstore-key-invalid"},
		{`{"type":"sigstoreSigned","keyPath":"/etc/keys/mixed.pub"}`, "sigstore-key-invalid"},
		{`{"type":"sigstoreSigned","keyData":"bm90IHBlbQ=="}`, "sigstore-key-invalid"},
		{`{"type":"sigstoreSigned","keyPath":"/etc/keys/cosign.pub","rekorPublicKeyPath":"/etc/keys/rekor.pub"}`, "key-missing"},
		{`{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/a.gpg"}`, "inspected"},
		{`{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/missing.gpg"}`, "key-missing"},
		{`{"type":"signedBy","keyType":"GPGKeys","keyPath":"etc/gpg/a.gpg"}`, "key-relative-path"},
	}
	inspector := func(label string, pos model.Pos, data []byte) model.Diagnostics {
		return model.Diagnostics{{Severity: model.Info, Code: "inspected", Message: label}}
	}
	for _, tt := range tests {
		pol, d := ParsePolicy("p", []byte(`{"default":[`+tt.req+`]}`))
		if d.HasErrors() {
			t.Fatalf("%s: %v", tt.req, d)
		}
		got := CheckKeyFiles(pol, node.NewPaths(root, "", "", ""), inspector)
		var codes []string
		for _, x := range got {
			codes = append(codes, x.Code)
		}
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("%s: unexpected %v", tt.req, codes)
		case tt.want != "" && !strings.Contains(strings.Join(codes, ","), tt.want):
			t.Errorf("%s: got %v, want %s", tt.req, codes, tt.want)
		}
	}
}
