package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/workspace"
)

// TestTUIImageProblemsAreLintsLockouts: the TUI's node image problems
// (tuiDeps' NodeImageProblems) are lint's, offline, for the policy as
// loaded and as staged: a pause image or own image the policy rejects is
// an error; an edit that lets them in clears it, one that shuts them out
// brings it; a namespace policy judges no node image (as lint).
func TestTUIImageProblemsAreLintsLockouts(t *testing.T) {
	const (
		rejectAll = `{"default":[{"type":"reject"}]}`
		acceptAll = `{"default":[{"type":"insecureAcceptAnything"}]}`
	)
	allow := func(p *model.Policy) { p.Default = model.Requirements{{Type: model.InsecureAcceptAnything}} }
	shut := func(p *model.Policy) { p.Default = model.Requirements{{Type: model.Reject}} }
	tests := []struct {
		name   string
		policy string
		edit   func(p *model.Policy)
		want   []string // codes of the errors
	}{
		{"saved policy rejects the pause and own image", rejectAll, nil, []string{"own-image-rejected", "pause-image-rejected"}},
		{"saved policy accepts them", acceptAll, nil, nil},
		{"staged edit lets them in", rejectAll, allow, nil},
		{"staged edit shuts them out", acceptAll, shut, []string{"own-image-rejected", "pause-image-rejected"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := scratchRoot(t, tt.policy, nodeFiles("127.0.0.1:1/pause:3.10", map[string]string{
				node.OwnImageFile[1:]: "quay.io/debug/tools:1\n",
			}))
			paths := node.NewPaths(root, "", "", "")
			ws, err := workspace.Open(paths)
			if err != nil {
				t.Fatal(err)
			}
			d := tuiDeps(paths, ws, gpg.Detection{Mechanism: gpg.MechGoCrypto}, true, false)
			if tt.edit != nil {
				ws.Edit("edit", tt.edit)
			}
			check := d.NodeImageProblems()
			var got []string
			for _, diag := range check() {
				if diag.Severity == model.Error {
					got = append(got, diag.Code)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("errors %v, want %v", got, tt.want)
			}
			// lint reports the same errors for the saved policy.
			if tt.edit == nil {
				_, out, _ := run(t, "--root", root, "--mechanism", "openpgp-gocrypto", "--json", "lint", "--offline")
				var rep lintReport
				if err := json.Unmarshal([]byte(out), &rep); err != nil {
					t.Fatalf("%v: %s", err, out)
				}
				var lint []string
				for _, diag := range rep.Diagnostics {
					if diag.Severity == model.Error {
						lint = append(lint, diag.Code)
					}
				}
				slices.Sort(lint)
				if !slices.Equal(lint, got) {
					t.Errorf("lint's errors %v, the TUI's %v", lint, got)
				}
			}
		})
	}
}

// TestTUIShowsTheLockoutLintShows: the TUI opened on a node whose saved
// policy rejects its pause image says so in the header, the Overview and
// Problems, as lint does.
func TestTUIShowsTheLockoutLintShows(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, nodeFiles("127.0.0.1:1/pause:3.10", map[string]string{
		node.OwnImageFile[1:]: "none\n",
	}))
	r := startTUI(t, root)
	feedAll(r, r.m.Init())
	r.wait("1 error", "Problems:         1 error(s)")
	if s := r.screen(); strings.Contains(s, "no problems") {
		t.Fatalf("header says no problems on a locked-out node:\n%s", s)
	}
	r.key(tea.KeyPressMsg{Code: '6', Text: "6"})
	r.wait("the policy rejects the pause image 127.0.0.1:1/pause:3.10")
}

// feedAll runs cmd (a batch too) synchronously and feeds its messages to
// the model; what those return (a poll's timer) is not run.
func feedAll(r *tuiRun, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			feedAll(r, c)
		}
	default:
		r.m.Update(msg)
	}
}
