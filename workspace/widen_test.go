package workspace

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// TestDroppingOneOfTwoRulesNeedsConsent is the TUI's "delete rule 1 of a
// scope with two signedBy rules, save": both had to hold, so one is
// weaker, and the save review says which signature is no longer needed.
func TestDroppingOneOfTwoRulesNeedsConsent(t *testing.T) {
	paths := newRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"registry.example.com/team":[
		{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/alice.gpg"},
		{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/bob.gpg"}]}}}`)
	for name, uid := range map[string]string{"alice.gpg": "Alice", "bob.gpg": "Bob"} {
		e, err := openpgp.NewEntity(uid, "", "", &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		e.Serialize(&buf)
		os.MkdirAll(paths.KeysDir, 0o755)
		os.WriteFile(filepath.Join(paths.KeysDir, name), buf.Bytes(), 0o644)
	}
	w, err := Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(paths.Policy)
	w.Edit("delete rule 1", func(p *model.Policy) {
		s := p.Transport("docker").Scope("registry.example.com/team")
		s.Requirements = s.Requirements[:1]
	})
	ch, err := w.PolicyChange()
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Weakenings) != 1 || !strings.Contains(ch.Weakenings[0].String(), "no longer need: signed by 1 key: /etc/gpg/bob.gpg") {
		t.Fatalf("weakenings: %v", ch.Weakenings)
	}
	var we *policyio.WeakenError
	if err := w.Save("", false); !errors.As(err, &we) {
		t.Fatalf("err = %v, want WeakenError", err)
	}
	if after, _ := os.ReadFile(paths.Policy); !bytes.Equal(after, before) {
		t.Error("policy.json changed without consent")
	}
	if err := w.Save("", true); err != nil {
		t.Fatal(err)
	}
}

// TestFixingAnUnloadablePolicyNeedsConsent: with a comment in it the
// runtime refuses every pull; the rewritten file lets images in again.
func TestFixingAnUnloadablePolicyNeedsConsent(t *testing.T) {
	paths := newRoot(t, "// admin note\n{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}")
	w, err := Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	w.Edit("rewrite", func(p *model.Policy) {})
	ch, err := w.PolicyChange()
	if err != nil || ch == nil {
		t.Fatalf("change: %v %v", ch, err)
	}
	if len(ch.Weakenings) == 0 || !strings.Contains(ch.Weakenings[0].String(), "cannot be loaded by the runtime") {
		t.Fatalf("weakenings: %v", ch.Weakenings)
	}
}
