package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// TestPolicyCommands: each command and flag family, its exit code, what
// it prints, and that a written policy.json parses as the runtime reads it.
func TestPolicyCommands(t *testing.T) {
	base := `{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:1/pause":[{"type":"insecureAcceptAnything"}]}}}`
	tests := []struct {
		name  string
		args  []string
		code  int
		out   []string // in stdout+stderr
		wrote bool
		check func(t *testing.T, p *model.Policy)
	}{
		{"remove the pause scope: lockout refused", []string{"remove", "127.0.0.1:1/pause"}, exitFindings, []string{"LOCKOUT  127.0.0.1:1/pause:3.10 (pause image)", "--allow-lockout"}, false, nil},
		{"remove with --allow-lockout", []string{"remove", "127.0.0.1:1/pause", "--allow-lockout"}, exitOK, []string{"wrote /etc/containers/policy.json"}, true,
			func(t *testing.T, p *model.Policy) {
				if p.Transport("docker") != nil && p.Transport("docker").Scope("127.0.0.1:1/pause") != nil {
					t.Error("scope still there")
				}
			}},
		{"remove a scope that is not there", []string{"remove", "nothing.example"}, exitOK, []string{"nothing to do"}, false, nil},
		{"accept widens: refused", []string{"set", "quay.io", "--accept"}, exitFindings, []string{"widening: this change lets in", "--allow-weaken"}, false, nil},
		{"accept with --allow-weaken", []string{"set", "quay.io", "--accept", "--allow-weaken"}, exitOK, nil, true,
			func(t *testing.T, p *model.Policy) {
				if p.Transport("docker").Scope("quay.io").Requirements[0].Type != model.InsecureAcceptAnything {
					t.Error("not accept")
				}
			}},
		{"dry run writes nothing", []string{"set", "quay.io", "--accept", "--allow-weaken", "--dry-run"}, exitOK, []string{"--dry-run: nothing was written"}, false, nil},
		{"two keys become keyPaths, remapIdentity", []string{"set", "quay.io/team", "--signed-by", "/etc/gpg/a.gpg", "--signed-by", "/etc/gpg/b.gpg",
			"--identity", "remapIdentity", "--prefix", "mirror.example/team", "--signed-prefix", "quay.io/team", "--allow-weaken"}, exitOK, nil, true,
			func(t *testing.T, p *model.Policy) {
				r := p.Transport("docker").Scope("quay.io/team").Requirements[0]
				if len(r.KeyPaths) != 2 || r.SignedIdentity == nil || r.SignedIdentity.Type != model.RemapIdentity || r.SignedIdentity.SignedPrefix != "quay.io/team" {
					t.Errorf("rule %+v", r)
				}
			}},
		{"--embed writes keyData", []string{"set", "quay.io/team", "--signed-by", "/etc/gpg/a.gpg", "--embed", "--identity", "exactReference", "--identity-ref", "quay.io/team/app:1", "--allow-weaken"}, exitOK, nil, true,
			func(t *testing.T, p *model.Policy) {
				r := p.Transport("docker").Scope("quay.io/team").Requirements[0]
				if len(r.KeyData) == 0 || r.KeyPath != "" || r.SignedIdentity.DockerReference != "quay.io/team/app:1" {
					t.Errorf("rule %+v", r)
				}
			}},
		{"sigstore with Fulcio and Rekor", []string{"set", "ghcr.io/org", "--fulcio-ca", "/etc/pki/fulcio.pem", "--oidc-issuer", "https://token.actions.githubusercontent.com",
			"--subject-email", "ci@example.com", "--rekor-key", "/etc/pki/rekor.pub", "--allow-weaken"}, exitOK, nil, true,
			func(t *testing.T, p *model.Policy) {
				r := p.Transport("docker").Scope("ghcr.io/org").Requirements[0]
				if r.Type != model.SigstoreSigned || r.Fulcio == nil || r.Fulcio.SubjectEmail != "ci@example.com" || r.RekorPublicKeyPath != "/etc/pki/rekor.pub" {
					t.Errorf("rule %+v", r)
				}
			}},
		{"sigstore with PKI", []string{"set", "ghcr.io/org", "--pki-roots", "/etc/pki/roots.pem", "--pki-intermediates", "/etc/pki/int.pem", "--pki-subject-hostname", "ci.example.com", "--allow-weaken"}, exitOK, nil, true,
			func(t *testing.T, p *model.Policy) {
				r := p.Transport("docker").Scope("ghcr.io/org").Requirements[0]
				if r.PKI == nil || r.PKI.CAIntermediatesPath != "/etc/pki/int.pem" || r.PKI.SubjectHostname != "ci.example.com" {
					t.Errorf("rule %+v", r)
				}
			}},
		{"sigstore key, dir transport", []string{"set", "/srv/images", "--transport", "dir", "--sigstore-key", "/etc/pki/cosign.pub", "--allow-weaken"}, exitOK, nil, true,
			func(t *testing.T, p *model.Policy) {
				if r := p.Transport("dir").Scope("/srv/images").Requirements[0]; r.KeyPath != "/etc/pki/cosign.pub" {
					t.Errorf("rule %+v", r)
				}
			}},
		{"default signed-by", []string{"default", "signed-by", "--signed-by", "/etc/gpg/a.gpg", "--allow-weaken"}, exitOK, nil, true,
			func(t *testing.T, p *model.Policy) {
				if p.Default[0].Type != model.SignedBy || p.Default[0].KeyPath != "/etc/gpg/a.gpg" {
					t.Errorf("default %+v", p.Default[0])
				}
			}},
		{"default reject: nothing to do", []string{"default", "reject"}, exitOK, []string{"nothing to do"}, false, nil},
		{"default accept widens", []string{"default", "accept"}, exitFindings, []string{"--allow-weaken"}, false, nil},
		{"signed base layer without identity", []string{"set", "x.example", "--signed-base-layer"}, exitUsage, []string{"baseLayerIdentity"}, false, nil},
		{"two rules", []string{"set", "x.example", "--reject", "--accept"}, exitUsage, []string{"exactly one rule"}, false, nil},
		{"no rule", []string{"set", "x.example"}, exitUsage, []string{"exactly one rule"}, false, nil},
		{"missing identity argument", []string{"set", "x.example", "--signed-by", "/k", "--identity", "exactReference"}, exitUsage, []string{"needs --identity-ref"}, false, nil},
		{"unknown rule word", []string{"default", "maybe"}, exitUsage, []string{"unknown rule"}, false, nil},
		{"no scope", []string{"set", "--reject"}, exitUsage, []string{"SCOPE is required"}, false, nil},
		{"--embed of a private key is refused", []string{"set", "x.example", "--signed-by", "/etc/gpg/secret.asc", "--embed"}, exitFindings, []string{"--embed /etc/gpg/secret.asc"}, false, nil},
	}
	key := testPublicKey(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := scratchRoot(t, base, nodeFiles("127.0.0.1:1/pause:3.10", map[string]string{
				"etc/gpg/a.gpg": key, "etc/gpg/b.gpg": key,
				"etc/gpg/secret.asc": "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxx\n-----END PGP PRIVATE KEY BLOCK-----\n",
			}))
			code, out, errs := run(t, append([]string{"--root", root, "--mechanism", "openpgp-gocrypto", "policy"}, append(tt.args, "--offline")...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, out, errs)
			}
			for _, w := range tt.out {
				if !strings.Contains(out+errs, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errs)
				}
			}
			data, _ := os.ReadFile(filepath.Join(root, "etc/containers/policy.json"))
			if wrote := string(data) != base; wrote != tt.wrote {
				t.Fatalf("wrote = %v, want %v:\n%s", wrote, tt.wrote, data)
			}
			p, diags := policyio.ParsePolicy("policy.json", data)
			if diags.HasErrors() {
				t.Fatalf("written policy does not parse: %v", diags)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

// TestPolicyChangeWithoutPolicyFile: a change on a node with no
// policy.json writes a new one (it panicked comparing with the missing
// file's rules).
func TestPolicyChangeWithoutPolicyFile(t *testing.T) {
	for _, args := range [][]string{
		{"policy", "default", "reject", "--allow-lockout", "--offline"},
		{"policy", "set", "quay.io/x", "--accept", "--allow-weaken", "--offline"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			root := scratchRoot(t, "", nil)
			os.Remove(filepath.Join(root, "etc/containers/policy.json"))
			code, out, errs := run(t, append([]string{"--root", root, "--own-image", "none"}, args...)...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
			if data, err := os.ReadFile(filepath.Join(root, "etc/containers/policy.json")); err != nil || !strings.Contains(string(data), `"default"`) {
				t.Errorf("policy.json: %v\n%s", err, data)
			}
		})
	}
}
