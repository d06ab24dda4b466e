package model

import (
	"strings"
	"testing"
)

func samplePolicy() *Policy {
	p := &Policy{Default: Requirements{{Type: Reject}}}
	p.SetScope("docker", "example.com", Requirements{{
		Type: SignedBy, KeyType: KeyTypeGPGKeys, KeyPaths: []string{"/etc/gpg/a.gpg"}, KeyData: []byte("k"),
		SignedIdentity: &Identity{Type: MatchRepository}, FieldPos: []FieldPos{{Field: "keyPaths", Line: 3}},
	}})
	return p
}

func TestCloneIsDeep(t *testing.T) {
	p := samplePolicy()
	c := p.Clone()
	r := c.Transport("docker").Scope("example.com").Requirements[0]
	r.KeyPaths[0] = "/changed"
	r.KeyData[0] = 'x'
	r.SignedIdentity.Type = MatchExact
	r.FieldPos[0].Line = 9
	c.Default[0].Type = InsecureAcceptAnything
	orig := p.Transport("docker").Scope("example.com").Requirements[0]
	if orig.KeyPaths[0] != "/etc/gpg/a.gpg" || orig.KeyData[0] != 'k' || orig.SignedIdentity.Type != MatchRepository ||
		orig.FieldPosition("keyPaths").Line != 3 || p.Default[0].Type != Reject {
		t.Errorf("editing the clone changed the original: %+v", orig)
	}
}

func TestScopes(t *testing.T) {
	p := samplePolicy()
	p.SetScope("docker", "quay.io", Requirements{{Type: Reject}})
	p.SetScope("docker", "example.com", Requirements{{Type: InsecureAcceptAnything}})
	if got := len(p.Transport("docker").Scopes); got != 2 {
		t.Fatalf("scopes: %d", got)
	}
	if p.Requirements(ScopeRef{Transport: "docker", Scope: "example.com"})[0].Type != InsecureAcceptAnything {
		t.Error("SetScope did not replace")
	}
	if !p.RemoveScope("docker", "quay.io") || p.RemoveScope("docker", "quay.io") {
		t.Error("RemoveScope")
	}
	p.RemoveScope("docker", "example.com")
	if p.Transport("docker") != nil {
		t.Error("an empty transport section was left")
	}
	var refs []string
	samplePolicy().EachList(func(ref ScopeRef, _ Pos, _ Requirements) { refs = append(refs, ref.String()) })
	if strings.Join(refs, ",") != "docker:example.com,default" {
		t.Errorf("EachList order: %v", refs)
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		req  Requirement
		want string
	}{
		{Requirement{Type: Reject}, "reject every image"},
		{Requirement{Type: InsecureAcceptAnything}, "accept anything"},
		{Requirement{Type: SignedBy, KeyPath: "/etc/gpg/k.gpg"}, "signed by 1 key: 3A5C…E1F0 (release@example.com), identity must match the tag (or, by digest, the repository)"},
		{Requirement{Type: SignedBy, KeyPaths: []string{"/a", "/b"}, SignedIdentity: &Identity{Type: MatchRepository}}, "signed by 2 keys: /a, /b, identity must match the repository"},
		{Requirement{Type: SignedBy, KeyData: []byte("x"), SignedIdentity: &Identity{Type: ExactReference, DockerReference: "r.example/a:1"}}, "signed by 1 key: inline key data, identity must be exactly r.example/a:1"},
		{Requirement{Type: SignedBy, KeyPath: "/a", SignedIdentity: &Identity{Type: RemapIdentity, Prefix: "m.example", SignedPrefix: "r.example"}}, "rewriting m.example to r.example"},
		{Requirement{Type: SigstoreSigned, Fulcio: &Fulcio{SubjectEmail: "dev@example.com", OIDCIssuer: "https://oauth2.example.com"}}, "a Fulcio certificate for dev@example.com from https://oauth2.example.com"},
		{Requirement{Type: SigstoreSigned, Fulcio: &Fulcio{BuildSignerURI: "https://ci.example.com/build", OIDCIssuer: "https://token.example.com"}}, "a Fulcio certificate of the build signer https://ci.example.com/build from https://token.example.com"},
	}
	label := func(k KeyRef) string {
		if k.Path == "/etc/gpg/k.gpg" {
			return "3A5C…E1F0 (release@example.com)"
		}
		return ""
	}
	for _, tt := range tests {
		if got := tt.req.Describe(label); !strings.Contains(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.req.Type, got, tt.want)
		}
	}
}

func TestDiagnosticsSorted(t *testing.T) {
	ds := Diagnostics{
		{Severity: Warning, Pos: Pos{File: "a", Line: 1}},
		{Severity: Error, Pos: Pos{File: "b", Line: 9}},
		{Severity: Error, Pos: Pos{File: "b", Line: 2}},
	}
	s := ds.Sorted()
	if s[0].Pos.Line != 2 || s[1].Pos.Line != 9 || s[2].Severity != Warning {
		t.Errorf("order: %+v", s)
	}
	if ds.Count(Error) != 2 || !ds.HasErrors() {
		t.Error("counts")
	}
}
