package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/node"
)

// TestShadowCommand soaks, on the demo node, a candidate that rejects by
// default (the demo's live default accepts anything): the command logs
// each image once, even across a restart, and --report's exit code says
// whether anything would have been rejected.
func TestShadowCommand(t *testing.T) {
	d := testDemo(t)
	signed, open, unsigned := demoImage(t, d, "demo/signed"), demoImage(t, d, "open/tool"), demoImage(t, d, "demo/unsigned")
	images := []map[string]any{
		{"id": "1", "digest": "sha256:01", "names": []string{signed, open}},
		{"id": "2", "digest": "sha256:02", "names": []string{unsigned}},
	}
	data, _ := json.Marshal(images)
	files := map[string]string{
		"var/lib/containers/storage/overlay-images/images.json": string(data),
		"etc/crio/crio.conf": "[crio.image]\npause_image = \"" + signed + "\"\n",
	}
	for name, content := range files {
		os.MkdirAll(filepath.Join(d.Root, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(d.Root, name), []byte(content), 0o644)
	}
	live, err := os.ReadFile(filepath.Join(d.Root, "etc/containers/policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	clean := filepath.Join(t.TempDir(), "clean.json")
	os.WriteFile(clean, live, 0o644)
	cand := filepath.Join(t.TempDir(), "candidate.json")
	os.WriteFile(cand, []byte(strings.Replace(string(live), "insecureAcceptAnything", "reject", 1)), 0o644)

	tests := []struct {
		name, candidate string
		code            int
		out             []string
	}{
		{"rejects by default", cand, 1, []string{"live accepted    candidate REJECTED    " + open, "live REJECTED    candidate REJECTED    " + unsigned,
			"3 pulls, 2 would have been rejected:", "  " + open + ": rejected by default"}},
		{"restart judges nothing again", cand, 1, []string{"3 pulls, 2 would have been rejected"}},
		{"the live policy as candidate", clean, 1, []string{"3 pulls, 1 would have been rejected", "1 image the live configuration rejects today"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, "shadow", "--root", d.Root, "--tls-verify=false", "--candidate", tc.candidate, "--for", "300ms")
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errs)
			}
			for _, w := range tc.out {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if tc.name == "restart judges nothing again" && strings.Contains(out, "  live ") {
				t.Errorf("a restarted shadow judged a logged image again:\n%s", out)
			}
		})
	}
	log, err := os.ReadFile(filepath.Join(d.Root, "var/lib/imgtrust/shadow.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), `"event":"image"`); n != 6 {
		t.Errorf("%d image lines in the log, want 3 per candidate:\n%s", n, log)
	}
	code, out, _ := run(t, "shadow", "--root", d.Root, "--report")
	if code != 1 || !strings.Contains(out, "3 pulls, 1 would have been rejected:\n  "+unsigned) || !strings.Contains(out, "2 earlier runs") {
		t.Errorf("report of the last candidate: exit %d\n%s", code, out)
	}
}

func TestShadowReport(t *testing.T) {
	lines := map[string]string{
		"clean": `{"time":"2026-11-28T10:00:00Z","event":"start","candidate_sha256":"c"}
{"time":"2026-11-29T10:00:00Z","event":"image","reference":"r/a:1","live":"accepted","candidate":"accepted"}
`,
		"rejects": `{"time":"2026-11-28T10:00:00Z","event":"start","candidate_sha256":"c"}
{"time":"2026-11-29T10:00:00Z","event":"image","reference":"r/a:1\u001b]0;x\u0007","live":"accepted","candidate":"rejected","reason":"no signature"}
`,
		"not checked only": `{"time":"2026-11-28T10:00:00Z","event":"start","candidate_sha256":"c"}
{"time":"2026-11-28T10:00:00Z","event":"image","reference":"r/a:1","live":"accepted","candidate":"not-checked","reason":"timeout"}
`,
	}
	files := map[string]string{}
	for k, v := range lines {
		files["var/lib/imgtrust/"+strings.ReplaceAll(k, " ", "-")+".log"] = v
	}
	root := scratchRoot(t, "", files)
	tests := []struct {
		log  string
		code int
		want string
	}{
		{"/var/lib/imgtrust/clean.log", 0, "1 day, 1 pull, none would have been rejected"},
		{"/var/lib/imgtrust/rejects.log", 1, "1 day, 1 pull, 1 would have been rejected:\n  r/a:1"},
		{"/var/lib/imgtrust/not-checked-only.log", 0, "1 image could not be checked"},
		{"/var/lib/imgtrust/missing.log", 2, ""},
	}
	for _, tc := range tests {
		code, out, _ := run(t, "shadow", "--root", root, "--report", tc.log)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, want %d; output\n%s", tc.log, code, tc.code, out)
		}
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("%s: a control character reached the terminal: %q", tc.log, out)
		}
	}
	// --json: the same counts, machine-readable, the reference exact.
	code, out, errs := run(t, "shadow", "--root", root, "--report", "--json", "/var/lib/imgtrust/rejects.log")
	var rep struct {
		Pulls, Rejected int
		Examples        []struct{ Reference, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.Pulls != 1 || rep.Rejected != 1 ||
		len(rep.Examples) != 1 || rep.Examples[0].Reference != "r/a:1\x1b]0;x\a" || rep.Examples[0].Reason != "no signature" {
		t.Errorf("--report --json: exit %d %v %+v\n%s%s", code, err, rep, out, errs)
	}
}

// TestTUIShadowStatus: the Overview's backend reads the node's log, and
// reads it again when it grows.
func TestTUIShadowStatus(t *testing.T) {
	root := scratchRoot(t, "", nil)
	b := &tuiShadow{paths: node.NewPaths(root, "", "", "")}
	if _, ok, err := b.Status(); ok || err != nil {
		t.Fatalf("no log: ok=%v err=%v", ok, err)
	}
	log := filepath.Join(root, "var/lib/imgtrust/shadow.log")
	os.MkdirAll(filepath.Dir(log), 0o755)
	os.WriteFile(log, []byte(`{"time":"2026-11-28T10:00:00Z","event":"start","candidate_sha256":"c"}
{"time":"2026-11-28T10:00:00Z","event":"image","reference":"r/a:1","live":"accepted","candidate":"accepted"}
`), 0o644)
	s, ok, err := b.Status()
	if !ok || err != nil || s.Headline != "0 seconds, 1 pull, none would have been rejected" || !s.Running {
		t.Fatalf("%+v %v %v", s, ok, err)
	}
	appendLog := func(text string) {
		f, _ := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(text)
		f.Close()
	}
	// A line the shadow is still writing is left for the next look.
	const rejected = `{"time":"2026-11-29T10:00:00Z","event":"image","reference":"r/b:1","live":"accepted","candidate":"rejected","reason":"no signature"}` + "\n"
	appendLog(rejected[:40])
	if s, _, _ = b.Status(); s.Headline != "0 seconds, 1 pull, none would have been rejected" || b.read != 0 {
		t.Errorf("a half-written line was read: %+v (read %d)", s, b.read)
	}
	appendLog(rejected[40:] + `{"time":"2026-11-29T10:00:01Z","event":"stop"}` + "\n")
	s, _, _ = b.Status()
	if s.Headline != "1 day, 2 pulls, 1 would have been rejected" || s.Running || len(s.Examples) != 1 || s.Examples[0] != "r/b:1: no signature" {
		t.Errorf("after the log grew: %+v", s)
	}
	// Only what was appended is read, not the whole log again.
	if want := int64(len(rejected) + len(`{"time":"2026-11-29T10:00:01Z","event":"stop"}`+"\n")); b.read != want {
		t.Errorf("read %d bytes after the append, want the %d appended", b.read, want)
	}
	// A new, shorter log (a new soak) is read from its start.
	os.Remove(log)
	os.WriteFile(log, []byte(`{"time":"2026-12-01T10:00:00Z","event":"start","candidate_sha256":"d"}`+"\n"), 0o644)
	if s, _, _ = b.Status(); s.Headline != "0 seconds, 0 pulls, none would have been rejected" || !s.Running {
		t.Errorf("a new log: %+v", s)
	}
}

// TestShadowLogMustBeAShadowLog: shadow appends only to an empty file or
// a shadow log; a --log naming policy.json, or a symlink to it in the
// log's place, is refused and the file left as it was.
func TestShadowLogMustBeAShadowLog(t *testing.T) {
	policy := `{"default":[{"type":"insecureAcceptAnything"}]}` + "\n"
	tests := []struct {
		name  string
		setup func(root string) []string // extra args
	}{
		{"--log is policy.json", func(root string) []string { return []string{"--log", "/etc/containers/policy.json"} }},
		{"--log in registries.d", func(root string) []string { return []string{"--log", "/etc/containers/registries.d/shadow.yaml"} }},
		{"--log in the keys directory", func(root string) []string { return []string{"--log", "/etc/gpg/shadow.log"} }},
		{"the log is a symlink to policy.json", func(root string) []string {
			os.MkdirAll(filepath.Join(root, "var/lib/imgtrust"), 0o755)
			os.Symlink("/etc/containers/policy.json", filepath.Join(root, "var/lib/imgtrust/shadow.log"))
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := scratchRoot(t, policy, nil)
			cand := filepath.Join(t.TempDir(), "candidate.json")
			os.WriteFile(cand, []byte(policy), 0o644)
			args := append([]string{"shadow", "--root", root, "--own-image", "none", "--candidate", cand, "--for", "50ms"}, tc.setup(root)...)
			code, out, errs := run(t, args...)
			if code != exitUsage || !strings.Contains(errs, "refusing to append to it") {
				t.Errorf("exit %d, want %d and the refusal\n%s%s", code, exitUsage, out, errs)
			}
			if data, _ := os.ReadFile(filepath.Join(root, "etc/containers/policy.json")); string(data) != policy {
				t.Errorf("policy.json appended to:\n%s", data)
			}
			for _, p := range []string{"etc/containers/registries.d/shadow.yaml", "etc/gpg/shadow.log"} {
				if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
					t.Errorf("%s was created", p)
				}
			}
		})
	}
}

// TestShadowReportPastOneGB: a log past 1 GB (a long soak of a busy
// node) is still summarized: every reader streams it. The file is sparse,
// but reading it takes seconds: run by CI's shadow step.
func TestShadowReportPastOneGB(t *testing.T) {
	if os.Getenv("IMGTRUST_SLOW") == "" {
		t.Skip("reads a GB: IMGTRUST_SLOW=1 (.ci/steps/40-shadow-and-trial.sh)")
	}
	root := scratchRoot(t, "", nil)
	log := filepath.Join(root, "var/lib/imgtrust/shadow.log")
	os.MkdirAll(filepath.Dir(log), 0o755)
	start := `{"time":"2026-11-28T10:00:00Z","event":"start","candidate_sha256":"c"}` + "\n"
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(start)
	f.Truncate(1<<30 + 1<<20) // the hole reads as one long bad line
	f.Close()
	code, out, errs := run(t, "shadow", "--root", root, "--report")
	if code != 0 || !strings.Contains(out, "0 pulls, none would have been rejected") || !strings.Contains(out, "1 line of the log could not be read") {
		t.Errorf("exit %d\n%s%s", code, out, errs)
	}
}
