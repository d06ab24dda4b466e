package nodefstest

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// Hostile is one kind of file that must be refused.
type Hostile struct {
	Name string
	// Make puts the hostile file at path (creating its directory); it
	// skips the test when this machine cannot make one.
	Make func(t *testing.T, path string)
}

// All lists the hostile files: a FIFO (a read would wait forever for a
// writer), /dev/zero (endless), a 2 GB sparse file (takes no disk space,
// fills memory when read whole) and a directory.
func All() []Hostile {
	return []Hostile{
		{"fifo", func(t *testing.T, path string) {
			mkdir(t, path)
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"dev-zero", func(t *testing.T, path string) {
			mkdir(t, path)
			// The device itself (a link to /dev/zero would be
			// resolved inside the node's root, where there is none);
			// nodefs's own tests read this machine's /dev/zero too.
			if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, 1<<8|5); err != nil {
				t.Skipf("cannot make a device here: %v", err)
			}
		}},
		{"sparse-2GB", func(t *testing.T, path string) {
			mkdir(t, path)
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(2 << 30); err != nil {
				t.Skipf("no sparse files here: %v", err)
			}
		}},
		{"directory", func(t *testing.T, path string) {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	}
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
}

// MaxAlloc is what reading a hostile file may allocate in all: far below
// what reading it whole would take, far above the test's own bookkeeping.
const MaxAlloc = 100 << 20

// Bounded runs fn and fails the test when it does not return within a
// generous hang guard (a FIFO read that waits for a writer never returns)
// or allocates more than MaxAlloc. The guard is not a speed target: a
// correct read returns in microseconds, a wrong one never.
func Bounded(t *testing.T, fn func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the read did not return: it waits on the file (hang guard, 60 s)")
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > MaxAlloc {
		t.Fatalf("the read allocated %d MB (at most %d MB)", d>>20, MaxAlloc>>20)
	}
}
