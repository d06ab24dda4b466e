package ui

import (
	"bytes"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// waitScreen waits until every one of ss has appeared in the program's
// output. The renderer redraws only the cells that change, so a word that
// is on the screen may never be written whole (its first letters were
// already there from the frame before): when the words have not all shown
// after a while, the screen is cleared, which makes the next frame draw
// every cell. On a loaded machine frames are batched differently, and
// without the repaint such waits failed now and then.
func waitScreen(t *testing.T, tm *teatest.TestModel, timeout time.Duration, ss ...string) {
	t.Helper()
	seen := make([]bool, len(ss))
	nudged := time.Now()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		all := true
		for i, s := range ss {
			seen[i] = seen[i] || bytes.Contains(b, []byte(s))
			all = all && seen[i]
		}
		if !all && time.Since(nudged) > 500*time.Millisecond {
			nudged = time.Now()
			tm.Send(tea.ClearScreen())
		}
		return all
	}, teatest.WithDuration(timeout))
}
