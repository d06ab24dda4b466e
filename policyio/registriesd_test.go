package policyio

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs"
	"github.com/opencontainers/go-digest"
)

func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestKiosGuideRegistriesD(t *testing.T) {
	def, _ := os.ReadFile("../testdata/kios-guide/kios-guide-default.yaml")
	reg, _ := os.ReadFile("../testdata/kios-guide/kios-guide-registry.example.net.yaml")
	if len(def) == 0 || len(reg) == 0 {
		t.Fatal("missing testdata/kios-guide")
	}
	dir := writeDir(t, map[string]string{"default.yaml": string(def), "registry.example.net.yaml": string(reg)})
	rd, diags := LoadRegistriesD(dir)
	if diags.HasErrors() {
		t.Fatalf("the guide's files do not load together: %v", diags)
	}
	if rd.Default == nil || rd.Default.ReadURL() != "https://lookaside.example.org" || rd.Entry("registry.example.net").ReadURL() != "https://lookaside.example.com" {
		t.Fatalf("merged: %+v %+v", rd.Default, rd.Entries)
	}
	os.WriteFile(filepath.Join(dir, "zz-other.yaml"), []byte("docker:\n  registry.example.net:\n    lookaside: https://other\n"), 0o644)
	_, diags = LoadRegistriesD(dir)
	if !diags.HasErrors() || !strings.Contains(diags[0].Message, "registry.example.net.yaml") || !strings.Contains(diags[0].Message, "zz-other.yaml") {
		t.Fatalf("a redefinition must name both files: %v", diags)
	}
}

func TestRegistriesDErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		code  string
		sev   model.Severity
		line  int
	}{
		{"default twice", map[string]string{"a.yaml": "default-docker:\n  lookaside: https://a\n", "b.yaml": "default-docker:\n  lookaside: https://b\n"}, "registriesd-conflict", model.Error, 1},
		{"duplicate key", map[string]string{"a.yaml": "docker:\n  example.com:\n    lookaside: https://a\n  example.com:\n    lookaside: https://b\n"}, "registriesd-duplicate-key", model.Error, 4},
		{"tabs", map[string]string{"a.yaml": "docker:\n\texample.com: {}\n"}, "registriesd-yaml", model.Error, 2},
		{"not a mapping", map[string]string{"a.yaml": "- a\n- b\n"}, "registriesd-not-mapping", model.Error, 1},
		{"bad bool", map[string]string{"a.yaml": "docker:\n  example.com:\n    use-sigstore-attachments: maybe\n"}, "registriesd-type", model.Error, 3},
		{"typo is ignored by the runtime", map[string]string{"a.yaml": "docker:\n  example.com:\n    lookside: https://a\n"}, "registriesd-unknown-key", model.Warning, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := LoadRegistriesD(writeDir(t, tt.files))
			for _, d := range diags {
				if d.Code == tt.code {
					if d.Severity != tt.sev || d.Pos.Line != tt.line {
						t.Errorf("got %s at line %d, want %s at %d: %s", d.Severity, d.Pos.Line, tt.sev, tt.line, d)
					}
					return
				}
			}
			t.Fatalf("no %s: %v", tt.code, diags)
		})
	}
	// Only *.yaml files count; empty files and comments are fine.
	_, diags := LoadRegistriesD(writeDir(t, map[string]string{"x.yml": "garbage: [", "empty.yaml": "", "c.yaml": "# only a comment\n"}))
	if len(diags) != 0 {
		t.Errorf("%v", diags)
	}
	if rd, diags := LoadRegistriesD(filepath.Join(t.TempDir(), "missing")); len(diags) != 0 || len(rd.Entries) != 0 {
		t.Error("a missing directory is an empty configuration")
	}
}

// TestLookasideFor follows the library's TestRegistryConfigurationSignatureTopLevel
// and the fall-through example of registries-d.md §3.
func TestLookasideFor(t *testing.T) {
	dir := writeDir(t, map[string]string{"a.yaml": `
docker:
  localhost: {lookaside: https://localhost}
  localhost:5000: {lookaside: https://localhost5000}
  example.com: {lookaside: https://example.com}
  example.com/ns1: {lookaside: https://ns1}
  example.com/ns1/ns2: {lookaside: https://ns2}
  example.com/ns1/ns2/repo: {lookaside: https://repo}
  example.com/ns1/ns2/repo:notlatest: {lookaside: https://notlatest}
  attach.example/ns: {use-sigstore-attachments: false}
  attach.example/ns/repo: {use-sigstore-attachments: true}
  "*.wild.example": {lookaside: https://wild}
default-docker: {lookaside: https://default, use-sigstore-attachments: true}
`})
	rd, diags := LoadRegistriesD(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	tests := []struct {
		ref, scope string
		attach     bool
	}{
		{"example.com/ns1/ns2/repo:notlatest", "example.com/ns1/ns2/repo:notlatest", true},
		{"example.com/ns1/ns2/repo:unmatched", "example.com/ns1/ns2/repo", true},
		{"example.com/ns1/ns2/notrepo:notlatest", "example.com/ns1/ns2", true},
		{"example.com/ns1/notns2/repo", "example.com/ns1", true},
		{"example.com/notns1/repo", "example.com", true},
		{"unknown.example.com/busybox", model.DefaultDockerScope, true},
		{"localhost:5000/busybox", "localhost:5000", true},
		{"localhost/busybox", "localhost", true},
		{"localhost:9999/busybox", model.DefaultDockerScope, true},
		{"a.b.wild.example:5000/x", "*.wild.example", true},
		{"attach.example/ns/repo:tag", model.DefaultDockerScope, true},
		{"attach.example/ns/other:tag", model.DefaultDockerScope, false},
	}
	for _, tt := range tests {
		ref, err := reference.ParseNormalizedNamed(tt.ref)
		if err != nil {
			t.Fatal(err)
		}
		m := rd.LookasideFor(ref)
		if m.Scope != tt.scope || m.UseSigstoreAttachments != tt.attach {
			t.Errorf("%s: scope %q attach %v, want %q %v (tried %v)", tt.ref, m.Scope, m.UseSigstoreAttachments, tt.scope, tt.attach, m.Tried)
		}
	}
	empty, _ := LoadRegistriesD(t.TempDir())
	ref, _ := reference.ParseNormalizedNamed("registry.example.com/team/app")
	if m := empty.LookasideFor(ref); m.BaseURL != model.BuiltinLookaside || m.Scope != "" {
		t.Errorf("built-in default: %+v", m)
	}
}

func TestSignatureURL(t *testing.T) {
	h := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	h512 := strings.Repeat(h, 2)
	tests := []struct {
		base, ref, dgst string
		n               int
		want            string
	}{
		{"https://lookaside.example.com", "example.com/my/project", "sha256:" + h, 1, "https://lookaside.example.com/my/project@sha256=" + h + "/signature-1"},
		{"https://example.com/lookaside", "busybox:latest", "sha256:" + h, 1, "https://example.com/lookaside/library/busybox@sha256=" + h + "/signature-1"},
		{"https://h/base/?q=1", "example.com/ns/repo:tag", "sha512:" + h512, 3, "https://h/base//ns/repo@sha512=" + h512 + "/signature-3?q=1"},
		{"file:///var/lib/containers/sigstore", "registry.example.com/team/app", "sha256:" + h, 1, "file:///var/lib/containers/sigstore/team/app@sha256=" + h + "/signature-1"},
		{"http://127.0.0.1:8080", "127.0.0.1:5000/a/b/c:1", "sha256:" + h, 12, "http://127.0.0.1:8080/a/b/c@sha256=" + h + "/signature-12"},
	}
	for _, tt := range tests {
		ref, _ := reference.ParseNormalizedNamed(tt.ref)
		got, err := SignatureURL(tt.base, ref, digest.Digest(tt.dgst), tt.n)
		if err != nil || got != tt.want {
			t.Errorf("%s %s: got %q (%v), want %q", tt.base, tt.ref, got, err, tt.want)
		}
	}
	ref, _ := reference.ParseNormalizedNamed("example.com/a")
	if _, err := SignatureURL("https://x", ref, "sha256:../hello", 1); err == nil {
		t.Error("accepted a bad digest")
	}
}

func TestCheckLookasides(t *testing.T) {
	dir := writeDir(t, map[string]string{"a.yaml": `
docker:
  plain.example: {lookaside: http://plain.example/sigs}
  files.example: {lookaside: file:///var/lib/sigs}
  staging.example: {lookaside: https://s, lookaside-staging: file:///tmp/s}
  unused.example: {lookaside: https://u}
  ftp.example: {lookaside: ftp://f/sigs}
  noscheme.example: {lookaside: lookaside.example.com/sigs}
`})
	rd, _ := LoadRegistriesD(dir)
	pol, d := ParsePolicy("p", []byte(`{"default":[{"type":"reject"}],"transports":{"docker":{
		"plain.example":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k"}],
		"files.example":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k"}],
		"staging.example":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k"}],
		"nolookaside.example":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k"}],
		"unused.example":[{"type":"insecureAcceptAnything"}],
		"ftp.example":[{"type":"insecureAcceptAnything"}],
		"noscheme.example":[{"type":"insecureAcceptAnything"}]}}}`))
	if d.HasErrors() {
		t.Fatal(d)
	}
	got := map[string]bool{}
	for _, x := range CheckLookasides(rd, pol, node.NewPaths(t.TempDir(), "", "", "")) {
		got[x.Code] = true
		// An unreadable look-aside fails every pull through it, even
		// under insecureAcceptAnything: an error, and never "unused".
		if x.Code == "lookaside-scheme" && x.Severity != model.Error {
			t.Errorf("%s: %v, want an error", x.Message, x.Severity)
		}
		if x.Code == "lookaside-unused" && (strings.Contains(x.Message, "ftp.example") || strings.Contains(x.Message, "noscheme.example")) {
			t.Errorf("an unreadable look-aside is called unused: %s", x.Message)
		}
	}
	if !got["lookaside-scheme"] {
		t.Error("ftp:// and scheme-less look-asides not reported")
	}
	for _, want := range []string{"lookaside-http", "lookaside-file-missing", "lookaside-staging", "lookaside-unused", "signed-without-lookaside"} {
		if !got[want] {
			t.Errorf("missing %s in %v", want, got)
		}
	}
}

// TestSigstoreWithoutAttachments: a sigstoreSigned scope is only
// satisfiable when registries.d enables cosign attachments for it; the
// most specific section that sets the flag decides.
func TestSigstoreWithoutAttachments(t *testing.T) {
	dir := writeDir(t, map[string]string{"a.yaml": `
default-docker:
  use-sigstore-attachments: true
docker:
  off.example: {use-sigstore-attachments: false}
  on.example/team: {use-sigstore-attachments: true, lookaside: https://x}
  on.example: {use-sigstore-attachments: false}
`})
	rd, diags := LoadRegistriesD(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	tests := []struct {
		scope string
		warn  bool
	}{
		{"off.example", true},
		{"off.example/app", true},
		{"on.example/team/app", false},
		{"on.example/other", true},
		{"elsewhere.example", false}, // default-docker enables it
	}
	for _, tt := range tests {
		pol, d := ParsePolicy("p", []byte(`{"default":[{"type":"reject"}],"transports":{"docker":{"`+tt.scope+`":[{"type":"sigstoreSigned","keyPath":"/k.pub"}]}}}`))
		if d.HasErrors() {
			t.Fatal(d)
		}
		got := false
		for _, x := range CheckLookasides(rd, pol, node.NewPaths(t.TempDir(), "", "", "")) {
			got = got || x.Code == "sigstore-without-attachments"
		}
		if got != tt.warn {
			t.Errorf("%s: warned = %v, want %v", tt.scope, got, tt.warn)
		}
	}
}

func TestExplain(t *testing.T) {
	dir := writeDir(t, map[string]string{"a.yaml": "docker:\n  example.com/team: {lookaside: https://sigs.example/base/}\n"})
	rd, diags := LoadRegistriesD(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	const dgst = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	zero := "sha256=" + strings.Repeat("0", 64)
	// The base ends with "/": the runtime still adds one (see TestSignatureURL).
	tests := []struct {
		image       string
		dg          digest.Digest
		count       int
		scope       string
		placeholder bool
		urls        []string
	}{
		{"docker://example.com/team/app", "", 2, "example.com/team", true, []string{
			"https://sigs.example/base//team/app@" + zero + "/signature-1",
			"https://sigs.example/base//team/app@" + zero + "/signature-2"}},
		{"example.com/team/app@" + dgst, "", 0, "example.com/team", false, []string{
			"https://sigs.example/base//team/app@sha256=1111111111111111111111111111111111111111111111111111111111111111/signature-1"}},
		{"busybox", dgst, 1, "", false, []string{
			"file:///var/lib/containers/sigstore/library/busybox@sha256=1111111111111111111111111111111111111111111111111111111111111111/signature-1"}},
	}
	for _, tt := range tests {
		ex, err := rd.Explain(tt.image, tt.dg, tt.count)
		if err != nil {
			t.Fatalf("%s: %v", tt.image, err)
		}
		if ex.Scope != tt.scope || ex.Placeholder != tt.placeholder || !slices.Equal(ex.URLs, tt.urls) {
			t.Errorf("%s: scope %q placeholder %v urls %q", tt.image, ex.Scope, ex.Placeholder, ex.URLs)
		}
	}
	if _, err := rd.Explain("Not/A Reference", "", 1); err == nil || !strings.Contains(err.Error(), "not an image reference") {
		t.Errorf("bad reference: %v", err)
	}
}

// TestYAMLDirectoryByRuntimeVersion: a directory named x.yaml fails
// registries.d before image v5.41 and is skipped from v5.41.
func TestYAMLDirectoryByRuntimeVersion(t *testing.T) {
	dir := writeDir(t, map[string]string{"a.yaml": "default-docker:\n  lookaside: https://l.example.com\n"})
	if err := os.Mkdir(filepath.Join(dir, "x.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, skip := range []bool{false, true} {
		rd, diags := LoadRegistriesDFor(nodefs.FS{}, dir, RegistriesRuntime{SkipYAMLDirectories: skip, Basis: "test"})
		if diags.HasErrors() == skip {
			t.Errorf("skip=%v: errors=%v: %v", skip, diags.HasErrors(), diags)
		}
		found := false
		for _, d := range diags {
			found = found || d.Code == "registriesd-yaml-directory"
		}
		if !found {
			t.Errorf("skip=%v: the directory is not mentioned: %v", skip, diags)
		}
		if rd.Default == nil || rd.Default.Lookaside != "https://l.example.com" {
			t.Errorf("skip=%v: the other file was not read", skip)
		}
	}
	if _, diags := LoadRegistriesD(dir); !diags.HasErrors() {
		t.Error("without a known version the older rule (failure) is assumed")
	}
}

// TestLookasideURLProblem: forms accept a look-aside URL exactly when the
// runtime can read from it (net/url's parse, then the scheme, which url
// lower-cases: "HTTPS://" works in containers/image too).
func TestLookasideURLProblem(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://lookaside.example.com/sigs", true},
		{"http://10.0.0.1:8080", true},
		{"file:///var/lib/containers/sigstore", true},
		{"HTTPS://lookaside.example.com", true},
		{"", false},
		{"lookaside.example.com/sigs", false},
		{"ftp://lookaside.example.com", false},
		{"docker://registry.example.com", false},
		{"https://bad host/%zz", false},
	} {
		got := LookasideURLProblem(tc.url)
		if (got == "") != tc.ok {
			t.Errorf("%q: problem %q, want ok=%v", tc.url, got, tc.ok)
		}
	}
}

// TestSignedWithoutLookasideOncePerName: each signed docker scope without
// a look-aside is reported once, at the first scope of its name, in file
// order, however often the name repeats and whichever of its scopes is
// signed.
func TestSignedWithoutLookasideOncePerName(t *testing.T) {
	signed := model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/k.gpg"}}
	reject := model.Requirements{{Type: model.Reject}}
	scope := func(name string, line int, reqs model.Requirements) *model.Scope {
		return &model.Scope{Name: name, Pos: model.Pos{File: "p.json", Line: line}, Requirements: reqs}
	}
	pol := &model.Policy{Default: reject, Transports: []*model.Transport{{Name: model.TransportDocker, Scopes: []*model.Scope{
		scope("b.example", 1, signed),
		scope("a.example", 2, reject),
		scope("a.example", 3, signed),
		scope("a.example", 4, signed),
		scope("c.example", 5, signed),
		scope("c.example", 6, signed),
		scope("d.example", 7, reject),
		scope("", 8, signed),
		scope("*.e.example", 9, signed),
	}}}}
	var got []string
	for _, d := range CheckLookasides(&RegistriesD{}, pol, node.NewPaths(t.TempDir(), "", "", "")) {
		if d.Code == "signed-without-lookaside" {
			got = append(got, fmt.Sprintf("%d %s", d.Pos.Line, d.Fix))
		}
	}
	want := []string{
		"1 add one: imgtrust lookaside set b.example https://lookaside.example.com",
		"2 add one: imgtrust lookaside set a.example https://lookaside.example.com",
		"5 add one: imgtrust lookaside set c.example https://lookaside.example.com",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestSignedWithoutLookasideQuotesNames: the scope is quoted as %q would
// quote it, escapes and all (names reach the terminal through it).
func TestSignedWithoutLookasideQuotesNames(t *testing.T) {
	signed := model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/k.gpg"}}
	for _, name := range []string{"plain.example/x", "q\"x.example", "esc\x1b[2J.example", "ünï.example"} {
		pol := &model.Policy{Transports: []*model.Transport{{Name: model.TransportDocker, Scopes: []*model.Scope{{Name: name, Requirements: signed}}}}}
		ds := CheckLookasides(&RegistriesD{}, pol, node.NewPaths(t.TempDir(), "", "", ""))
		if len(ds) != 1 || !strings.HasPrefix(ds[0].Message, fmt.Sprintf("docker scope %q requires", name)) {
			t.Errorf("%q: %v", name, ds)
		}
	}
}

// TestLookasideCheckerMatchesCheckLookasides: a checker used over a
// series of policies (scopes renamed, look-asides added, all removed)
// reports each time what a fresh CheckLookasides does.
func TestLookasideCheckerMatchesCheckLookasides(t *testing.T) {
	signed := model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/k.gpg"}}
	pol := func(names ...string) *model.Policy {
		tr := &model.Transport{Name: model.TransportDocker}
		for i, n := range names {
			tr.Scopes = append(tr.Scopes, &model.Scope{Name: n, Pos: model.Pos{File: "p", Line: i + 1}, Requirements: signed})
		}
		return &model.Policy{Transports: []*model.Transport{tr}}
	}
	withEntry := &RegistriesD{Entries: []*model.LookasideEntry{{Scope: "b.example", Lookaside: "https://l.example"}}}
	paths := node.NewPaths(t.TempDir(), "", "", "")
	var c LookasideChecker
	for i, step := range []struct {
		rd  *RegistriesD
		pol *model.Policy
	}{
		{&RegistriesD{}, pol("a.example", "b.example")},
		{&RegistriesD{}, pol("b.example", "a.example", "c\"q.example")},
		{withEntry, pol("b.example/x", "a.example")},
		{&RegistriesD{}, pol()},
		{&RegistriesD{}, pol("a.example")},
	} {
		got, want := c.Check(step.rd, step.pol, paths), CheckLookasides(step.rd, step.pol, paths)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("step %d:\n got  %v\n want %v", i, got, want)
		}
	}
}
