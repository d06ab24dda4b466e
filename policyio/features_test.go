package policyio

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/runtimever"
)

// TestCheckPolicyFeatures: each policy.json feature of the table is
// reported on the release just before the one that added it (the first
// tag containing the commit, see runtimever) and not on that release; the
// position is the key's; an assumed version gives a warning that says so.
func TestCheckPolicyFeatures(t *testing.T) {
	const sigstoreKey = `{"type": "sigstoreSigned", "keyPath": "/k.pub"`
	tests := []struct {
		name, before, since string
		req                 string // one requirement under docker "r.example/a"
		scope               string // a docker scope instead of "r.example/a"
		want                string // the key or value reported
		path                string // the diagnostic's path
	}{
		// signature/policy_config.go: prSignedBy.UnmarshalJSON
		{name: "signedBy keyPaths", before: "v5.21.1", since: "v5.22.0",
			req: `{"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/k.gpg"]}`, want: "keyPaths", path: `transports.docker["r.example/a"][0].keyPaths`},
		// signature/policy_config_sigstore.go: newPolicyRequirementFromJSON's type switch
		{name: "sigstoreSigned", before: "v5.21.1", since: "v5.22.0", req: sigstoreKey + `}`, want: "sigstoreSigned", path: `transports.docker["r.example/a"][0].type`},
		// policy_config_sigstore.go: prSigstoreSigned.UnmarshalJSON
		{name: "fulcio", before: "v5.23.1", since: "v5.24.0",
			req: `{"type": "sigstoreSigned", "fulcio": {"caPath": "/ca", "oidcIssuer": "https://i", "subjectEmail": "a@b"}, "rekorPublicKeyPath": "/r.pub"}`, want: "fulcio", path: `transports.docker["r.example/a"][0].fulcio`},
		{name: "rekorPublicKeyData", before: "v5.23.1", since: "v5.24.0", req: sigstoreKey + `, "rekorPublicKeyData": "AAAA"}`, want: "rekorPublicKeyData", path: `transports.docker["r.example/a"][0].rekorPublicKeyData`},
		{name: "sigstore keyPaths", before: "v5.32.2", since: "v5.33.0", req: `{"type": "sigstoreSigned", "keyPaths": ["/k.pub"]}`, want: "keyPaths", path: `transports.docker["r.example/a"][0].keyPaths`},
		{name: "sigstore keyDatas", before: "v5.32.2", since: "v5.33.0", req: `{"type": "sigstoreSigned", "keyDatas": ["AAAA"]}`, want: "keyDatas", path: `transports.docker["r.example/a"][0].keyDatas`},
		{name: "rekorPublicKeyPaths", before: "v5.32.2", since: "v5.33.0", req: sigstoreKey + `, "rekorPublicKeyPaths": ["/r.pub"]}`, want: "rekorPublicKeyPaths", path: `transports.docker["r.example/a"][0].rekorPublicKeyPaths`},
		{name: "pki", before: "v5.34.3", since: "v5.35.0",
			req: `{"type": "sigstoreSigned", "pki": {"caRootsPath": "/ca", "subjectEmail": "a@b"}}`, want: "pki", path: `transports.docker["r.example/a"][0].pki`},
		// signature/policy_config.go: newPolicyReferenceMatchFromJSON
		{name: "remapIdentity", before: "v5.8.1", since: "v5.9.0",
			req: `{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k.gpg", "signedIdentity": {"type": "remapIdentity", "prefix": "a.example", "signedPrefix": "b.example"}}`, want: "remapIdentity", path: `transports.docker["r.example/a"][0].signedIdentity.type`},
		// docker/policyconfiguration/naming.go
		{name: "wildcard scope", before: "v5.9.1", since: "v5.10.0", scope: "*.example.com", req: `{"type": "reject"}`, want: "*.example.com", path: `transports.docker["*.example.com"]`},
		// In no release through v5.42.1.
		{name: "buildSignerURI", before: "v5.42.1", since: "v5.43.0",
			req: `{"type": "sigstoreSigned", "fulcio": {"caPath": "/ca", "oidcIssuer": "https://i", "buildSignerURI": "https://b"}, "rekorPublicKeyPath": "/r.pub"}`, want: "buildSignerURI", path: `transports.docker["r.example/a"][0].fulcio.buildSignerURI`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scope := tt.scope
			if scope == "" {
				scope = "r.example/a"
			}
			src := "{\n\"default\": [{\"type\": \"reject\"}],\n\"transports\": {\"docker\": {\n\"" + scope + "\": [" + tt.req + "]\n}}}\n"
			if _, diags := ParsePolicy("p.json", []byte(src)); diags.HasErrors() {
				t.Fatalf("the newest grammar refuses the case itself: %v", diags)
			}
			got := CheckPolicyFeatures("p.json", []byte(src), runtimever.Known(tt.before, "test"))
			var d model.Diagnostic
			for _, g := range got {
				if strings.Contains(g.Message, `"`+tt.want+`"`) {
					d = g
				}
			}
			if d.Code == "" {
				t.Fatalf("on %s: nothing about %q: %v", tt.before, tt.want, got)
			}
			if d.Path != tt.path {
				t.Errorf("path %q, want %q", d.Path, tt.path)
			}
			wantSev := model.Error
			if tt.scope != "" {
				wantSev = model.Warning // loaded, never matched
			}
			if d.Severity != wantSev || d.Code != "runtime-version" || !strings.Contains(d.Message, `"`+tt.want+`"`) || d.Fix == "" {
				t.Errorf("on %s: %+v", tt.before, d)
			}
			line := strings.Split(src, "\n")[d.Pos.Line-1]
			if d.Pos.Line != 4 || !strings.Contains(line[d.Pos.Col-1:], tt.want) && !strings.HasPrefix(line[d.Pos.Col-1:], "{") {
				t.Errorf("position %v does not point at %q in %q", d.Pos, tt.want, line)
			}
			if d.Severity == model.Error && !strings.Contains(d.Runtime, tt.want) {
				t.Errorf("runtime text %q does not name %q", d.Runtime, tt.want)
			}
			if got := CheckPolicyFeatures("p.json", []byte(src), runtimever.Known(tt.since, "test")); len(got) != 0 {
				t.Errorf("on %s: %v, want none", tt.since, got)
			}
			assumed := CheckPolicyFeatures("p.json", []byte(src), runtimever.Assume(tt.before, "no binary"))
			if len(assumed) != len(got) || assumed[0].Severity != model.Warning || !strings.Contains(assumed[0].Message, "assumed "+tt.before) {
				t.Errorf("assumed %s: %v, want one warning saying what was assumed", tt.before, assumed)
			}
		})
	}
}

// TestCheckPolicyFeaturesIgnoresWhatItCannotRead: a file that does not
// parse, and keys outside requirements, give nothing (ParsePolicy reports
// the syntax; a key name elsewhere is no requirement key).
func TestCheckPolicyFeaturesIgnoresWhatItCannotRead(t *testing.T) {
	old := runtimever.Known("v5.0.0", "test")
	for _, src := range []string{
		`{"default": [`,
		``,
		`[]`,
		`{"default": [{"type": "insecureAcceptAnything", "keyPaths": ["/x"]}]}`,
		`{"transports": {"docker": {"keyPaths": [{"type": "reject"}]}}}`,
	} {
		if got := CheckPolicyFeatures("p.json", []byte(src), old); len(got) != 0 {
			t.Errorf("%s: %v", src, got)
		}
	}
}

// featureSeeds are policies that use every feature of the table, spelled
// plainly, with escapes, under comments and duplicate keys (which send
// the lazy path to the full one), and the repository's policies.
func featureSeeds() [][]byte {
	out := lazySeeds()
	for _, s := range []string{
		`{"transports": {"docker": {"r.example/a": [{"type": "sigstoreSigned", "keyPaths": ["/k"], "fulcio": {"caPath": "/ca", "buildSignerURI": "x"}, "pki": {}, "rekorPublicKeyDatas": ["AA"]}]}}}`,
		`{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPaths": ["/k"], "signedIdentity": {"type": "remapIdentity"}}]}`,
		`{"transports": {"docker": {"*.example.com": [{"type": "reject"}]}}}`,
		`{"transports": {"atomic": {"*.x": [{"type": "sigstoreSigned"}]}}}`,
		`{"transports": {"docker": {"r.example/a": [{"type": "\u0073igstoreSigned", "keyPath": "/k"}]}}}`,
		`{"transports": {"docker": {"\u002a.example.com": [{"type": "reject"}]}}}`,
		`{"transports": {"docker": {"r.example/a": [{"type": "signedBy", "key\u0050aths": ["/k"]}]}}}`,
		`{"transports": {"docker": /* c */ {"r.example/a": [{"type": "sigstoreSigned", "keyDatas": ["AA"]}]}}}`,
		`{"transports": {"docker": {"r.example/a": [{"type": "sigstoreSigned"}], "r.example/a": [{"type": "sigstoreSigned", "pki": {}}]}}}`,
		`{"transports": {"docker": {"r.example/a": [{"type": "sigstoreSigned", "fulcio": {}}]}}, "transports": {}}`,
		`{"default": [{"type": "sigstoreSigned", "keyPaths": []}], "default": [{"type": "sigstoreSigned", "keyDatas": []}]}`,
		`{"transports": {"docker": {"r.example/a": [{"type": "sigstoreSigned",}],}}}`,
		"\xef\xbb\xbf" + `{"transports": {"docker": {"*.example.com": [{"type": "sigstoreSigned"}]}}}`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// sameFeatureDiagnostics: CheckPolicyFeatures (the byte scan, then the
// lazy path or its fallback) reports what the whole tree's check does.
func sameFeatureDiagnostics(t *testing.T, data []byte) {
	t.Helper()
	old := runtimever.Known("v5.0.0", "test")
	got := CheckPolicyFeatures("p.json", data, old)
	src := data
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		src = append([]byte("   "), src[3:]...)
	}
	var want model.Diagnostics
	if jsonTooDeep(src, MaxJSONDepth) < 0 {
		want = checkFeaturesFull("p.json", src, old)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n got  %v\n want %v", data, got, want)
	}
}

// TestFeatureCheckPathsAgree: the fast paths change nothing, on files
// with each feature (escaped ones included) and on files the lazy path
// hands to the full one.
func TestFeatureCheckPathsAgree(t *testing.T) {
	reported := 0
	for _, data := range featureSeeds() {
		sameFeatureDiagnostics(t, data)
		if len(CheckPolicyFeatures("p.json", data, runtimever.Known("v5.0.0", "test"))) > 0 {
			reported++
		}
	}
	if reported < 12 {
		t.Errorf("only %d seeds reported a feature: the seeds no longer exercise the check", reported)
	}
}

// TestFeatureCheckLazyPath: a plain file is checked one scope at a time,
// and a comment between scopes, a duplicate key or a trailing comma at
// the outer levels sends it to the whole tree.
func TestFeatureCheckLazyPath(t *testing.T) {
	old := runtimever.Known("v5.0.0", "test")
	for _, tt := range []struct {
		src  string
		lazy bool
	}{
		{`{"transports": {"docker": {"r.example/a": [{"type": "sigstoreSigned" /* ok inside */}]}}}`, true},
		{`{"transports": {"docker": {"r.example/a": [], /* c */ "*.b": []}}}`, false},
		{`{"default": [], "default": [{"type": "sigstoreSigned"}]}`, false},
		{`{"transports": {"docker": {"*.b": [],}}}`, false},
	} {
		_, lazy := checkFeaturesLazy("p.json", []byte(tt.src), old)
		if lazy != tt.lazy {
			t.Errorf("%s: lazy %v, want %v", tt.src, lazy, tt.lazy)
		}
	}
}

// TestMentionsFeature: the byte scan lets through every spelling of a
// feature and skips a file with none.
func TestMentionsFeature(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want bool
	}{
		{`{"default": [{"type": "signedBy", "keyPath": "/k"}], "transports": {"docker": {"a.example": [{"type": "reject"}]}}}`, false},
		{`{"transports": {"docker": {"a.example/*.x": [{"type": "reject"}]}}}`, false},
		{`{"transports": {"docker": {"*.example.com": []}}}`, true},
		{`{"default": [{"type": "sigstoreSigned"}]}`, true},
		{`{"default": [{"type": "signedBy", "keyPaths": []}]}`, true},
		{`{"default": [{"type": "signedBy", "signedIdentity": {"type": "remapIdentity"}}]}`, true},
		{`{"default": [{"type": "\u0073igstoreSigned"}]}`, true},
	} {
		if got := mentionsFeature([]byte(tt.src)); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.src, got, tt.want)
		}
	}
}

// FuzzFeatureCheckMatchesFull: whatever the input, the fast paths report
// what the whole tree's check does.
func FuzzFeatureCheckMatchesFull(f *testing.F) {
	for _, s := range featureSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameFeatureDiagnostics(t, data) })
}
