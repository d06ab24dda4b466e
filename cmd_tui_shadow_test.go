package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/safefile"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/workspace"
)

// TestTUIShadowStartsCandidate: over the real wiring, s in the save
// review writes the staged policy and registries.d as a candidate under
// /var/lib/imgtrust (policy.json untouched, the edits still staged),
// starts `imgtrust shadow --candidate` through the starter and records
// its pid beside the log; the Overview's x stops that pid.
func TestTUIShadowStartsCandidate(t *testing.T) {
	root := scratchRoot(t, pausePolicy, nodeFiles("127.0.0.1:1/pause:3.10", map[string]string{
		"etc/containers/registries.d/a.yaml": "docker:\n  example.com: {lookaside: https://old.example}\n"}))
	paths := node.NewPaths(root, "", "", "")
	ws, err := workspace.Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	alive := map[int]bool{}
	d := tuiDeps(paths, ws, gpg.Detection{Mechanism: gpg.MechGoCrypto}, false, false)
	runner := tuiShadowRunner{paths: paths, start: func(_ node.Paths, a []string) (int, error) { args = a; alive[999] = true; return 999, nil },
		alive: func(pid int, cand string) bool { return alive[pid] && slices.Contains(args, cand) }}
	d.ShadowRunner, d.Shadow = runner, &tuiShadow{paths: paths, runner: runner}
	m := ui.New(d)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	screen := func() string { return ansi.Strip(m.View().Content) }
	if err := d.Lookaside.Set(ui.LookasideRow{Scope: "example.com", URL: "https://new.example", File: "a.yaml"}); err != nil {
		t.Fatal(err)
	}
	for _, k := range "2Gdy" {
		m.Update(tea.KeyPressMsg{Code: k, Text: string(k)})
	}
	busyUpdate(m, tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
	if !strings.Contains(screen(), "s: try it in shadow instead") {
		t.Fatalf("not offered:\n%s", screen())
	}
	_, cmd := m.Update(tea.KeyPressMsg{Code: 's', Text: "s"})
	m.Update(cmd())
	if !strings.Contains(screen(), "shadow soak started (pid 999)") {
		t.Fatalf("not started:\n%s", screen())
	}
	if got, _ := os.ReadFile(paths.Policy); string(got) != pausePolicy {
		t.Fatalf("policy.json written:\n%s", got)
	}
	i := slices.Index(args, "--candidate")
	if args[0] != "shadow" || i < 0 || !strings.HasPrefix(args[i+1], filepath.Join(root, "var/lib/imgtrust/candidate-")) {
		t.Fatalf("args %q", args)
	}
	cand, _ := os.ReadFile(args[i+1])
	if strings.Contains(string(cand), "127.0.0.1:1/pause") || !strings.Contains(string(cand), "reject") {
		t.Fatalf("candidate is not the staged policy:\n%s", cand)
	}
	j := slices.Index(args, "--candidate-registries.d")
	if j < 0 {
		t.Fatalf("no candidate registries.d: %q", args)
	}
	if rd, _ := os.ReadFile(filepath.Join(args[j+1], "a.yaml")); !strings.Contains(string(rd), "https://new.example") {
		t.Fatalf("candidate registries.d:\n%s", rd)
	}
	if rd, _ := os.ReadFile(filepath.Join(root, "etc/containers/registries.d/a.yaml")); strings.Contains(string(rd), "new.example") {
		t.Fatal("registries.d written")
	}
	if !slices.Contains(args, "--tls-verify=false") {
		t.Errorf("--tls-verify not passed on: %q", args)
	}
	if st, ok := ws.StagedFiles(), ws.Edits(); len(st) == 0 || len(ok) == 0 {
		t.Fatal("the staged edits were dropped")
	}
	// A second soak is refused while the first runs.
	if _, err := runner.Start(&workspace.Review{}); err == nil || !strings.Contains(err.Error(), "already running (pid 999") {
		t.Fatalf("second start: %v", err)
	}
	if pid := runner.running(); pid != 999 {
		t.Fatalf("recorded pid %d", pid)
	}
	// Stop: pid 999 is not a real process here, so the fake says it is
	// gone; the record is removed.
	alive[999] = false
	if run, err := runner.Stop(); err != nil || run.PID != 999 {
		t.Fatalf("stop: %v %+v", err, run)
	}
	if _, err := os.Stat(filepath.Join(root, "var/lib/imgtrust/shadow.pid")); !os.IsNotExist(err) {
		t.Fatalf("pid file stays: %v", err)
	}
}

// TestTUIShadowWritesNoRuntimeFile: with the keys directory (or
// registries.d) pointed at the state directory, a candidate written there
// would be read by the runtime; it is refused and nothing is written.
func TestTUIShadowWritesNoRuntimeFile(t *testing.T) {
	root := t.TempDir()
	state := filepath.Join(root, "var/lib/imgtrust")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, paths := range []node.Paths{node.NewPaths(root, "", "", state), node.NewPaths(root, "", state, "")} {
		r := tuiShadowRunner{paths: paths}
		err := r.write("/var/lib/imgtrust/candidate-x.json", []byte("{}"), safefile.ExpectAbsent)
		if err == nil || !strings.Contains(err.Error(), "the runtime reads") {
			t.Errorf("write into a runtime directory: %v", err)
		}
		if _, err := os.Stat(filepath.Join(state, "candidate-x.json")); !os.IsNotExist(err) {
			t.Errorf("a file was written: %v", err)
		}
	}
}
