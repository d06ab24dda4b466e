package main

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestUnreadableLookasideCLI: a look-aside URL the runtime cannot read
// (ftp://, no scheme) fails every pull through it, even under
// insecureAcceptAnything: lint reports an error, verify exits 2.
func TestUnreadableLookasideCLI(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, err := name.ParseReference(host+"/team/app:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"ftp://lookaside.example.com/sigs", "lookaside.example.com/sigs"} {
		root := scratchRoot(t, `{"default":[{"type":"insecureAcceptAnything"}]}`, map[string]string{
			"etc/containers/registries.d/default.yaml": "default-docker:\n  lookaside: " + url + "\n"})
		code, out, errs := run(t, "--root", root, "--mechanism", "openpgp-xcrypto", "lint")
		if code != exitFindings || !strings.Contains(out, "error: ") || !strings.Contains(out, "Unsupported scheme") || strings.Contains(out, "never consulted") {
			t.Errorf("lint %s: exit %d\n%s%s", url, code, out, errs)
		}
		code, out, errs = run(t, "--root", root, "--mechanism", "openpgp-xcrypto", "verify", "--tls-verify=false", host+"/team/app:1")
		if code != exitUsage || !strings.Contains(errs, "Unsupported scheme when reading signature") {
			t.Errorf("verify %s: exit %d, want %d\n%s%s", url, code, exitUsage, out, errs)
		}
	}
}

// TestYAMLDirectoryLint: a directory named x.yaml in registries.d is an
// error for runtimes before containers/image v5.41 and a warning after.
func TestYAMLDirectoryLint(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"insecureAcceptAnything"}]}`, map[string]string{
		"etc/containers/registries.d/x.yaml/inside": "x"})
	for mech, code := range map[string]int{"openpgp-xcrypto": exitFindings, "openpgp-gocrypto": exitOK} {
		got, out, errs := run(t, "--root", root, "--mechanism", mech, "lint")
		if got != code || !strings.Contains(out, "x.yaml is a directory") || !strings.Contains(out, "assumed") {
			t.Errorf("%s: exit %d, want %d\n%s%s", mech, got, code, out, errs)
		}
	}
}

// TestRuntimeVersionFlag: --runtime-version decides the version-dependent
// rules instead of the binary (none here): a directory named *.yaml is an
// error before containers/image v5.41 and skipped from it; a bad version
// is a usage error.
func TestRuntimeVersionFlag(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"insecureAcceptAnything"}]}`, map[string]string{
		"etc/containers/registries.d/x.yaml/inside": "x"})
	for version, code := range map[string]int{"v5.38.0": exitFindings, "v5.41.0": exitOK, "v5.42.1": exitOK} {
		got, out, errs := run(t, "--root", root, "--mechanism", "openpgp-xcrypto", "--runtime-version", version, "lint")
		if got != code || !strings.Contains(out, "containers/image "+version) {
			t.Errorf("%s: exit %d, want %d\n%s%s", version, got, code, out, errs)
		}
	}
	if got, _, errs := run(t, "--root", root, "--runtime-version", "5.38", "lint"); got != exitUsage || !strings.Contains(errs, "--runtime-version") {
		t.Errorf("bad version: exit %d\n%s", got, errs)
	}
}
