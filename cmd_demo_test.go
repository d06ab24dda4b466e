package main

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer lets the test read what runDemo prints while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestDemoServeStopsOnSIGTERM(t *testing.T) {
	var out, errb lockedBuffer
	a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	dir := filepath.Join(t.TempDir(), "node")
	done := make(chan int, 1)
	go func() { done <- a.main([]string{"demo", "--serve", "--keep", dir}) }()

	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "serving;") {
		if time.Now().After(deadline) {
			t.Fatalf("demo --serve did not start:\nstdout: %s\nstderr: %s", out.String(), errb.String())
		}
		select {
		case code := <-done:
			t.Fatalf("demo --serve exited %d early:\n%s\n%s", code, out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	m := regexp.MustCompile(`(?m)^REGISTRY=(\S+)\nLOOKASIDE=http://(\S+)$`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no REGISTRY/LOOKASIDE lines in:\n%s", out.String())
	}
	resp, err := http.Get("http://" + m[1] + "/v2/")
	if err != nil {
		t.Fatalf("registry does not answer: %v", err)
	}
	resp.Body.Close()

	// The process-wide signal is what a script sends; NotifyContext in
	// runDemo has it, so the test binary is not terminated.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after SIGTERM, want %d; stderr: %s", code, exitOK, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo --serve did not stop on SIGTERM")
	}
	for _, addr := range m[1:] {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still open after the demo stopped", addr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "etc/containers/policy.json")); err != nil {
		t.Errorf("--keep: scratch policy gone: %v", err)
	}
	if !strings.Contains(out.String(), "scratch node kept in "+dir) {
		t.Errorf("--keep not reported:\n%s", out.String())
	}
}

func TestDemoRefusesNodeFlags(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--root", "/"},
		{"demo", "--policy", "/etc/containers/policy.json"},
		{"demo", "extra"},
	} {
		var out, errb bytes.Buffer
		a := &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
		if code := a.main(args); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if !strings.Contains(errb.String(), "imgtrust demo:") || strings.Contains(out.String(), "scratch node") {
			t.Errorf("%v: want a refusal before anything starts; stdout %q stderr %q", args, out.String(), errb.String())
		}
	}
}
