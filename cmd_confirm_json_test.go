package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kios/imgtrust/trial"
)

// TestConfirmJSON: confirm --json prints one JSON object whatever
// happened, with the exit codes of the plain command.
func TestConfirmJSON(t *testing.T) {
	record := func(state string) func(p string) error {
		return func(p string) error {
			r := trial.Record{ID: "t1", Summary: "set \x1b[2Jdefault", Applied: time.Now(), Deadline: time.Now().Add(time.Hour), State: state,
				Files: []trial.File{{Path: "/etc/containers/policy.json", Existed: true, Previous: []byte("{}")}}}
			data, err := json.Marshal(r)
			if err != nil {
				return err
			}
			return os.WriteFile(p, data, 0o600)
		}
	}
	tests := []struct {
		name   string
		make   func(path string) error // nil: no record
		code   int
		result string
		files  int
	}{
		{"no trial", nil, exitFindings, "none", 0},
		{"pending", record(trial.Pending), exitOK, "confirmed", 1},
		{"failed revert", record(trial.RevertFailed), exitOK, "cleared", 1},
		{"unreadable", func(p string) error { return os.WriteFile(p, []byte("{bad"), 0o600) }, exitOK, "discarded-unreadable", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := trialRoot(t)
			if tc.make != nil {
				rec := filepath.Join(root, trial.RecordPath)
				os.MkdirAll(filepath.Dir(rec), 0o755)
				if err := tc.make(rec); err != nil {
					t.Fatal(err)
				}
			}
			code, out, errs := run(t, "--root", root, "confirm", "--json")
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, out, errs)
			}
			var rep struct {
				Result  string   `json:"result"`
				Summary string   `json:"summary"`
				Files   []string `json:"files"`
				Aside   string   `json:"aside"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if rep.Result != tc.result || len(rep.Files) != tc.files || rep.Files == nil {
				t.Errorf("report %+v, want result %s and %d file(s)\n%s", rep, tc.result, tc.files, out)
			}
			if tc.files > 0 && rep.Summary != "set \x1b[2Jdefault" {
				t.Errorf("summary %q: JSON carries the exact value", rep.Summary)
			}
			if tc.result == "discarded-unreadable" && !strings.HasPrefix(rep.Aside, "/var/lib/imgtrust/trial.json.unreadable-") {
				t.Errorf("aside %q", rep.Aside)
			}
		})
	}
}
