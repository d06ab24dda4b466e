package ui

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/nodefs/nodefstest"
)

// TestKeysImportFieldHostileFile: a FIFO, a device, a 2 GB sparse file or
// a directory typed into the import field gives an error on screen at
// once (the UI never waits on it) and imports nothing.
func TestKeysImportFieldHostileFile(t *testing.T) {
	for _, h := range nodefstest.All() {
		t.Run(h.Name, func(t *testing.T) {
			m, keys, _, _ := newTestModel(t, testPolicy, 80, 24)
			p := filepath.Join(t.TempDir(), "key.gpg")
			h.Make(t, p)
			send(t, m, "3", "i", "type:"+p)
			nodefstest.Bounded(t, func() { send(t, m, "enter") })
			if keys.imports != 0 || !strings.Contains(screen(m), "reading key file") {
				t.Fatalf("screen:\n%s", screen(m))
			}
		})
	}
}
