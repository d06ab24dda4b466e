package ui

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/aymanbagabas/go-udiff"
	"github.com/charmbracelet/x/ansi"
	_ "github.com/charmbracelet/x/exp/golden" // registers -update
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/workspace"
)

// testPolicy is a small node policy: reject by default, one signed
// namespace, one open one.
const testPolicy = `{
  "default": [{"type": "reject"}],
  "transports": {
    "docker": {
      "registry.example.com/team": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/gpg/release.gpg", "signedIdentity": {"type": "matchRepository"}}],
      "registry.k8s.io": [{"type": "insecureAcceptAnything"}]
    }
  }
}
`

// newTestRoot makes a node root in a temporary directory and changes
// into it, so that every path on screen is the same on every run.
func newTestRoot(t testing.TB, policy string) node.Paths {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	for _, d := range []string{"root/etc/containers/registries.d", "root/etc/gpg"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile("root/etc/gpg/release.gpg", []byte("key"), 0o644); err != nil {
		t.Fatal(err)
	}
	paths := node.NewPaths("root", "", "", "")
	if policy != "" {
		if err := os.WriteFile(paths.Policy, []byte(policy), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

type fakeKeys struct {
	keys    []KeyRow
	imports int
	last    []byte // what the last Import got
	lists   int    // List calls
}

func (f *fakeKeys) List() ([]KeyRow, error) { f.lists++; return f.keys, nil }

func (f *fakeKeys) Import(data []byte) (KeyRow, error) {
	f.last = data
	if strings.Contains(string(data), "PRIVATE KEY") {
		return KeyRow{}, errors.New("this is a PRIVATE key: refused, nothing was written; export the public key with gpg --export")
	}
	f.imports++
	k := KeyRow{Fingerprint: "1111222233334444555566667777888899990000", UserID: "new@example.com", Path: "/etc/gpg/new.gpg", Status: "ok"}
	f.keys = append(f.keys, k)
	return k, nil
}

func (f *fakeKeys) Remove(fpr string, p *model.Policy) error {
	for i, k := range f.keys {
		if k.Fingerprint == fpr {
			if len(k.UsedBy) > 0 {
				return errors.New("still used by " + strings.Join(k.UsedBy, ", "))
			}
			f.keys = append(f.keys[:i], f.keys[i+1:]...)
			return nil
		}
	}
	return errors.New("no such key")
}

type fakeLookaside struct {
	entries []LookasideRow
	diags   model.Diagnostics
}

func (f *fakeLookaside) List() ([]LookasideRow, model.Diagnostics, error) {
	return f.entries, f.diags, nil
}
func (f *fakeLookaside) Explain(ref string) ([]string, error) {
	return []string{"entry default-docker in default.yaml", "signature 1: https://sigs.example.com/" + ref + "/signature-1"}, nil
}
func (f *fakeLookaside) Set(e LookasideRow) error {
	for i := range f.entries {
		if f.entries[i].Scope == e.Scope {
			f.entries[i] = e
			return nil
		}
	}
	f.entries = append(f.entries, e)
	return nil
}
func (f *fakeLookaside) Remove(scope string) error {
	for i := range f.entries {
		if f.entries[i].Scope == scope {
			f.entries = append(f.entries[:i], f.entries[i+1:]...)
			return nil
		}
	}
	return errors.New("no entry " + scope)
}

// fakeVerifier accepts images whose scope in the given policy requires a
// signature or accepts anything, which is enough to see which policy
// (saved or staged) a check used. The real rules live in verify.
type fakeVerifier struct {
	calls []string
	block chan struct{}
}

func (f *fakeVerifier) Verify(ctx context.Context, p *model.Policy, ref string) (VerifyResult, error) {
	f.calls = append(f.calls, ref)
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return VerifyResult{}, ctx.Err()
		}
	}
	host := ref
	if i := strings.LastIndexAny(host, ":@"); i > strings.LastIndex(host, "/") {
		host = host[:i]
	}
	reqs := p.Default
	scope := "default"
	for cand := host; cand != ""; {
		if s := p.Transport("docker").Scope(cand); s != nil {
			reqs, scope = s.Requirements, "docker:"+cand
			break
		}
		i := strings.LastIndex(cand, "/")
		if i < 0 {
			break
		}
		cand = cand[:i]
	}
	acc := strengthWord(policyio.Strength(reqs)) != "reject"
	return VerifyResult{Ref: ref, Accepted: acc, Scope: scope, Summary: "fake verdict",
		Trace: []TraceStep{{OK: true, Text: "scope " + scope}, {OK: acc, Failed: !acc, Text: reqs.DescribeList(nil), Depth: 1}}}, nil
}

func testDeps(t testing.TB, policy string) (Deps, *fakeKeys, *fakeLookaside, *fakeVerifier) {
	paths := newTestRoot(t, policy)
	ws, err := workspace.Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	ws.AuditLog = filepath.Join("root", "audit.log")
	keys := &fakeKeys{keys: []KeyRow{{
		Fingerprint: "3A5C9F2B7D1E4A6C8B0F2D4E6A8C0B2D4F6E1F0", UserID: "Release <release@example.com>", Algorithm: "rsa4096",
		Expires: time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC), Status: "ok", Path: "/etc/gpg/release.gpg",
		UsedBy: []string{"docker:registry.example.com/team"},
	}}}
	la := &fakeLookaside{entries: []LookasideRow{{Scope: "default-docker", URL: "file:///var/lib/containers/sigstore", File: "default.yaml"}}}
	v := &fakeVerifier{}
	return Deps{Rules: policyio.Rules{}, Paths: paths, Policy: ws, Keys: keys, Lookaside: la, Verifier: v,
		NodeImages: func() []string { return []string{"registry.k8s.io/pause:3.10"} }}, keys, la, v
}

func kp(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	}
	if strings.HasPrefix(s, "ctrl+") {
		return tea.KeyPressMsg{Code: rune(s[5]), Mod: tea.ModCtrl}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// send feeds keys (named, or typed text with "type:" prefix) to m and
// runs the commands they return that finish at once, as the runtime would.
func send(t testing.TB, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if text, ok := strings.CutPrefix(k, "type:"); ok {
			for _, r := range text {
				m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
			}
			settle(m)
			continue
		}
		_, cmd := m.Update(kp(k))
		runCmd(m, cmd)
		settle(m)
	}
}

// settle runs the open form's async work (its preview, the key files it
// reads) at once and feeds the results back, as the program would.
func settle(m *Model) {
	for range 16 {
		f, _ := m.modal.(*form)
		if f == nil && m.wiz != nil {
			f = m.wiz.form
		}
		if f == nil || f.pending == nil {
			return
		}
		cmd := f.pending
		f.pending = nil
		var run func(c tea.Cmd)
		run = func(c tea.Cmd) {
			if c == nil {
				return
			}
			switch msg := c().(type) {
			case tea.BatchMsg:
				for _, c := range msg {
					run(c)
				}
			case formPreviewMsg, keyFileMsg, pathSuggestMsg:
				m.Update(msg)
			}
		}
		run(cmd)
	}
}

// runCmd runs cmd and feeds back its messages, skipping timers (spinner
// ticks, cursor blinks) so tests stay fast and deterministic.
func runCmd(m *Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	// A busy operation (a save, a review, a reload) writes or reads
	// files: it is waited for; anything else that takes long is a timer.
	wait := 20 * time.Millisecond
	if m.busy != "" {
		wait = time.Minute
	}
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(wait):
		return // a timer: not needed for the test
	}
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			runCmd(m, c)
		}
	case verifyDoneMsg, wizardCheckMsg, shadowMsg, editorTextMsg, busyDoneMsg, trialConfirmMsg, keyDataMsg, pathSuggestMsg:
		_, next := m.Update(msg)
		runCmd(m, next)
	}
}

func screen(m *Model) string { return ansi.Strip(m.View().Content) }

func sized(m *Model, w, h int) *Model {
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	awaitProblems(m)
	return m
}

// awaitProblems delivers the problems New leaves to a tea.Cmd, as the
// program does right after the first frame.
func awaitProblems(m *Model) {
	if cmd := m.checkProblems(); cmd != nil {
		m.Update(cmd())
	}
}

// testdataDir is resolved before any test changes directory.
var testdataDir string

func TestMain(m *testing.M) {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	testdataDir = filepath.Join(wd, "testdata")
	os.Exit(m.Run())
}

// requireGolden compares got with testdata/<test name>.golden; the -update
// flag (registered by x/exp/golden, which teatest uses) rewrites it.
func requireGolden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join(testdataDir, t.Name()+".golden")
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
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
		t.Fatalf("screen differs from %s:\n%s", path, udiff.Unified("want", "got", string(want), string(got)))
	}
}
