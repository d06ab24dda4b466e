package workspace

import (
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

func TestSetupAnswersPropose(t *testing.T) {
	base, diags := policyio.ParsePolicy("base", []byte(`{"default":[{"type":"insecureAcceptAnything"}],
		"transports":{"docker":{"":[{"type":"insecureAcceptAnything"}],"quay.io/keep":[{"type":"reject"}]},
		"docker-daemon":{"":[{"type":"insecureAcceptAnything"}]}}}`))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, tc := range []struct {
		name string
		a    SetupAnswers
		want []string // substrings of the marshalled proposal
		not  []string
	}{
		{"signed with the default identity", SetupAnswers{Default: model.Reject, Signed: []string{"registry.example.com/team"}, KeyPath: "/etc/gpg/release.gpg",
			Identity: model.MatchRepoDigestOrExact, Open: []string{"registry.k8s.io"}},
			[]string{`"registry.example.com/team": [`, `"keyPath": "/etc/gpg/release.gpg"`, `"registry.k8s.io": [`, `"quay.io/keep"`, `"docker-daemon"`},
			[]string{"signedIdentity"}},
		{"signed with matchRepository", SetupAnswers{Default: model.Reject, Signed: []string{"a.example.com", "b.example.com"}, KeyPath: "/etc/gpg/k.gpg", Identity: model.MatchRepository},
			[]string{`"a.example.com"`, `"b.example.com"`, `"signedIdentity": {`, `"matchRepository"`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.a.Propose(base)
			if d := policyio.ValidatePolicy(p, "proposed"); d.HasErrors() {
				t.Fatalf("invalid proposal: %v", d)
			}
			if p.Default[0].Type != tc.a.Default {
				t.Errorf("default %v", p.Default[0].Type)
			}
			// The docker "" scope would override the default: it follows it.
			if got := p.Transport(model.TransportDocker).Scope("").Requirements[0].Type; got != tc.a.Default {
				t.Errorf(`docker "" scope is %v, want the default %v`, got, tc.a.Default)
			}
			data, err := policyio.MarshalPolicy(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(data), w) {
					t.Errorf("proposal lacks %s:\n%s", w, data)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(string(data), w) {
					t.Errorf("proposal has %s:\n%s", w, data)
				}
			}
		})
	}
	if base.Default[0].Type != model.InsecureAcceptAnything {
		t.Error("Propose changed its base")
	}
	if p := (SetupAnswers{Default: model.Reject}).Propose(nil); len(p.Default) != 1 {
		t.Error("no base: no default")
	}
}
