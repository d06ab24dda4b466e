package workspace

import (
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kios/imgtrust/gpg/gpgtest"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// TestSaveRefusesPrivateMaterialElsewhere: an edit of another scope (what
// the TUI and `keys import --reference` do) does not rewrite a secret key
// that the policy already holds; Problems reports it.
func TestSaveRefusesPrivateMaterialElsewhere(t *testing.T) {
	secret := gpgtest.SecretForms(t)["relabelled behind a MESSAGE line"]
	policy := `{"default":[{"type":"reject"}],"transports":{"docker":{"secret.example.com":[{"type":"signedBy","keyType":"GPGKeys","keyData":"` +
		base64.StdEncoding.EncodeToString(secret) + `"}]}}}`
	paths := newRoot(t, policy)
	w, err := Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, d := range w.Problems() {
		found = found || d.Code == "key-private" && d.Severity == model.Error
	}
	if !found {
		t.Error("Problems does not report the secret key")
	}
	w.Edit("another scope", func(p *model.Policy) {
		p.SetScope(model.TransportDocker, "other.example.com", model.Requirements{{Type: model.Reject}})
	})
	var pe *policyio.PrivateKeyError
	if err := w.Save("", true); !errors.As(err, &pe) || !strings.Contains(err.Error(), "docker:secret.example.com requirement 0 (signedBy) keyData") {
		t.Fatalf("err = %v", err)
	}
	if data, _ := os.ReadFile(paths.Policy); string(data) != policy {
		t.Error("policy.json changed")
	}
}
