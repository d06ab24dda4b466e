package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSkopeoLoadsPolicySetFiles: with IMGTRUST_SKOPEO=1 (the CI step
// .ci/steps/10-skopeo-accepts.sh, after installing Debian's skopeo), every
// policy.json that `imgtrust policy default|set|remove` writes, per rule
// and identity family, is loaded by skopeo: the runtime's own parser.
func TestSkopeoLoadsPolicySetFiles(t *testing.T) {
	if os.Getenv("IMGTRUST_SKOPEO") == "" {
		t.Skip("set IMGTRUST_SKOPEO=1 with skopeo installed to load the written files with the runtime's parser")
	}
	if _, err := exec.LookPath("skopeo"); err != nil {
		t.Fatal("IMGTRUST_SKOPEO=1 but skopeo is not installed")
	}
	base := `{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:1/pause":[{"type":"insecureAcceptAnything"}]}}}`
	for _, args := range [][]string{
		{"default", "reject"},
		{"default", "accept"},
		{"default", "signed-by", "--signed-by", "/etc/gpg/a.gpg"},
		{"set", "quay.io", "--accept"},
		{"set", "quay.io", "--reject"},
		{"set", "quay.io/team", "--signed-by", "/etc/gpg/a.gpg", "--signed-by", "/etc/gpg/b.gpg"},
		{"set", "quay.io/team", "--signed-by", "/etc/gpg/a.gpg", "--embed"},
		{"set", "quay.io/team", "--signed-by", "/etc/gpg/a.gpg", "--identity", "matchRepository"},
		{"set", "quay.io/team", "--signed-by", "/etc/gpg/a.gpg", "--identity", "matchExact"},
		{"set", "quay.io/team", "--signed-by", "/etc/gpg/a.gpg", "--identity", "exactReference", "--identity-ref", "quay.io/team/app:1"},
		{"set", "quay.io/team", "--signed-by", "/etc/gpg/a.gpg", "--identity", "exactRepository", "--identity-repo", "quay.io/team/app"},
		{"set", "quay.io/team", "--signed-by", "/etc/gpg/a.gpg", "--identity", "remapIdentity", "--prefix", "mirror.example/team", "--signed-prefix", "quay.io/team"},
		{"set", "ghcr.io/org", "--sigstore-key", "/etc/pki/cosign.pub"},
		{"set", "ghcr.io/org", "--sigstore-key", "/etc/pki/cosign.pub", "--sigstore-key", "/etc/pki/cosign2.pub", "--rekor-key", "/etc/pki/rekor.pub"},
		{"set", "ghcr.io/org", "--fulcio-ca", "/etc/pki/fulcio.pem", "--oidc-issuer", "https://token.actions.githubusercontent.com", "--subject-email", "ci@example.com", "--rekor-key", "/etc/pki/rekor.pub"},
		{"set", "ghcr.io/org", "--pki-roots", "/etc/pki/roots.pem", "--pki-subject-email", "ci@example.com"},
		{"set", "x.example", "--signed-base-layer", "--identity", "exactRepository", "--identity-repo", "x.example/base"},
		{"set", "/srv/images", "--transport", "dir", "--reject"},
		{"remove", "127.0.0.1:1/pause", "--allow-lockout"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			root := scratchRoot(t, base, nodeFiles("127.0.0.1:1/pause:3.10", map[string]string{
				"etc/gpg/a.gpg": testPublicKey(t), "etc/gpg/b.gpg": testPublicKey(t),
			}))
			code, out, errs := run(t, append([]string{"--root", root, "--mechanism", "openpgp-gocrypto", "policy"}, append(args, "--allow-weaken", "--offline")...)...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
			policy := filepath.Join(root, "etc/containers/policy.json")
			dir := t.TempDir()
			msg, _ := exec.Command("skopeo", "--policy", policy, "copy", "dir:"+filepath.Join(dir, "nonexistent"), "dir:"+filepath.Join(dir, "out")).CombinedOutput()
			// The source does not exist: skopeo loads the policy first, so
			// any other error is the policy's.
			if key := newerKey(args); key != "" && strings.Contains(string(msg), `Unknown key \"`+key+`\"`) {
				t.Skipf("Debian's skopeo 1.9 (containers/image v5.23) predates %q; the v5.38+ runtime the spec describes reads it", key)
			}
			if !strings.Contains(string(msg), "nonexistent") || strings.Contains(string(msg), "trust policy") {
				data, _ := os.ReadFile(policy)
				t.Errorf("skopeo refuses the file imgtrust wrote:\n%s\n%s", msg, data)
			}
		})
	}
}

// newerKey is the policy key a rule family writes that containers/image
// v5.23 does not know yet ("" for the others).
func newerKey(args []string) string {
	joined := strings.Join(args, " ")
	switch {
	case strings.Count(joined, "--sigstore-key") > 1:
		return "keyPaths"
	case strings.Contains(joined, "--fulcio-ca"):
		return "fulcio"
	case strings.Contains(joined, "--pki-roots"):
		return "pki"
	}
	return ""
}
