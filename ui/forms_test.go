package ui

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
)

// A cosign-style public key and a CA certificate (made once with openssl;
// public material only) for the sigstore forms.
const (
	testCosignPub = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyATKxsk4eRAUP2FSpmCpmHvZpJFU
sZ+EpK0s2/tZ/EBYyl074sOSPTn/ySHQcUwGbE3qVFPQ63XM+zrnUP4wtg==
-----END PUBLIC KEY-----
`
	testCACert = `-----BEGIN CERTIFICATE-----
MIIBjjCCATOgAwIBAgIUMQd/OFBqzsAU1OhbS43/QD+EFT0wCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQaW1ndHJ1c3QgdGVzdCBDQTAgFw0yNjEyMDEyMjQ4MDZaGA8y
MTI2MTEwNzIyNDgwNlowGzEZMBcGA1UEAwwQaW1ndHJ1c3QgdGVzdCBDQTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABMgEysbJOHkQFD9hUqZgqZh72aSRVLGfhKSt
LNv7WfxAWMpdO+LDkj05/8kh0HFMBmxN6lRT0Ot1zPs651D+MLajUzBRMB0GA1Ud
DgQWBBSVXooMfs6P9btbs2B4hEJjc1vt0TAfBgNVHSMEGDAWgBSVXooMfs6P9btb
s2B4hEJjc1vt0TAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDV
gTfCMcHK81FOWDqy9KYOfs9hnkWf5LAG/R1I3j26cgIhAIPMjzoKp8Nw2YXaiChy
tlt4DAQQKZ3ziAhKaOsha8TM
-----END CERTIFICATE-----
`
)

// fakeKeyFiles reads embedded files from the test root and names them by
// digest; the real reader (gpg, PEM) is tested in the main package.
type fakeKeyFiles struct{ paths node.Paths }

func (k fakeKeyFiles) ReadKeyFile(p string, kind KeyFileKind) (KeyFile, error) {
	data, err := os.ReadFile(k.paths.Host(p))
	if err != nil {
		return KeyFile{}, err
	}
	lines, _ := k.DescribeKeyData(data, kind)
	return KeyFile{Data: data, Lines: lines}, nil
}

func (fakeKeyFiles) DescribeKeyData(data []byte, kind KeyFileKind) ([]string, error) {
	s := sha256.Sum256(data)
	return []string{fmt.Sprintf("FAKEFPR%x kind %d", s[:8], kind)}, nil
}

func formDeps(t *testing.T, policy string) Deps {
	d, _, _, _ := testDeps(t, policy)
	d.KeyFiles = fakeKeyFiles{d.Paths}
	for name, content := range map[string]string{
		"etc/gpg/second.gpg": "key2", "etc/containers/cosign.pub": testCosignPub, "etc/containers/cosign2.pub": testCosignPub,
		"etc/containers/rekor.pub": testCosignPub, "etc/containers/fulcio.pem": testCACert,
		"etc/containers/ca.pem": testCACert, "etc/containers/inter.pem": testCACert,
	} {
		p := filepath.Join(d.Paths.Root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

const formScope = "quay.io/formtest"

// formCase builds one rule through the scope form: keys start on the
// Rule field (after the scope is typed) and end by applying the form.
type formCase struct {
	name string
	keys []string
	want func(r *model.Requirement) string // "" when r is right
}

func is(ok bool, what string) string {
	if ok {
		return ""
	}
	return what
}

var formCases = []formCase{
	{"signedBy-keyPath-inventory", nil, func(r *model.Requirement) string {
		return is(r.Type == model.SignedBy && r.KeyPath == "/etc/gpg/release.gpg" && r.SignedIdentity.Type == model.MatchRepoDigestOrExact, "keyPath of the inventory key")
	}},
	{"signedBy-keyPath-typed-matchExact", []string{"tab", "right", "tab", "type:/etc/gpg/second.gpg", "tab", "right*2"}, func(r *model.Requirement) string {
		return is(r.KeyPath == "/etc/gpg/second.gpg" && r.SignedIdentity.Type == model.MatchExact, "typed keyPath, matchExact")
	}},
	{"signedBy-keyPaths-exactRepository", []string{"tab", "right*2", "tab", "space", "tab", "type:/etc/gpg/second.gpg", "tab", "right*4", "tab", "type:quay.io/formtest/app"}, func(r *model.Requirement) string {
		return is(r.KeyPath == "" && strings.Join(r.KeyPaths, ",") == "/etc/gpg/release.gpg,/etc/gpg/second.gpg" &&
			r.SignedIdentity.Type == model.ExactRepository && r.SignedIdentity.DockerRepository == "quay.io/formtest/app", "keyPaths of a marked and a typed key")
	}},
	{"signedBy-keyData-exactReference", []string{"tab", "right*3", "tab", "wait:embeds 3 bytes of /etc/gpg/release.gpg", "tab", "right*3", "tab", "type:quay.io/formtest/app:1.0"}, func(r *model.Requirement) string {
		return is(string(r.KeyData) == "key" && r.KeyPath == "" && r.SignedIdentity.DockerReference == "quay.io/formtest/app:1.0", "keyData of the inventory key file")
	}},
	{"sigstore-keyPath-matchRepository", []string{"right*2", "tab", "tab", "type:/etc/containers/cosign.pub", "tab", "tab", "right"}, func(r *model.Requirement) string {
		return is(r.Type == model.SigstoreSigned && r.KeyPath == "/etc/containers/cosign.pub" && r.SignedIdentity.Type == model.MatchRepository, "sigstore keyPath")
	}},
	{"sigstore-keyPaths-rekorPath", []string{"right*2", "tab", "right", "tab", "type:/etc/containers/cosign.pub, /etc/containers/cosign2.pub", "tab", "right", "tab", "type:/etc/containers/rekor.pub"}, func(r *model.Requirement) string {
		return is(len(r.KeyPaths) == 2 && r.RekorPublicKeyPath == "/etc/containers/rekor.pub", "sigstore keyPaths and rekorPublicKeyPath")
	}},
	{"sigstore-keyData-rekorData", []string{"right*2", "tab", "right*2", "tab", "type:/etc/containers/cosign.pub", "wait:embeds 178 bytes of /etc/containers/cosign.pub", "tab", "right*3", "tab", "type:/etc/containers/rekor.pub", "wait:embeds 178 bytes of /etc/containers/rekor.pub"}, func(r *model.Requirement) string {
		return is(string(r.KeyData) == testCosignPub && string(r.RekorPublicKeyData) == testCosignPub, "sigstore keyData and rekorPublicKeyData")
	}},
	{"sigstore-fulcio-caPath-rekorPaths", []string{"right*2", "tab", "right*3", "tab", "tab", "type:/etc/containers/fulcio.pem", "tab", "type:https://oauth2.example.com", "tab", "type:dev@example.com", "tab", "right*2", "tab", "type:/etc/containers/rekor.pub"}, func(r *model.Requirement) string {
		f := r.Fulcio
		return is(f != nil && f.CAPath == "/etc/containers/fulcio.pem" && f.OIDCIssuer == "https://oauth2.example.com" && f.SubjectEmail == "dev@example.com" &&
			strings.Join(r.RekorPublicKeyPaths, ",") == "/etc/containers/rekor.pub", "fulcio with caPath, rekorPublicKeyPaths")
	}},
	{"sigstore-fulcio-caData", []string{"right*2", "tab", "right*3", "tab", "right", "tab", "type:/etc/containers/fulcio.pem", "wait:embeds 599 bytes", "tab", "type:https://oauth2.example.com", "tab", "type:dev@example.com", "tab", "right", "tab", "type:/etc/containers/rekor.pub"}, func(r *model.Requirement) string {
		return is(r.Fulcio != nil && string(r.Fulcio.CAData) == testCACert && r.Fulcio.CAPath == "", "fulcio with caData")
	}},
	{"sigstore-pki-paths", []string{"right*2", "tab", "right*4", "tab", "tab", "type:/etc/containers/ca.pem", "tab", "right", "tab", "type:/etc/containers/inter.pem", "tab", "type:dev@example.com", "tab", "type:build.example.com"}, func(r *model.Requirement) string {
		p := r.PKI
		return is(p != nil && p.CARootsPath == "/etc/containers/ca.pem" && p.CAIntermediatesPath == "/etc/containers/inter.pem" &&
			p.SubjectEmail == "dev@example.com" && p.SubjectHostname == "build.example.com" && r.RekorPublicKeyPath == "", "pki with paths")
	}},
	{"sigstore-pki-data", []string{"right*2", "tab", "right*4", "tab", "right", "tab", "type:/etc/containers/ca.pem", "wait:embeds 599 bytes of /etc/containers/ca.pem", "tab", "right*2", "tab", "type:/etc/containers/inter.pem", "wait:embeds 599 bytes of /etc/containers/inter.pem", "tab", "tab", "type:build.example.com"}, func(r *model.Requirement) string {
		p := r.PKI
		return is(p != nil && string(p.CARootsData) == testCACert && string(p.CAIntermediatesData) == testCACert && p.SubjectHostname == "build.example.com", "pki with data")
	}},
	{"signedBaseLayer-remapIdentity", []string{"right", "tab", "right*5", "tab", "type:quay.io/formtest", "tab", "type:registry.example.com/team"}, func(r *model.Requirement) string {
		id := r.BaseLayerIdentity
		return is(r.Type == model.SignedBaseLayer && id != nil && id.Type == model.RemapIdentity && id.Prefix == "quay.io/formtest" && id.SignedPrefix == "registry.example.com/team", "baseLayerIdentity remapIdentity")
	}},
	{"reject", []string{"left"}, func(r *model.Requirement) string { return is(r.Type == model.Reject, "reject") }},
	{"insecureAcceptAnything", []string{"left*2"}, func(r *model.Requirement) string {
		return is(r.Type == model.InsecureAcceptAnything, "insecureAcceptAnything")
	}},
}

// expand turns "right*3" into three "right".
func expand(keys []string) []string {
	var out []string
	for _, k := range keys {
		if name, n, ok := strings.Cut(k, "*"); ok && !strings.Contains(k, ":") {
			c, _ := strconv.Atoi(n)
			for range c {
				out = append(out, name)
			}
			continue
		}
		out = append(out, k)
	}
	return out
}

func (tc formCase) send(t *testing.T, tm *teatest.TestModel) {
	for _, k := range expand(tc.keys) {
		if text, ok := strings.CutPrefix(k, "wait:"); ok {
			// A file to embed is read by a Cmd: wait until the form says
			// what it embeds.
			waitScreen(t, tm, 15*time.Second, text)
			continue
		}
		if text, ok := strings.CutPrefix(k, "type:"); ok {
			tm.Type(text)
			continue
		}
		tm.Send(kp(k))
	}
}

// TestProgramBuildsEveryRuleForm builds a rule of every form through key
// presses in a real program, saves it through the review, and checks the
// file: policyio parses it without errors into the rule asked for, and it
// is the one in testdata/forms (which policyio's skopeo test hands to the
// runtime's parser).
func TestProgramBuildsEveryRuleForm(t *testing.T) {
	for _, tc := range formCases {
		t.Run(tc.name, func(t *testing.T) {
			d := formDeps(t, testPolicy)
			tm := teatest.NewTestModel(t, New(d), teatest.WithInitialTermSize(80, 24),
				teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII),
					tea.WithEnvironment([]string{"TERM=linux"})))
			wait := func(what string, ok func(b []byte) bool) {
				t.Helper()
				teatest.WaitFor(t, tm.Output(), ok, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
			}
			has := func(s string) func(b []byte) bool {
				return func(b []byte) bool { return bytes.Contains(b, []byte(s)) }
			}
			wait("overview", has("Trust posture"))
			tm.Type("2")
			wait("policy", has("Scopes (2)"))
			tm.Type("a")
			wait("form", has("Add a scope"))
			tm.Type(formScope)
			tm.Send(kp("tab"))
			tm.Send(kp("tab"))
			tc.send(t, tm)
			// The form applies once its checks and the files it embeds
			// are ready; until then ctrl+s says what is missing.
			tm.Send(kp("ctrl+s"))
			wait("staged", has("staged: add scope"))
			tm.Send(kp("ctrl+s"))
			wait("review", has("Review and save"))
			tm.Type("y")
			typed := false
			wait("confirm", func(b []byte) bool {
				typed = bytes.Contains(b, []byte("type yes"))
				return typed || bytes.Contains(b, []byte("(backup kept)"))
			})
			if typed {
				tm.Type("yes")
				tm.Send(kp("enter"))
				wait("written", has("(backup kept)"))
			}
			tm.Type("q")
			tm.FinalModel(t, teatest.WithFinalTimeout(3*time.Second))
			data, err := os.ReadFile(d.Paths.Policy)
			if err != nil {
				t.Fatal(err)
			}
			p, diags := policyio.ParsePolicy("policy.json", data)
			if diags.HasErrors() {
				t.Fatalf("the written policy has errors:\n%v\n%s", diags, data)
			}
			s := p.Transport("docker").Scope(formScope)
			if s == nil || len(s.Requirements) != 1 {
				t.Fatalf("scope %s not written:\n%s", formScope, data)
			}
			if msg := tc.want(s.Requirements[0]); msg != "" {
				t.Fatalf("want %s, got:\n%s", msg, data)
			}
			requireGoldenFile(t, filepath.Join("forms", tc.name+".json"), data)
		})
	}
}

// requireGoldenFile compares got with testdata/NAME (-update rewrites it).
func requireGoldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(testdataDir, name)
	if flagUpdate() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ui -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Fatalf("%s differs:\nwant:\n%s\ngot:\n%s", path, want, got)
	}
}

func flagUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestEditLoadsEveryRuleFormBack opens each written rule in the edit
// form and applies it unchanged: every field must have been loaded back,
// so the staged policy renders to the very file (nothing to save).
func TestEditLoadsEveryRuleFormBack(t *testing.T) {
	for _, tc := range formCases {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(testdataDir, "forms", tc.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			m := sized(New(formDeps(t, string(data))), 120, 40)
			ref := model.ScopeRef{Transport: model.TransportDocker, Scope: formScope}
			send(t, m, "2")
			runCmd(m, m.openRequirementForm(ref, 0))
			settle(m)
			f, ok := m.modal.(*form)
			if !ok {
				t.Fatal("no form")
			}
			// An embedded key is kept, and the form says what it holds.
			if n := strings.Count(string(data), "Data\""); n > 0 && strings.Count(screen(m), "keeps the embedded") != n {
				t.Fatalf("%d embedded values, but the form does not say it keeps each:\n%s", n, screen(m))
			}
			if strings.Contains(string(data), "keyData") && !strings.Contains(screen(m), "FAKEFPR") {
				t.Fatalf("the kept key data is not described:\n%s", screen(m))
			}
			send(t, m, "ctrl+s")
			if m.modal != nil {
				t.Fatalf("the unchanged rule does not apply: %s\n%s", f.err, screen(m))
			}
			if m.dirty() {
				ch, _ := m.deps.Policy.PolicyChange()
				t.Fatalf("editing without a change changed the policy:\n%+v", ch)
			}
			if got := m.deps.Policy.Policy().Transport("docker").Scope(formScope).Requirements[0]; tc.want(got) != "" {
				t.Fatalf("rule after the edit: %s", tc.want(got))
			}
		})
	}
}

// openScopeRuleForm opens "Add a scope" with the scope typed and the
// focus on the Rule field, as the teatest flows start.
func openScopeRuleForm(t *testing.T, w, h int, ascii bool) *Model {
	t.Helper()
	d := formDeps(t, testPolicy)
	d.ASCII = ascii
	m := sized(New(d), w, h)
	send(t, m, "2", "a", "type:"+formScope, "tab", "tab")
	if _, ok := m.modal.(*form); !ok {
		t.Fatal("no form")
	}
	return m
}

// TestRuleFormsFitEveryScreen: every form, in every state its keys go
// through, is drawn at exactly the terminal size, no line wider, the
// footer kept, the focused field on screen, and nothing but ASCII on
// TERM=linux.
func TestRuleFormsFitEveryScreen(t *testing.T) {
	for _, tc := range formCases {
		for _, sz := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", tc.name, sz[0], sz[1]), func(t *testing.T) {
				m := openScopeRuleForm(t, sz[0], sz[1], true) // as on TERM=linux
				for step, k := range append(expand(tc.keys), "tab") {
					if strings.HasPrefix(k, "wait:") {
						continue
					}
					// Without send's wait for the cursor's blink timer:
					// nothing here needs it.
					if text, ok := strings.CutPrefix(k, "type:"); ok {
						for _, r := range text {
							m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
						}
					} else {
						m.Update(kp(k))
					}
					settle(m)
					s := m.View().Content
					lines := strings.Split(s, "\n")
					if len(lines) != sz[1] {
						t.Fatalf("step %d (%s): %d lines", step, k, len(lines))
					}
					for i, l := range lines {
						if w := ansiWidth(l); w > sz[0] {
							t.Fatalf("step %d (%s): line %d is %d wide", step, k, i, w)
						}
					}
					plain := ansi.Strip(s)
					if !strings.Contains(lines[len(lines)-1], "cancel") {
						t.Fatalf("step %d (%s): footer %q", step, k, lines[len(lines)-1])
					}
					if !strings.Contains(plain, "> ") {
						t.Fatalf("step %d (%s): the focused field is off screen:\n%s", step, k, plain)
					}
					for _, r := range plain {
						if r > 0x7e {
							t.Fatalf("step %d (%s): %q on an ASCII screen:\n%s", step, k, r, plain)
						}
					}
				}
			})
		}
	}
}

// TestRuleFormPreviewRunsInACmd: a keystroke does not judge the policy
// (which reads key files) in Update; the Cmd it returns does, and only
// the latest run's result is kept.
func TestRuleFormPreviewRunsInACmd(t *testing.T) {
	m := openScopeRuleForm(t, 80, 24, false)
	f := m.modal.(*form)
	if f.previewing() {
		t.Fatal("settled form still previewing")
	}
	send(t, m, "tab", "right") // Key: a typed path
	m.Update(kp("tab"))
	m.Update(tea.KeyPressMsg{Code: '/', Text: "/"})
	stale := f.pending
	m.Update(tea.KeyPressMsg{Code: 'y', Text: "y"})
	if !f.previewing() || f.pending == nil {
		t.Fatal("the preview was computed in Update")
	}
	// The older run finishing late must not replace the newer result.
	var old formPreviewMsg
	switch msg := stale().(type) {
	case formPreviewMsg:
		old = msg
	case tea.BatchMsg:
		for _, c := range msg {
			if c == nil {
				continue
			}
			if msg, ok := c().(formPreviewMsg); ok {
				old = msg
			}
		}
	}
	if old.form != f {
		t.Fatal("the first keystroke's Cmd held no preview")
	}
	m.Update(old)
	if !f.previewing() {
		t.Fatal("a stale preview was taken as current")
	}
	settle(m)
	if f.previewing() {
		t.Fatal("the preview did not come back")
	}
}

// TestRuleFormKeysServeMatchingAndHelp: the footer lists the keys of the
// focused field from the form's key map, and those keys do what it says.
func TestRuleFormKeysServeMatchingAndHelp(t *testing.T) {
	m := openScopeRuleForm(t, 100, 30, false)
	f := m.modal.(*form)
	if !strings.Contains(screen(m), "choose") {
		t.Fatalf("a choice field's footer lacks choose:\n%s", screen(m))
	}
	send(t, m, "tab", "right", "right") // Key: several key files
	send(t, m, "tab")
	box := f.focused()
	if box.kind != fCheck || !strings.Contains(screen(m), "space mark") {
		t.Fatalf("a check box's footer lacks space mark:\n%s", screen(m))
	}
	for _, b := range f.bindings() {
		if b.Help().Key == "space" {
			send(t, m, b.Keys()[0])
		}
	}
	if !box.on {
		t.Fatal("the key the footer names did not mark the box")
	}
	send(t, m, "x")
	if box.on {
		t.Fatal("x did not unmark the box")
	}
}

// TestEmbedShowsWhatItEmbedsAndRefusesPrivateKeys: keyData shows the
// fingerprints of the chosen file once read; a file the reader refuses
// blocks the form with the reader's reason.
func TestEmbedShowsWhatItEmbedsAndRefusesPrivateKeys(t *testing.T) {
	m := openScopeRuleForm(t, 80, 24, false)
	f := m.modal.(*form)
	send(t, m, "tab", "right", "right", "right", "tab") // Key: embed; Embed key file: the inventory key
	s := screen(m)
	if !strings.Contains(s, "embeds 3 bytes of /etc/gpg/release.gpg") || !strings.Contains(s, "FAKEFPR") {
		t.Fatalf("the form does not say what it embeds:\n%s", s)
	}
	m.deps.KeyFiles = refusingKeyFiles{}
	send(t, m, "right", "tab", "type:/etc/gpg/secret.gpg")
	if p := f.blocking(); !strings.Contains(p, "PRIVATE") {
		t.Fatalf("blocking = %q, want the refusal", p)
	}
	send(t, m, "ctrl+s")
	if m.modal == nil || m.dirty() {
		t.Fatal("a refused file was embedded")
	}
}

type refusingKeyFiles struct{}

func (refusingKeyFiles) ReadKeyFile(string, KeyFileKind) (KeyFile, error) {
	return KeyFile{}, errors.New("holds PRIVATE key material: refused, nothing is embedded")
}
func (refusingKeyFiles) DescribeKeyData([]byte, KeyFileKind) ([]string, error) { return nil, nil }

func ansiWidth(s string) int { return lipgloss.Width(s) }

// TestRuleFormPreviewWaitsForAPauseOnABigPolicy: over a large policy the
// preview runs only once typing pauses; a change since drops the wait.
func TestRuleFormPreviewWaitsForAPauseOnABigPolicy(t *testing.T) {
	m, _, _, _ := newTestModel(t, bigPolicy(bigPolicyLists), 80, 24)
	ref := model.ScopeRef{Transport: model.TransportDocker, Scope: "registry7.example.com/team7"}
	m.openRequirementForm(ref, 0)
	f := m.modal.(*form)
	if f.previewDelay == 0 {
		t.Fatal("no delay on a big policy")
	}
	small, _, _, _ := newTestModel(t, testPolicy, 80, 24)
	small.openRequirementForm(model.ScopeRef{IsDefault: true}, 0)
	if small.modal.(*form).previewDelay != 0 {
		t.Fatal("a small policy's preview waits")
	}
	job := f.preview(m, f)
	m.Update(kp("right")) // a change: the preview is asked for again
	if _, cmd := m.Update(formPreviewDueMsg{form: f, seq: f.previewSeq - 1, job: job}); cmd != nil {
		t.Fatal("a wait a later change superseded still ran the preview")
	}
	_, cmd := m.Update(formPreviewDueMsg{form: f, seq: f.previewSeq, job: job})
	if cmd == nil {
		t.Fatal("the current wait did not run the preview")
	}
	msg, ok := cmd().(formPreviewMsg)
	if !ok || msg.seq != f.previewSeq {
		t.Fatalf("preview result = %#v", msg)
	}
	m.Update(msg)
	if f.previewing() {
		t.Fatal("the result was not taken")
	}
}

// TestEditKeepsWhatTheFormCannotWrite: keys the form has no field for
// (sigstore's keyDatas and rekorPublicKeyDatas, fulcio's buildSignerURI)
// survive an edit, and a rule naming two key sources (invalid) is kept as
// it is until a key is chosen.
func TestEditKeepsWhatTheFormCannotWrite(t *testing.T) {
	rule := func(r string) string {
		return `{"default": [{"type": "reject"}], "transports": {"docker": {"` + formScope + `": [` + r + `]}}}`
	}
	tests := []struct {
		name, policy string
		keys         []string // after the form opens
		dirty        bool     // the edit changes the file
		want         string   // in the staged rule's JSON
	}{
		{"keyDatas and rekorPublicKeyDatas", rule(`{"type": "sigstoreSigned", "keyDatas": ["YWJj", "ZGVm"], "rekorPublicKeyDatas": ["Z2hp"]}`),
			[]string{"tab", "tab", "tab", "right"}, true, `"keyDatas": [`},
		{"buildSignerURI", rule(`{"type": "sigstoreSigned", "fulcio": {"caPath": "/etc/containers/fulcio.pem", "oidcIssuer": "https://i.example", "subjectEmail": "a@example.com", "buildSignerURI": "https://b.example"}, "rekorPublicKeyPath": "/etc/containers/rekor.pub"}`),
			nil, false, `"buildSignerURI": "https://b.example"`},
		{"two key sources, then one chosen", rule(`{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/gpg/release.gpg", "keyData": "YWJj"}`),
			[]string{"tab", "right"}, true, `"keyPath": "/etc/gpg/release.gpg"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sized(New(formDeps(t, tt.policy)), 120, 40)
			before, err := policyio.MarshalPolicy(m.deps.Policy.Policy())
			if err != nil {
				t.Fatal(err)
			}
			runCmd(m, m.openRequirementForm(model.ScopeRef{Transport: model.TransportDocker, Scope: formScope}, 0))
			settle(m)
			f := m.modal.(*form)
			if tt.name == "two key sources, then one chosen" {
				if f.val("key") != keyKeep || f.blocking() == "" {
					t.Fatalf("an invalid rule must be kept and block: key=%q blocking=%q", f.val("key"), f.blocking())
				}
			}
			send(t, m, append(tt.keys, "ctrl+s")...)
			if m.modal != nil {
				t.Fatalf("not applied: %s\n%s", f.err, screen(m))
			}
			out, err := policyio.MarshalPolicy(m.deps.Policy.Policy())
			if changed := !bytes.Equal(before, out); changed != tt.dirty {
				t.Fatalf("changed = %v, want %v:\n%s", changed, tt.dirty, out)
			}
			if err != nil || !strings.Contains(string(out), tt.want) {
				t.Fatalf("staged policy lacks %s (%v):\n%s", tt.want, err, out)
			}
			if tt.name == "two key sources, then one chosen" && strings.Contains(string(out), "keyData") {
				t.Fatalf("the other key source stayed:\n%s", out)
			}
		})
	}
}

// TestIdentityProblemsShownAtTheirField: each identity value's problem,
// as policyio reports it, is shown under that value's field only.
func TestIdentityProblemsShownAtTheirField(t *testing.T) {
	m := openScopeRuleForm(t, 120, 40, false)
	f := m.modal.(*form)
	send(t, m, "right", "tab") // signedBaseLayer: its identity
	for f.val("identity") != string(model.RemapIdentity) {
		send(t, m, "right")
	}
	send(t, m, "tab", "type:quay.io/ok")
	if msg, _ := f.get("prefix").check(f); msg != "" {
		t.Fatalf("a valid prefix has a problem: %q", msg)
	}
	msg, warn := f.get("signedPrefix").check(f)
	if warn || !strings.HasPrefix(msg, `signedPrefix "" is not valid`) {
		t.Fatalf("signedPrefix check = %q (warn %v)", msg, warn)
	}
	send(t, m, "tab", "type:registry.example.com/team:tag")
	if msg, _ := f.get("signedPrefix").check(f); !strings.Contains(msg, "no tag, digest") {
		t.Fatalf("a prefix with a tag: %q", msg)
	}
	send(t, m, "backspace", "backspace", "backspace", "backspace")
	if p := f.blocking(); p != "" {
		t.Fatalf("still blocked: %s", p)
	}
}

// TestEmbedEscapesWhatTheKeySays: a user ID with a line break and an
// escape sequence cannot add a line or drive the terminal.
func TestEmbedEscapesWhatTheKeySays(t *testing.T) {
	m := openScopeRuleForm(t, 120, 40, false)
	m.deps.KeyFiles = hostileKeyFiles{}
	send(t, m, "tab", "right", "right", "right", "tab")
	s := screen(m)
	if !strings.Contains(s, `evil\n`) || strings.Contains(s, "\x1b]") || strings.Contains(s, "\nFAKE") {
		t.Fatalf("user ID not escaped:\n%q", s)
	}
}

type hostileKeyFiles struct{}

func (hostileKeyFiles) ReadKeyFile(string, KeyFileKind) (KeyFile, error) {
	return KeyFile{Data: []byte("k"), Lines: []string{"1111222233334444", "  evil\nFAKE 9999 \x1b]0;title\x07"}}, nil
}
func (hostileKeyFiles) DescribeKeyData([]byte, KeyFileKind) ([]string, error) { return nil, nil }
