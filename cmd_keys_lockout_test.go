package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// ed25519PublicKey is a key golang.org/x/crypto/openpgp cannot parse: under
// the openpgp-xcrypto mechanism a rule with only this key rejects every
// image, which the policy alone decides.
func ed25519PublicKey(t *testing.T) []byte {
	t.Helper()
	e, err := openpgp.NewEntity("ed", "", "ed@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestKeysImportLockout: an import whose --reference rule makes the pause
// image unpullable writes nothing without --allow-lockout, and names the
// image and why.
func TestKeysImportLockout(t *testing.T) {
	pol := `{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:1/pause":[{"type":"insecureAcceptAnything"}]}}}`
	root := scratchRoot(t, pol, nodeFiles("127.0.0.1:1/pause:3.10", nil))
	keyFile := filepath.Join(t.TempDir(), "ed.gpg")
	if err := os.WriteFile(keyFile, ed25519PublicKey(t), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--root", root, "--mechanism", "openpgp-xcrypto", "keys", "import", keyFile, "--name", "ed.gpg", "--reference", "127.0.0.1:1/pause"}
	// Without --force the key is refused before the lockout check (the
	// mechanism cannot use it: TestKeysImportRefusesUnusableKey).
	if code, _, errs := run(t, args...); code != exitFindings || !strings.Contains(errs, "repeat with --force") {
		t.Fatalf("without --force: exit %d\n%s", code, errs)
	}
	args = append(args, "--force")
	code, out, errs := run(t, args...)
	if code != exitFindings || !strings.Contains(errs, "refused, nothing was written: the pause image 127.0.0.1:1/pause:3.10 would be rejected") ||
		!strings.Contains(errs, "cannot be loaded by the node's mechanism (openpgp-xcrypto)") || !strings.Contains(errs, "--allow-lockout") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/gpg/ed.gpg")); err == nil {
		t.Error("the key file was written although the import was refused")
	}
	if data, _ := os.ReadFile(filepath.Join(root, "etc/containers/policy.json")); string(data) != pol {
		t.Errorf("policy.json changed:\n%s", data)
	}
	code, out, errs = run(t, append(args, "--allow-lockout")...)
	if code != exitOK || !strings.Contains(errs, "--allow-lockout: the pause image") {
		t.Fatalf("with --allow-lockout: exit %d\n%s%s", code, out, errs)
	}
	// Under a mechanism that loads the key, the same import is no lockout
	// (the registry is out of reach: not checked, so not refused).
	root2 := scratchRoot(t, pol, nodeFiles("127.0.0.1:1/pause:3.10", nil))
	if code, out, errs := run(t, "--root", root2, "--mechanism", "openpgp-gocrypto", "keys", "import", keyFile, "--reference", "127.0.0.1:1/pause"); code != exitOK {
		t.Fatalf("gocrypto: exit %d\n%s%s", code, out, errs)
	}
}
