package policyio

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
)

// wrap puts a requirement into a docker scope of an otherwise valid policy.
func wrap(req string) string {
	return `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[` + req + `]}}}`
}

const validKey = `"keyType":"GPGKeys","keyPath":"/etc/gpg/k.gpg"`

// TestParsePolicyErrors pins each error to the message containers/image
// gives for the same input (policy-json.md §9): whatever imgtrust calls an
// error, the runtime refuses, and the Runtime field says how.
type errorCase struct {
	name    string
	in      string
	code    string
	runtime string
	pos     string // "line:col", optional
	fix     string // substring of the fix, optional
}

func errorCases() []errorCase {
	return []errorCase{
		{"empty file", ``, "empty", "unexpected end of JSON input", "1:1", ""},
		{"BOM", "\xef\xbb\xbf" + `{"default":[{"type":"reject"}]}`, "bom", "invalid character 'ï'", "1:1", ""},
		{"line comment", "// c\n" + `{"default":[{"type":"reject"}]}`, "comment", "invalid character '/'", "1:1", ""},
		{"block comment in object", `{ /* c */ "default":[{"type":"reject"}]}`, "comment", "invalid character '/'", "1:3", ""},
		{"comment after top level", "{\"default\":[{\"type\":\"reject\"}]} // c\n", "comment", "", "1:33", ""},
		{"trailing comma object", `{"default":[{"type":"reject"}],}`, "trailing-comma", "invalid character '}' looking for beginning of object key string", "1:31", "remove this comma"},
		{"trailing comma array", `{"default":[{"type":"reject"},]}`, "trailing-comma", "invalid character ']' looking for beginning of value", "1:30", ""},
		{"mismatched bracket", `{"default":[{"type":"reject"]]}`, "syntax", "", "1:29", `write '}' here instead of ']'`},
		{"missing comma", "{\"default\":[{\"type\":\"reject\"}]\n \"transports\":{}}", "syntax", "", "2:2", "comma is missing"},
		{"truncated", `{"default":[{"type":"reject"}]`, "syntax", "", "", "ends early"},
		{"null top level", `null`, "json-not-object", "JSON object expected, got <nil>", "1:1", ""},
		{"array top level", `[]`, "json-not-object", "JSON object expected, got 91", "1:1", ""},
		{"no default", `{}`, "default-missing", "Default policy is missing", "1:1", `"reject"`},
		{"default null", `{"default":null}`, "empty-requirements", "List of verification policy requirements must not be empty", "1:12", ""},
		{"default empty", `{"default":[]}`, "empty-requirements", "must not be empty", "", ""},
		{"default object", `{"default":{}}`, "wrong-type", "json: cannot unmarshal object into Go value of type []json.RawMessage", "", ""},
		{"duplicate default", `{"default":[{"type":"reject"}],"default":[{"type":"reject"}]}`, "duplicate-key", `Duplicate key "default"`, "1:32", ""},
		{"unknown top key", `{"default":[{"type":"reject"}],"Transports":{}}`, "unknown-key", `Unknown key "Transports"`, "", `did you mean "transports"`},
		{"transports null", `{"default":[{"type":"reject"}],"transports":null}`, "json-not-object", "got <nil>", "", ""},
		{"transport array", `{"default":[{"type":"reject"}],"transports":{"docker":[]}}`, "json-not-object", "got 91", "", ""},
		{"scope list empty", `{"default":[{"type":"reject"}],"transports":{"docker":{"a.com":[]}}}`, "empty-requirements", "must not be empty", "", ""},
		{"duplicate scope", `{"default":[{"type":"reject"}],"transports":{"docker":{"a.com":[{"type":"reject"}],"a.com":[{"type":"reject"}]}}}`, "duplicate-key", `Duplicate key "a.com"`, "", ""},
		{"dir relative scope", `{"default":[{"type":"reject"}],"transports":{"dir":{"relative/path":[{"type":"reject"}]}}}`, "invalid-scope", `Unknown key "relative/path"`, "", ""},
		{"dir root scope", `{"default":[{"type":"reject"}],"transports":{"dir":{"/":[{"type":"reject"}]}}}`, "invalid-scope", `Unknown key "/"`, "", ""},
		{"dir unclean scope", `{"default":[{"type":"reject"}],"transports":{"dir":{"/a/../b":[{"type":"reject"}]}}}`, "invalid-scope", `Unknown key "/a/../b"`, "", `"/b"`},
		{"docker-archive scope", `{"default":[{"type":"reject"}],"transports":{"docker-archive":{"/a/b":[{"type":"reject"}]}}}`, "invalid-scope", `Unknown key "/a/b"`, "", ""},
		{"docker-daemon id scope", `{"default":[{"type":"reject"}],"transports":{"docker-daemon":{"sha256:` + strings.Repeat("a", 64) + `":[{"type":"reject"}]}}}`, "invalid-scope", `Unknown key "sha256:`, "", ""},
		{"containers-storage no store", `{"default":[{"type":"reject"}],"transports":{"containers-storage":{"docker.io/library/busybox":[{"type":"reject"}]}}}`, "invalid-scope", `Unknown key "docker.io/library/busybox"`, "", ""},
		{"atomic too deep", `{"default":[{"type":"reject"}],"transports":{"atomic":{"a/b/c/d":[{"type":"reject"}]}}}`, "invalid-scope", `Unknown key "a/b/c/d"`, "", ""},
		{"requirement number", wrap(`1`), "wrong-type", "json: cannot unmarshal number into Go value of type signature.prCommon", "", ""},
		{"requirement null", wrap(`null`), "unknown-requirement-type", `Unknown policy requirement type ""`, "", ""},
		{"requirement empty", wrap(`{}`), "unknown-requirement-type", `Unknown policy requirement type ""`, "", ""},
		{"requirement type case", wrap(`{"type":"Reject"}`), "unknown-requirement-type", `Unknown policy requirement type "Reject"`, "", `did you mean "reject"`},
		{"requirement type number", wrap(`{"type":1}`), "wrong-type", "prTypeIdentifier", "", ""},
		{"requirement TYPE key", wrap(`{"type":"reject","Type":"reject"}`), "unknown-key", `Unknown key "Type"`, "", ""},
		{"duplicate type", wrap(`{"type":"reject","type":"reject"}`), "duplicate-key", `Duplicate key "type"`, "", ""},
		{"reject extra key", wrap(`{"type":"reject","x":1}`), "unknown-key", `Unknown key "x"`, "", ""},
		{"signedBy no key", wrap(`{"type":"signedBy","keyType":"GPGKeys"}`), "signedby-no-key", "none of them present", "", "imgtrust keys import"},
		{"signedBy two keys", wrap(`{"type":"signedBy","keyType":"GPGKeys","keyPath":"/a","keyData":""}`), "signedby-many-keys", "more than one present", "", ""},
		{"signedBy empty keyPath", wrap(`{"type":"signedBy","keyType":"GPGKeys","keyPath":""}`), "signedby-empty-key", "exactly one of keyPath, keyPaths and keyData must be specified", "", ""},
		{"signedBy null keyPaths", wrap(`{"type":"signedBy","keyType":"GPGKeys","keyPaths":null}`), "signedby-empty-key", "exactly one of", "", ""},
		{"signedBy null keyData", wrap(`{"type":"signedBy","keyType":"GPGKeys","keyData":null}`), "signedby-empty-key", "exactly one of", "", ""},
		{"signedBy no keyType", wrap(`{"type":"signedBy","keyPath":"/a"}`), "keytype-missing", `invalid keyType ""`, "", `"GPGKeys"`},
		{"signedBy bad keyType", wrap(`{"type":"signedBy","keyType":"gpgkeys","keyPath":"/a"}`), "keytype-unknown", `Unrecognized keyType value "gpgkeys"`, "", ""},
		{"keyPath number", wrap(`{"type":"signedBy","keyType":"GPGKeys","keyPath":1}`), "wrong-type", "json: cannot unmarshal number into Go value of type string", "", ""},
		{"keyPaths string", wrap(`{"type":"signedBy","keyType":"GPGKeys","keyPaths":"/x"}`), "wrong-type", "cannot unmarshal string into Go value of type []string", "", ""},
		{"keyData not base64", wrap(`{"type":"signedBy","keyType":"GPGKeys","keyData":"not base64!"}`), "bad-base64", "illegal base64 data at input byte 3", "", ""},
		{"keyData no padding", wrap(`{"type":"signedBy","keyType":"GPGKeys","keyData":"YWJjZA"}`), "bad-base64", "illegal base64 data at input byte 4", "", ""},
		{"signedBy keyDatas", wrap(`{"type":"signedBy",` + validKey + `,"keyDatas":[]}`), "unknown-key", `Unknown key "keyDatas"`, "", `"keyData"`},
		{"identity null", wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":null}`), "unknown-identity-type", `Unknown policy reference match type ""`, "", ""},
		{"identity string", wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":"x"}`), "wrong-type", "signature.prmCommon", "", ""},
		{"identity typo", wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"matchRespository"}}`), "unknown-identity-type", `Unknown policy reference match type "matchRespository"`, "", `did you mean "matchRepository"`},
		{"identity extra key", wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"matchExact","x":1}}`), "unknown-key", `Unknown key "x"`, "", ""},
		{"exactReference missing", wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"exactReference"}}`), "missing-key", `Key "dockerReference" missing in a JSON object`, "", ""},
		{"exactReference no tag", wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"exactReference","dockerReference":"busybox"}}`), "bad-identity-value", `dockerReference "busybox" contains neither a tag nor digest`, "", ""},
		{"exactReference empty", wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"exactReference","dockerReference":""}}`), "bad-identity-value", `Invalid format of dockerReference ""`, "", ""},
		{"exactRepository upper", wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"exactRepository","dockerRepository":"Busybox"}}`), "bad-identity-value", `Invalid format of dockerRepository "Busybox"`, "", ""},
		{"remap trailing slash", wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"remapIdentity","prefix":"example.com/","signedPrefix":"example.org"}}`), "bad-identity-value", `prefix "example.com/" is not valid`, "", ""},
		{"remap missing signedPrefix", wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"remapIdentity","prefix":"example.com"}}`), "missing-key", `Key "signedPrefix" missing`, "", ""},
		{"base layer missing identity", wrap(`{"type":"signedBaseLayer"}`), "missing-key", `Key "baseLayerIdentity" missing`, "", ""},
		{"sigstore no source", wrap(`{"type":"sigstoreSigned"}`), "sigstore-key-sources", "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified", "", ""},
		{"sigstore empty keyPaths", wrap(`{"type":"sigstoreSigned","keyPaths":[]}`), "sigstore-empty-list", `"keyPaths" contains no entries`, "", ""},
		{"sigstore two rekor", wrap(`{"type":"sigstoreSigned","keyPath":"/k","rekorPublicKeyPath":"/r","rekorPublicKeyData":"YWJj"}`), "sigstore-rekor-sources", "at most one of", "", ""},
		{"fulcio without rekor", wrap(`{"type":"sigstoreSigned","fulcio":{"caPath":"/ca","oidcIssuer":"https://i","subjectEmail":"a@b"}}`), "sigstore-fulcio-rekor", "must be specified if fulcio is used", "", ""},
		{"fulcio empty", wrap(`{"type":"sigstoreSigned","fulcio":{},"rekorPublicKeyPath":"/r"}`), "fulcio-ca", "At least one of caPath and caData must be specified", "", ""},
		{"pki with rekor", wrap(`{"type":"sigstoreSigned","pki":{"caRootsPath":"/r","subjectEmail":"a@b"},"rekorPublicKeyPath":"/r"}`), "sigstore-pki-rekor", "not supported for pki", "", ""},
		{"pki no subject", wrap(`{"type":"sigstoreSigned","pki":{"caRootsPath":"/r"}}`), "pki-subject", "At least one of subjectEmail, subjectHostname must be specified", "", ""},
	}
}

func TestParsePolicyErrors(t *testing.T) {
	for _, tt := range errorCases() {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := ParsePolicy("p.json", []byte(tt.in))
			var found *model.Diagnostic
			for i, d := range diags {
				if d.Code == tt.code && d.Severity == model.Error {
					found = &diags[i]
					break
				}
			}
			if found == nil {
				t.Fatalf("no error %q; got:\n%s", tt.code, dump(diags))
			}
			if !strings.Contains(found.Runtime, tt.runtime) {
				t.Errorf("runtime message %q does not contain %q", found.Runtime, tt.runtime)
			}
			if tt.pos != "" {
				if got := fmt.Sprintf("%d:%d", found.Pos.Line, found.Pos.Col); got != tt.pos {
					t.Errorf("position %s, want %s", got, tt.pos)
				}
			}
			if !strings.Contains(found.Fix, tt.fix) {
				t.Errorf("fix %q does not contain %q", found.Fix, tt.fix)
			}
		})
	}
}

// TestParsePolicyAccepts lists inputs the runtime loads: imgtrust must not
// call any of them an error (warnings are fine).
func acceptCases() map[string]string {
	return map[string]string{
		"minimal":                  `{"default":[{"type":"reject"}]}`,
		"empty transports":         `{"default":[{"type":"reject"}],"transports":{}}`,
		"unknown transport":        `{"default":[{"type":"reject"}],"transports":{"Docker":{"x":[{"type":"reject"}]}}}`,
		"escaped key":              `{"default":[{"\u0074ype":"reject"}]}`,
		"keyPaths empty":           wrap(`{"type":"signedBy","keyType":"GPGKeys","keyPaths":[]}`),
		"keyData empty":            wrap(`{"type":"signedBy","keyType":"GPGKeys","keyData":""}`),
		"X509 keyType":             wrap(`{"type":"signedBy","keyType":"X509Certificates","keyPath":"/a"}`),
		"keyData with newline":     wrap(`{"type":"signedBy","keyType":"GPGKeys","keyData":"YWJj\nZA=="}`),
		"exactReference tag+dig":   wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"exactReference","dockerReference":"example.com/a:t@sha256:` + strings.Repeat("0", 64) + `"}}`),
		"exactRepository with tag": wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"exactRepository","dockerRepository":"library/busybox:latest"}}`),
		"remap shortname":          wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"remapIdentity","prefix":"shortname","signedPrefix":"ns/shortname"}}`),
		"remap deep":               wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"remapIdentity","prefix":"example.com:80/ns1/ns2/repo.with.dots-dashes_underscores","signedPrefix":"localhost"}}`),
		"signedBaseLayer":          wrap(`{"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchRepository"}}`),
		"sigstore empty keyPath":   wrap(`{"type":"sigstoreSigned","keyPath":"","keyData":"YWJj"}`),
		"sigstore fulcio":          wrap(`{"type":"sigstoreSigned","fulcio":{"caData":"","oidcIssuer":"https://i","subjectEmail":"a@b"},"rekorPublicKeyPath":"/r"}`),
		"docker odd scope":         `{"default":[{"type":"reject"}],"transports":{"docker":{"example*.*.com/UPPER CASE":[{"type":"reject"}]}}}`,
		"dir scope":                `{"default":[{"type":"reject"}],"transports":{"dir":{"/var/img":[{"type":"reject"}]}}}`,
		"containers-storage":       `{"default":[{"type":"reject"}],"transports":{"containers-storage":{"[overlay@/var/lib/containers/storage]":[{"type":"reject"}]}}}`,
	}
}

func TestParsePolicyAccepts(t *testing.T) {
	for name, in := range acceptCases() {
		t.Run(name, func(t *testing.T) {
			p, diags := ParsePolicy("p.json", []byte(in))
			if diags.HasErrors() {
				t.Fatalf("the runtime loads this, but imgtrust reports:\n%s", dump(diags))
			}
			if p == nil {
				t.Fatal("no policy")
			}
		})
	}
}

func TestParsePolicyWarnings(t *testing.T) {
	tests := []struct {
		name, in, code, fix string
	}{
		{"unknown transport", `{"default":[{"type":"reject"}],"transports":{"Docker":{"x":[{"type":"reject"}]}}}`, "unknown-transport", `did you mean "docker"`},
		{"default accepts", `{"default":[{"type":"insecureAcceptAnything"}]}`, "default-accepts-anything", "reject"},
		{"hub short name", `{"default":[{"type":"reject"}],"transports":{"docker":{"busybox":[{"type":"reject"}]}}}`, "scope-never-matches", "docker.io/library/busybox"},
		{"hub without library", `{"default":[{"type":"reject"}],"transports":{"docker":{"docker.io/busybox:latest":[{"type":"reject"}]}}}`, "scope-never-matches", "docker.io/library/busybox:latest"},
		{"scheme", `{"default":[{"type":"reject"}],"transports":{"docker":{"https://example.com":[{"type":"reject"}]}}}`, "scope-never-matches", `"example.com"`},
		{"trailing slash", `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com/":[{"type":"reject"}]}}}`, "scope-never-matches", `"example.com"`},
		{"upper case path", `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com/Team":[{"type":"reject"}]}}}`, "scope-never-matches", `"example.com/team"`},
		{"wildcard with path", `{"default":[{"type":"reject"}],"transports":{"docker":{"*.example.com/ns":[{"type":"reject"}]}}}`, "scope-never-matches", ""},
		{"tag and digest", `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com/a:t@sha256:` + strings.Repeat("0", 64) + `":[{"type":"reject"}]}}}`, "scope-never-matches", "@sha256"},
		{"weaker child scope", `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[{"type":"signedBy",` + validKey + `}],"example.com/dev":[{"type":"insecureAcceptAnything"}]}}}`, "scope-weaker-than-parent", ""},
		{"signedBaseLayer", wrap(`{"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchRepository"}}`), "signed-base-layer", ""},
		{"X509", wrap(`{"type":"signedBy","keyType":"X509Certificates","keyPath":"/a"}`), "keytype-unimplemented", "GPGKeys"},
		{"no keys", wrap(`{"type":"signedBy","keyType":"GPGKeys","keyPaths":[]}`), "no-keys", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := ParsePolicy("p.json", []byte(tt.in))
			if diags.HasErrors() {
				t.Fatalf("unexpected errors:\n%s", dump(diags))
			}
			for _, d := range diags {
				if d.Code == tt.code {
					if !strings.Contains(d.Fix, tt.fix) {
						t.Errorf("fix %q lacks %q", d.Fix, tt.fix)
					}
					return
				}
			}
			t.Fatalf("no %q; got:\n%s", tt.code, dump(diags))
		})
	}
}

// TestKiosGuideExample checks the example of the kiOS image-signing guide:
// first its syntax error, then, with that bracket fixed, each problem at
// its own line.
func TestKiosGuideExample(t *testing.T) {
	data, err := os.ReadFile("../testdata/kios-guide-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	p, diags := ParsePolicy("policy.json", data)
	if p != nil || len(diags) != 1 || diags[0].Code != "syntax" || diags[0].Pos.Line != 26 || diags[0].Pos.Col != 32 {
		t.Fatalf("want only the syntax error at 26:32, got:\n%s", dump(diags))
	}
	if !strings.Contains(diags[0].Fix, "line 26, column 15") {
		t.Errorf("fix does not point at the unclosed brace: %q", diags[0].Fix)
	}
	fixed := strings.Replace(string(data), `"reject"]]`, `"reject"}]`, 1)
	_, diags = ParsePolicy("policy.json", []byte(fixed))
	want := []string{
		"comment@4", "comment@5", "comment@8", "comment@11", "comment@24", "comment@25",
		"duplicate-key@15", "signedby-many-keys@17", "signedby-many-keys@18", "bad-base64@18",
		"unknown-identity-type@19", "keytype-missing@13",
	}
	got := map[string]bool{}
	for _, d := range diags {
		got[fmt.Sprintf("%s@%d", d.Code, d.Pos.Line)] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing %s; got:\n%s", w, dump(diags))
		}
	}
	for _, d := range diags {
		if d.Code == "duplicate-key" && (d.Replacement != "keyType" || d.Related == nil || d.Related.Line != 14) {
			t.Errorf("duplicated type should suggest keyType and point at line 14: %+v", d)
		}
		if d.Code == "unknown-identity-type" && d.Replacement != "matchRepository" {
			t.Errorf("identity typo should suggest matchRepository: %+v", d)
		}
	}
}

func dump(ds model.Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "  [%s] %s\n", d.Code, d.String())
	}
	return b.String()
}

func TestDockerScopeParents(t *testing.T) {
	tests := map[string]string{
		"docker.io/library/busybox:latest":  "docker.io/library/busybox docker.io/library docker.io *.io",
		"example.com:5000/a/b@sha256:abc":   "example.com:5000/a/b example.com:5000/a example.com:5000 *.com",
		"yet.another.example.com:8443/ns/r": "yet.another.example.com:8443/ns yet.another.example.com:8443 *.another.example.com *.example.com *.com",
		"localhost/ns/repo":                 "localhost/ns localhost",
		"*.very.deep.com":                   "*.deep.com *.com",
		"registry.example.com":              "*.example.com *.com",
		"192.168.1.10:5000/x":               "192.168.1.10:5000 *.168.1.10 *.1.10 *.10",
		"":                                  "",
	}
	for in, want := range tests {
		if got := strings.Join(DockerScopeParents(in), " "); got != want {
			t.Errorf("DockerScopeParents(%q) = %q, want %q", in, got, want)
		}
		// Without wildcards: the same list less its *. forms; and the walk
		// stops where its function says.
		var plain, noWild []string
		eachDockerScopeParent(in, false, func(p string) bool { plain = append(plain, p); return true })
		for _, p := range DockerScopeParents(in) {
			if !strings.HasPrefix(p, "*.") {
				noWild = append(noWild, p)
			}
		}
		if !slices.Equal(plain, noWild) {
			t.Errorf("%q without wildcards: %q, want %q", in, plain, noWild)
		}
		var first []string
		eachDockerScopeParent(in, true, func(p string) bool { first = append(first, p); return false })
		if all := DockerScopeParents(in); len(all) > 0 && (len(first) != 1 || first[0] != all[0]) {
			t.Errorf("%q: a walk stopped at once gave %q", in, first)
		}
	}
}

// TestShadowWarningsParents: a scope weaker than its nearest existing
// parent is reported, wildcard parents included, and with a repeated
// name the last scope of it is the parent (the runtime's map keeps the
// last).
func TestShadowWarningsParents(t *testing.T) {
	signed := model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/k.gpg"}}
	reject := model.Requirements{{Type: model.Reject}}
	open := model.Requirements{{Type: model.InsecureAcceptAnything}}
	pol := func(scopes ...*model.Scope) *model.Policy {
		return &model.Policy{Default: reject, Transports: []*model.Transport{{Name: model.TransportDocker, Scopes: scopes}}}
	}
	sc := func(name string, reqs model.Requirements) *model.Scope {
		return &model.Scope{Name: name, Requirements: reqs}
	}
	tests := []struct {
		name string
		pol  *model.Policy
		want []string // scopes reported
	}{
		{"namespace parent", pol(sc("a.example", signed), sc("a.example/dev", open)), []string{"a.example/dev"}},
		{"nearest parent only", pol(sc("a.example", signed), sc("a.example/ns", open), sc("a.example/ns/x", open)), []string{"a.example/ns"}},
		{"wildcard parent", pol(sc("*.example.com", signed), sc("r.example.com/x", open)), []string{"r.example.com/x"}},
		{"no wildcard scope", pol(sc("r.example.com/x", open)), nil},
		{"last of a repeated name", pol(sc("a.example", open), sc("a.example", signed), sc("a.example/dev", open)), []string{"a.example/dev"}},
	}
	for _, tt := range tests {
		var got []string
		for _, d := range shadowWarnings(tt.pol) {
			got = append(got, d.Target.List.Scope)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestApplyReplacement(t *testing.T) {
	tests := []struct {
		name, in, code, want string
	}{
		{"identity typo", wrap(`{"type":"signedBy",` + validKey + `,"signedIdentity":{"type":"matchRespository"}}`), "unknown-identity-type", `"matchRepository"`},
		{"duplicated type is keyType", wrap(`{"type":"signedBy","type":"GPGKeys","keyPath":"/k"}`), "duplicate-key", `"keyType":"GPGKeys"`},
		{"keyType case", wrap(`{"type":"signedBy","keyType":"gpgkeys","keyPath":"/k"}`), "keytype-unknown", `"keyType":"GPGKeys"`},
		{"transport name", `{"default":[{"type":"reject"}],"transports":{"Docker":{"a.com":[{"type":"reject"}]}}}`, "unknown-transport", `"docker":`},
		{"scope spelling", `{"default":[{"type":"reject"}],"transports":{"docker":{"docker.io/busybox:1":[{"type":"reject"}]}}}`, "scope-never-matches", `"docker.io/library/busybox:1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := ParsePolicy("p.json", []byte(tt.in))
			for _, d := range diags {
				if d.Code != tt.code {
					continue
				}
				out, err := ApplyReplacement([]byte(tt.in), d)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(out), tt.want) {
					t.Fatalf("fixed text lacks %s:\n%s", tt.want, out)
				}
				_, after := ParsePolicy("p.json", out)
				for _, a := range after {
					if a.Code == tt.code {
						t.Errorf("the fix did not remove the problem: %s", a)
					}
				}
				return
			}
			t.Fatalf("no %s:\n%s", tt.code, dump(diags))
		})
	}
}
