package policyio

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/gpg/gpgtest"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
)

// TestSaveRefusesPrivateMaterial: a policy.json that holds private key
// material anywhere is never written, even when the edit is elsewhere (a
// rewrite would copy the secret into the new file), and lint reports the
// rule and field that hold it.
func TestSaveRefusesPrivateMaterial(t *testing.T) {
	forms := gpgtest.SecretForms(t)
	sec1, pkcs8, public := gpgtest.ECPrivatePEM(t)
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	signedBy := func(key []byte) string {
		return fmt.Sprintf(`{"type":"signedBy","keyType":"GPGKeys","keyData":%q}`, b64(key))
	}
	const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	tests := []struct {
		name, req, field string
	}{
		{"signedBy keyData, relabelled behind a MESSAGE line", signedBy(forms["relabelled behind a MESSAGE line"]), "keyData"},
		{"signedBy keyData, -----BEGIN in user ID", signedBy(forms["binary, -----BEGIN in user ID"]), "keyData"},
		{"signedBy keyData, secret subkeys only", signedBy(forms["secret subkeys only"]), "keyData"},
		{"signedBy keyData, public and secret", signedBy(forms["public then secret"]), "keyData"},
		{"signedBy keyData, armored secret", signedBy(forms["armored secret key"]), "keyData"},
		{"sigstore keyData, EC PRIVATE KEY", fmt.Sprintf(`{"type":"sigstoreSigned","keyData":%q}`, b64(sec1)), "keyData"},
		{"sigstore keyDatas, PKCS#8 second", fmt.Sprintf(`{"type":"sigstoreSigned","keyDatas":[%q,%q]}`, b64(public), b64(pkcs8)), "keyDatas[1]"},
		{"sigstore rekorPublicKeyData", fmt.Sprintf(`{"type":"sigstoreSigned","keyData":%q,"rekorPublicKeyData":%q}`, b64(public), b64(sec1)), "rekorPublicKeyData"},
		{"fulcio caData, certificate and key", fmt.Sprintf(`{"type":"sigstoreSigned","fulcio":{"caData":%q,"oidcIssuer":"https://o","subjectEmail":"a@b"},"rekorPublicKeyData":%q}`, b64(append([]byte(cert), pkcs8...)), b64(public)), "fulcio.caData"},
		{"pki caRootsData, OpenSSH key", fmt.Sprintf(`{"type":"sigstoreSigned","pki":{"caRootsData":%q,"subjectEmail":"a@b"}}`, b64([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n"))), "pki.caRootsData"},
		{"pki caIntermediatesData, ENCRYPTED", fmt.Sprintf(`{"type":"sigstoreSigned","pki":{"caRootsData":%q,"caIntermediatesData":%q,"subjectEmail":"a@b"}}`, b64([]byte(cert)), b64([]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"))), "pki.caIntermediatesData"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "policy.json")
			raw := `{"default":[{"type":"reject"}],"transports":{"docker":{"secret.example.com":[` + tt.req + `]}}}`
			if err := os.WriteFile(path, []byte(raw), 0o644); err != nil {
				t.Fatal(err)
			}
			pf, err := LoadPolicy(path)
			if err != nil {
				t.Fatal(err)
			}
			if pf.Diags.HasErrors() {
				t.Fatalf("test policy has errors: %v", pf.Diags)
			}
			// The edit is elsewhere: a new scope.
			p := pf.Policy.Clone()
			p.SetScope(model.TransportDocker, "other.example.com", model.Requirements{{Type: model.Reject}})
			_, err = SavePolicy(pf, p, SaveOptions{AllowWeaken: true})
			var pe *PrivateKeyError
			if !errors.As(err, &pe) {
				t.Fatalf("not refused: %v", err)
			}
			msg := err.Error()
			for _, want := range []string{"docker:secret.example.com requirement 0", tt.field, "nothing was changed", "public part"} {
				if !strings.Contains(msg, want) && !(want == "public part" && strings.Contains(msg, "CERTIFICATE blocks")) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, []byte(raw)) {
				t.Error("policy.json changed")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("files left next to it: %v", entries)
			}
			var found bool
			for _, d := range CheckKeyFiles(pf.Policy, node.NewPaths(dir, "", "", ""), nil) {
				if d.Code == "key-private" && d.Severity == model.Error && d.Target != nil && d.Target.Requirement == 0 &&
					strings.HasPrefix(tt.field, d.Target.Field) {
					found = true
				}
			}
			if !found {
				t.Error("lint does not report it")
			}
		})
	}
}

// TestSavePublicMaterialStillWorks: the check does not refuse the public
// forms of the same fields.
func TestSavePublicMaterialStillWorks(t *testing.T) {
	e := gpgtest.NewKey(t, "pub")
	_, _, public := gpgtest.ECPrivatePEM(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.json")
	pf, _ := LoadPolicy(path)
	p := &model.Policy{Default: model.Requirements{{Type: model.Reject}}}
	p.SetScope(model.TransportDocker, "a.example.com", model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyData: gpgtest.ArmoredPublic(t, e)}})
	p.SetScope(model.TransportDocker, "b.example.com", model.Requirements{{Type: model.SigstoreSigned, KeyData: public}})
	if _, err := SavePolicy(pf, p, SaveOptions{AllowWeaken: true}); err != nil {
		t.Fatal(err)
	}
	if d := CheckKeyFiles(pf.Policy, node.NewPaths(dir, "", "", ""), nil); len(d) != 0 {
		t.Errorf("diagnostics: %v", d)
	}
}

// TestSaveThatRemovesPrivateMaterialKeepsNoBackup: the save that removes
// a secret key from policy.json does not keep a copy of it as backup.
func TestSaveThatRemovesPrivateMaterialKeepsNoBackup(t *testing.T) {
	sec1, _, _ := gpgtest.ECPrivatePEM(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.json")
	raw := `{"default":[{"type":"reject"}],"transports":{"docker":{"secret.example.com":[{"type":"sigstoreSigned","keyData":"` + base64.StdEncoding.EncodeToString(sec1) + `"}]}}}`
	os.WriteFile(path, []byte(raw), 0o644)
	pf, err := LoadPolicy(path)
	if err != nil {
		t.Fatal(err)
	}
	p := pf.Policy.Clone()
	p.Transport(model.TransportDocker).Scope("secret.example.com").Requirements = model.Requirements{{Type: model.Reject}}
	res, err := SavePolicy(pf, p, SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.BackupPath != "" {
		t.Errorf("backup written to %s", res.BackupPath)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files next to policy.json: %v", entries)
	}
}

// TestPrivateMaterialInAComment: a private key in a comment of
// policy.json is reported, and the save that drops it keeps no backup.
func TestPrivateMaterialInAComment(t *testing.T) {
	sec1, _, _ := gpgtest.ECPrivatePEM(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.json")
	raw := "/*\n" + string(sec1) + "*/\n" + `{"default":[{"type":"reject"}]}`
	os.WriteFile(path, []byte(raw), 0o644)
	pf, err := LoadPolicy(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := RawPrivateDiagnostics(pf); len(d) != 1 || d[0].Severity != model.Error || !strings.Contains(d[0].Message, "EC PRIVATE KEY") {
		t.Fatalf("diagnostics: %v", d)
	}
	res, err := SavePolicy(pf, pf.Policy.Clone(), SaveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.BackupPath != "" {
		t.Errorf("backup of the secret written to %s", res.BackupPath)
	}
	if data, _ := os.ReadFile(path); strings.Contains(string(data), "PRIVATE") {
		t.Errorf("still there:\n%s", data)
	}
}
