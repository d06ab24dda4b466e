package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/kios/imgtrust/policyio"
)

func TestKeysCommands(t *testing.T) {
	e, err := openpgp.NewEntity("Release", "", "release@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256})
	if err != nil {
		t.Fatal(err)
	}
	var pub, sec bytes.Buffer
	e.Serialize(&pub)
	e.SerializePrivate(&sec, nil)
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"pub.gpg": pub.String(), "sec.gpg": sec.String()})
	policyPath := filepath.Join(root, "etc/containers/policy.json")
	before, _ := os.ReadFile(policyPath)

	code, _, errs := run(t, "--root", root, "keys", "import", filepath.Join(root, "sec.gpg"), "--reference", "example.com")
	if code != exitFindings || !strings.Contains(errs, "gpg --export") {
		t.Fatalf("private key: exit %d %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/gpg")); !os.IsNotExist(err) {
		t.Error("the keys directory was created for a refused import")
	}
	if after, _ := os.ReadFile(policyPath); !bytes.Equal(before, after) {
		t.Error("policy.json changed after a refused import")
	}

	code, out, errs := run(t, "--root", root, "keys", "import", filepath.Join(root, "pub.gpg"), "--reference", "example.com", "--identity", "matchRepository")
	if code != exitOK || !strings.Contains(out, "imported to /etc/gpg/release-example.com-") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	data, _ := os.ReadFile(policyPath)
	p, diags := policyio.ParsePolicy("p", data)
	if diags.HasErrors() {
		t.Fatalf("written policy: %v", diags)
	}
	r := p.Transport("docker").Scope("example.com").Requirements[0]
	if !strings.HasPrefix(r.KeyPath, "/etc/gpg/release-example.com-") || r.SignedIdentity == nil || r.SignedIdentity.Type != "matchRepository" {
		t.Errorf("rule: %+v", r)
	}

	code, out, _ = run(t, "--root", root, "keys", "list", "--json")
	var inv struct {
		Keys []struct {
			File   string   `json:"file"`
			UsedBy []string `json:"used_by"`
		} `json:"keys"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &inv) != nil || len(inv.Keys) != 1 || inv.Keys[0].UsedBy[0] != "docker:example.com" {
		t.Fatalf("list: %d %s", code, out)
	}

	if code, _, errs := run(t, "--root", root, "keys", "remove", filepath.Base(inv.Keys[0].File)); code != exitFindings || !strings.Contains(errs, "still used by docker:example.com") {
		t.Errorf("remove of a used key: %d %s", code, errs)
	}
	if code, out, errs := run(t, "--root", root, "keys", "remove", filepath.Base(inv.Keys[0].File), "--drop-references"); code != exitOK {
		t.Fatalf("remove --drop-references: %d %s %s", code, out, errs)
	}
	data, _ = os.ReadFile(policyPath)
	if p, _ := policyio.ParsePolicy("p", data); p.Transport("docker").Scope("example.com").Requirements[0].Type != "reject" {
		t.Errorf("the rule left without a key should reject:\n%s", data)
	}
}

func TestLookasideCommands(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"registry.k8s.io/pause":[{"type":"insecureAcceptAnything"}],"registry.example.net":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"}]}}}`, map[string]string{
		"etc/containers/registries.d/registry.example.net.yaml": "# team\ndocker:\n  registry.example.net:\n    lookaside: https://lookaside.example.com\n",
		"etc/gpg/k.gpg": testPublicKey(t),
	})
	h := strings.Repeat("ab", 32)
	code, out, errs := run(t, "--root", root, "lookaside", "explain", "registry.example.net/team/app@sha256:"+h, "--count", "2", "--json")
	if code != exitOK {
		t.Fatalf("explain: %d %s", code, errs)
	}
	var ex struct {
		Scope string   `json:"scope"`
		URLs  []string `json:"urls"`
	}
	json.Unmarshal([]byte(out), &ex)
	if ex.Scope != "registry.example.net" || len(ex.URLs) != 2 || ex.URLs[1] != "https://lookaside.example.com/team/app@sha256="+h+"/signature-2" {
		t.Errorf("explain: %s", out)
	}
	if code, _, errs := run(t, "--root", root, "lookaside", "set", "registry.example.net", "https://new.example.com"); code != exitOK {
		t.Fatalf("set: %s", errs)
	}
	data, _ := os.ReadFile(filepath.Join(root, "etc/containers/registries.d/registry.example.net.yaml"))
	if !strings.Contains(string(data), "# team") || !strings.Contains(string(data), "https://new.example.com") {
		t.Errorf("edited file:\n%s", data)
	}
	if code, _, _ := run(t, "--root", root, "lookaside", "set", "busybox", "https://x"); code != exitFindings {
		t.Error("a scope that never matches was accepted")
	}
	if code, out, _ := run(t, "--root", root, "lookaside", "remove", "registry.example.net"); code != exitOK || !strings.Contains(out, "wrote /etc/containers/registries.d/registry.example.net.yaml") {
		t.Errorf("remove: %d %s", code, out)
	}
	if code, out, _ := run(t, "--root", root, "lint"); code != exitOK || !strings.Contains(out, "signed-without-lookaside") && !strings.Contains(out, "registries.d names no look-aside") {
		t.Errorf("lint after removal should warn about the signed scope:\n%s", out)
	}
}

// With no policy.json, import --reference creates one whose default is
// reject (no stricter than a missing file) and says so.
func TestKeysImportReferenceCreatesPolicy(t *testing.T) {
	root := scratchRoot(t, "", map[string]string{"pub.gpg": testPublicKey(t)})
	code, out, errs := run(t, "--root", root, "keys", "import", filepath.Join(root, "pub.gpg"), "--reference", "example.com/team")
	if code != exitOK || !strings.Contains(out, `created it with the default "reject"`) {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	data, err := os.ReadFile(filepath.Join(root, "etc/containers/policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, diags := policyio.ParsePolicy("p", data)
	if diags.HasErrors() || len(p.Default) != 1 || p.Default[0].Type != "reject" || p.Transport("docker").Scope("example.com/team") == nil {
		t.Fatalf("written policy:\n%s\n%v", data, diags)
	}
	// A second import into the now existing file says nothing of creating.
	code, out, _ = run(t, "--root", root, "keys", "import", filepath.Join(root, "pub.gpg"), "--reference", "example.com/other")
	if code != exitOK || strings.Contains(out, "did not exist") {
		t.Fatalf("second import: exit %d\n%s", code, out)
	}
}

// TestKeysListCountsNamespaceUses: a key file only a namespace policy
// names is used (by that file), not "unused": removing it would break
// the namespace's pulls.
func TestKeysListCountsNamespaceUses(t *testing.T) {
	tests := []struct {
		name string
		ns   string // the key file team-a.json names
		used []string
	}{
		{"namespace names the file", "/etc/gpg/k.gpg", []string{"/etc/crio/policies/team-a.json: default"}},
		{"namespace names another file", "/etc/gpg/other.gpg", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{
				"etc/gpg/k.gpg":                 testPublicKey(t),
				"etc/crio/policies/team-a.json": `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"` + tt.ns + `"}]}`,
			})
			code, out, errOut := run(t, "--json", "--root", root, "--mechanism", "openpgp-gocrypto", "keys", "list")
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			var inv struct {
				Keys []struct {
					File   string   `json:"file"`
					UsedBy []string `json:"used_by"`
				} `json:"keys"`
			}
			if err := json.Unmarshal([]byte(out), &inv); err != nil {
				t.Fatal(err)
			}
			if len(inv.Keys) != 1 || !slices.Equal(inv.Keys[0].UsedBy, tt.used) {
				t.Errorf("keys = %+v, want used by %q", inv.Keys, tt.used)
			}
		})
	}
}
