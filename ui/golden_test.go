package ui

import (
	"fmt"
	"testing"
)

// TestGoldenScreens pins every view, the help overlay, a form, the save
// diff and each wizard step at the console size and a larger one. The
// screens are plain text (ANSI stripped): colour is the terminal's
// business, layout and words are ours. go test ./ui -update rewrites them.
func TestGoldenScreens(t *testing.T) {
	cases := []struct {
		name string
		keys []string
	}{
		{"overview", nil},
		{"policy", []string{"2", "j", "j"}},
		{"policy-rules", []string{"2", "j", "j", "right"}},
		{"policy-form", []string{"2", "j", "j", "right", "e"}},
		{"keys", []string{"3"}},
		{"lookaside", []string{"4"}},
		{"verify", []string{"5", "type:registry.k8s.io/pause:3.10", "enter"}},
		{"problems", []string{"2", "right", "d", "y", "6"}},
		{"help", []string{"2", "?"}},
		{"save-diff", []string{"2", "j", "j", "j", "d", "y", "ctrl+s"}},
		{"wizard-1-scopes", []string{"w", "type:registry.example.com/team"}},
		{"wizard-2-key", []string{"w", "type:registry.example.com/team", "enter"}},
		{"wizard-3-identity", []string{"w", "type:registry.example.com/team", "enter", "enter"}},
		{"wizard-4-lookaside", []string{"w", "type:registry.example.com/team", "enter", "enter", "enter"}},
		{"wizard-5-test", []string{"w", "type:registry.example.com/team", "enter", "enter", "enter", "enter", "type:registry.example.com/team/app:1", "enter"}},
		{"wizard-6-default", []string{"w", "type:registry.example.com/team", "enter", "enter", "enter", "enter", "enter"}},
		{"wizard-7-impact", []string{"w", "type:registry.example.com/team", "enter", "enter", "enter", "enter", "enter", "enter", "enter", "enter"}},
	}
	for _, tc := range cases {
		for _, sz := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", tc.name, sz[0], sz[1]), func(t *testing.T) {
				m, _, _, _ := newTestModel(t, testPolicy, sz[0], sz[1])
				send(t, m, tc.keys...)
				requireGolden(t, []byte(screen(m)))
			})
		}
	}
}
