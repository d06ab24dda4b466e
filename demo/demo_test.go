package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/kios/imgtrust/policyio"
)

func get(t *testing.T, url string) int {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestStartServesAndCloseStopsEverything(t *testing.T) {
	_, pub, err := GenerateKey("demo signer", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "root")
	d, err := Start(context.Background(), Options{Dir: dir, TrustedPublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, "http://"+d.Registry+"/v2/"); got != http.StatusOK {
		t.Errorf("registry /v2/: status %d, want 200", got)
	}
	for _, im := range d.Images {
		ref := strings.TrimSuffix(strings.TrimPrefix(im.Ref, d.Registry+"/"), ":v1")
		url := "http://" + d.Registry + "/v2/" + ref + "/manifests/" + im.Digest
		if got := get(t, url); got != http.StatusOK {
			t.Errorf("%s: manifest by digest: status %d, want 200", im.Ref, got)
		}
	}
	// Unknown look-aside paths must be 404: the runtime reads that as "no
	// more signatures", anything else as an error.
	if got := get(t, d.LookasideURL+"/demo/unsigned@sha256=00/signature-1"); got != http.StatusNotFound {
		t.Errorf("look-aside missing signature: status %d, want 404", got)
	}

	var policy map[string]any
	raw, err := os.ReadFile(filepath.Join(dir, PolicyPath))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &policy); err != nil {
		t.Fatalf("policy.json is not JSON: %v", err)
	}
	// The runtime's rules, as policyio knows them: no error at all.
	parsed, diags := policyio.ParsePolicy(PolicyPath, raw)
	if diags.HasErrors() {
		t.Errorf("demo policy.json has errors: %v", diags)
	}
	// Laid out as imgtrust writes it: a first edit's review shows the
	// edit, not a re-indented file.
	if out, err := policyio.MarshalPolicy(parsed); err != nil || !bytes.Equal(out, raw) {
		t.Errorf("demo policy.json is not in imgtrust's layout (%v):\n%s\nwant\n%s", err, raw, out)
	}
	if !bytes.Contains(raw, []byte(`"`+d.Registry+`/demo"`)) {
		t.Errorf("policy.json has no scope for the demo namespace:\n%s", raw)
	}
	regd, err := os.ReadFile(filepath.Join(dir, RegistriesDPath, "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(regd), "lookaside: "+d.LookasideURL) {
		t.Errorf("registries.d does not point at the look-aside server:\n%s", regd)
	}
	crio, err := os.ReadFile(filepath.Join(dir, CrioConfPath))
	if err != nil || !strings.Contains(string(crio), PauseImage) {
		t.Errorf("crio.conf without the pause image: %v %q", err, crio)
	}
	assertNoSecretKeys(t, dir)

	addrs := []string{d.Registry, strings.TrimPrefix(d.LookasideURL, "http://")}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Close", a)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("scratch root still there after Close without Keep: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// assertNoSecretKeys reads every file under root as an OpenPGP key ring
// (where it is one) and fails on any secret key material.
func assertNoSecretKeys(t *testing.T, root string) {
	t.Helper()
	keys := 0
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("PRIVATE KEY")) {
			t.Errorf("%s contains a private key block", p)
		}
		ring, err := openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			return nil // not a key file
		}
		for _, e := range ring {
			keys++
			if e.PrivateKey != nil {
				t.Errorf("%s holds secret key material", p)
			}
			for _, sk := range e.Subkeys {
				if sk.PrivateKey != nil {
					t.Errorf("%s holds a secret subkey", p)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if keys == 0 {
		t.Errorf("no public key written under %s", root)
	}
}

func TestKeepLeavesRootAndRefusesNonEmptyDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kept")
	d, err := Start(context.Background(), Options{Dir: dir, Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, PolicyPath)); err != nil {
		t.Errorf("kept root lost its policy: %v", err)
	}
	// A second demo must not write over the first one's files.
	if _, err := Start(context.Background(), Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Start on a non-empty dir: err %v, want a 'not empty' refusal", err)
	}
}

func TestInstructionsNameEveryImage(t *testing.T) {
	d, err := Start(context.Background(), Options{Dir: filepath.Join(t.TempDir(), "r")})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if len(d.Images) < 5 {
		t.Fatalf("%d demo images, want at least 5", len(d.Images))
	}
	ins := d.Instructions()
	for _, im := range d.Images {
		if !strings.Contains(ins, "verify --tls-verify=false "+im.Ref) {
			t.Errorf("instructions do not say how to verify %s:\n%s", im.Ref, ins)
		}
	}
	if !strings.Contains(ins, "--root "+d.Root) {
		t.Errorf("instructions do not give --root:\n%s", ins)
	}
}

// What the demo prints before the TUI opens must fit an 80x24 console
// whole: the scratch root's path at the top is what --keep users need.
func TestStartupTextFitsTheConsole(t *testing.T) {
	d, err := Start(context.Background(), Options{Dir: filepath.Join(t.TempDir(), "r")})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, ascii := range []bool{false, true} {
		text := d.Summary(ascii) + d.Tour()
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		// One more line for the "press Enter" prompt the command adds.
		if len(lines)+1 > 24 {
			t.Errorf("ascii=%v: %d lines and the prompt do not fit 24 rows:\n%s", ascii, len(lines), text)
		}
		for _, l := range lines {
			// Without signers (this test has none) stories say so.
			l = strings.TrimSuffix(l, " [not signed: no signer given]")
			if n := utf8.RuneCountInString(l); n > 80 && !strings.HasPrefix(l, "scratch node") {
				t.Errorf("ascii=%v: %d columns: %q", ascii, n, l)
			}
		}
		if ascii && strings.ContainsAny(text, "✓✗↑…→") {
			t.Errorf("ascii summary has Unicode marks:\n%s", text)
		}
	}
	if len(d.TourSteps()) == 0 {
		t.Error("no tour steps for the TUI")
	}
}
