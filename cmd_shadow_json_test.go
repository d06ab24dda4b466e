package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShadowRunJSON: a running shadow with --json prints JSON lines only:
// a start, one line per image judged, a summary; the exit code is the
// plain command's. Nothing on stdout is plain text.
func TestShadowRunJSON(t *testing.T) {
	d := testDemo(t)
	signed, open := demoImage(t, d, "demo/signed"), demoImage(t, d, "open/tool")
	images, _ := json.Marshal([]map[string]any{{"id": "1", "digest": "sha256:01", "names": []string{signed, open}}})
	root := d.Root
	for name, content := range map[string]string{
		"var/lib/containers/storage/overlay-images/images.json": string(images),
		"etc/crio/crio.conf": "[crio.image]\npause_image = \"" + signed + "\"\n",
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755)
		os.WriteFile(filepath.Join(root, name), []byte(content), 0o644)
	}
	live, err := os.ReadFile(filepath.Join(root, "etc/containers/policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, candidate string
		code, rejected  int
	}{
		{"rejecting candidate", strings.Replace(string(live), "insecureAcceptAnything", "reject", 1), exitFindings, 1},
		{"the live policy", string(live), exitOK, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(filepath.Join(root, "var/lib/imgtrust/shadow.log"))
			cand := filepath.Join(t.TempDir(), "candidate.json")
			os.WriteFile(cand, []byte(tc.candidate), 0o644)
			code, out, errs := run(t, "shadow", "--json", "--root", root, "--tls-verify=false", "--candidate", cand, "--for", "300ms")
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out, errs)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			var events []string
			var last map[string]any
			for _, l := range lines {
				var v map[string]any
				if err := json.Unmarshal([]byte(l), &v); err != nil {
					t.Fatalf("not a JSON line: %q (%v)\n%s", l, err, out)
				}
				events = append(events, v["event"].(string))
				last = v
			}
			if want := "start image image summary"; strings.Join(events, " ") != want {
				t.Errorf("events %v, want %s\n%s", events, want, out)
			}
			if last["pulls"] != 2.0 || last["rejected"] != float64(tc.rejected) || last["examples"] == nil {
				t.Errorf("summary %v\n%s", last, out)
			}
		})
	}
}
