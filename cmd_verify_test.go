package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/kios/imgtrust/demo"
	"github.com/kios/imgtrust/verify"
)

// testDemo starts the demo node (in-process registry and look-aside on
// loopback) with fast ECDSA keys, and stops it when the test ends.
func testDemo(t *testing.T) *demo.Demo {
	t.Helper()
	newKey := func(name string) *openpgp.Entity {
		e, err := openpgp.NewEntity(name, "", name+"@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoECDSA, Curve: packet.CurveNistP256})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	trusted, unknown := newKey("trusted"), newKey("unknown")
	var pub bytes.Buffer
	if err := trusted.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	d, err := demo.Start(context.Background(), demo.Options{
		Dir: filepath.Join(t.TempDir(), "node"), Trusted: demoSigner(trusted), Unknown: demoSigner(unknown), TrustedPublicKey: pub.Bytes(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// demoImage is the reference of the demo image whose repository is repo.
func demoImage(t *testing.T, d *demo.Demo, repo string) string {
	t.Helper()
	for _, im := range d.Images {
		if strings.HasPrefix(im.Ref, d.Registry+"/"+repo+":") {
			return im.Ref
		}
	}
	t.Fatalf("no demo image %s", repo)
	return ""
}

// unreachable is an image on a port nothing listens on: a check that
// cannot finish. The default policy accepts anything, so the runtime
// still reads its signatures while pulling, and that read fails.
const unreachable = "127.0.0.1:1/nothing/here:v1"

// runIn is run with a given stdin and environment.
func runIn(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	code := a.main(args)
	return code, out.String(), errb.String()
}

func TestVerifyExitCodes(t *testing.T) {
	d := testDemo(t)
	node := []string{"--root", d.Root, "--tls-verify=false", "--mechanism", "openpgp-gocrypto", "--timeout", "2s"}
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		code  int
		out   []string // in stdout
		err   string   // in stderr
		check func(t *testing.T, out string)
	}{
		{name: "signed is accepted", args: []string{demoImage(t, d, "demo/signed")}, code: exitOK,
			out: []string{"✓ ACCEPTED", "signed by", "requirement 1: signed by"}},
		{name: "unsigned is rejected", args: []string{demoImage(t, d, "demo/unsigned")}, code: exitFindings,
			out: []string{"✗ REJECTED", "A signature was required, but no signature exists"}},
		{name: "identity mismatch", args: []string{demoImage(t, d, "demo/other-repo")}, code: exitFindings,
			out: []string{"REJECTED", "is not accepted"}},
		{name: "unreachable registry could not finish", args: []string{unreachable}, code: exitIncomplete,
			out: []string{"COULD NOT FINISH", "pull: the runtime reads the image's signatures while pulling"}},
		{name: "linux console gets ASCII", args: []string{demoImage(t, d, "demo/signed")}, env: map[string]string{"TERM": "linux"}, code: exitOK,
			out: []string{"[ok] ACCEPTED"}},
		{name: "bad reference is a usage error", args: []string{"Not A Ref"}, code: exitUsage, err: "imgtrust verify:"},
		{name: "no image", args: nil, code: exitUsage, err: "usage: imgtrust verify"},
		{name: "image and --from", args: []string{"--from", "-", "x"}, code: exitUsage, err: "usage: imgtrust verify"},
		{name: "bad flag", args: []string{"--jobs", "many", "x"}, code: exitUsage, err: "invalid value"},
		{name: "json", args: []string{"--json", demoImage(t, d, "demo/unknown-key")}, code: exitFindings, check: func(t *testing.T, out string) {
			var res verify.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if res.Accepted || res.Incomplete || len(res.Trace.Requirements) != 1 || res.Trace.Requirements[0].Type != "signedBy" {
				t.Errorf("result %+v", res)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runIn(t, "", tt.env, append(append([]string{"verify"}, node...), tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.code, out, errs)
			}
			for _, w := range tt.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errs, tt.err) {
				t.Errorf("stderr lacks %q:\n%s", tt.err, errs)
			}
			if tt.check != nil {
				tt.check(t, out)
			}
		})
	}
}

func TestVerifyInvalidNode(t *testing.T) {
	tests := []struct {
		name, policy, regd, want string
	}{
		{"invalid policy", `{"default":[{"type":"rejekt"}]}`, "", "policy.json:1:"},
		{"missing policy", "", "", "policy.json"},
		{"invalid registries.d", `{"default":[{"type":"reject"}]}`, "docker: [", "the runtime fails every pull"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.regd != "" {
				files["etc/containers/registries.d/a.yaml"] = tt.regd
			}
			root := scratchRoot(t, tt.policy, files)
			code, out, errs := run(t, "verify", "--root", root, "--mechanism", "gpgme", "example.com/app:v1")
			if code != exitUsage {
				t.Errorf("exit %d, want %d\n%s%s", code, exitUsage, out, errs)
			}
			if !strings.Contains(errs, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, errs)
			}
		})
	}
}

func TestVerdictCode(t *testing.T) {
	tests := []struct {
		res  verify.Result
		want int
	}{
		{verify.Result{Accepted: true}, exitOK},
		{verify.Result{}, exitFindings},
		{verify.Result{Incomplete: true}, exitIncomplete},
		// Incomplete wins over a stale Accepted: the check did not finish.
		{verify.Result{Accepted: true, Incomplete: true}, exitIncomplete},
	}
	for _, tt := range tests {
		if got := verdictCode(&tt.res); got != tt.want {
			t.Errorf("verdictCode(%+v) = %d, want %d", tt.res, got, tt.want)
		}
	}
}

func TestVerifyBatch(t *testing.T) {
	d := testDemo(t)
	signed, unsigned, open := demoImage(t, d, "demo/signed"), demoImage(t, d, "demo/unsigned"), demoImage(t, d, "open/tool")
	lines := func(l ...string) string { return strings.Join(l, "\n") + "\n" }
	tests := []struct {
		name  string
		input string
		code  int
		tally string
	}{
		{"all accepted, comments and blanks skipped", lines("# images", signed, "", "  "+open+"  "), exitOK, "2 accepted, 0 rejected, 0 incomplete, 0 invalid"},
		{"rejected beats incomplete and invalid", lines(signed, "Not A Ref", unreachable, unsigned), exitFindings, "1 accepted, 1 rejected, 1 incomplete, 1 invalid"},
		{"incomplete beats invalid", lines("Not A Ref", unreachable, signed), exitIncomplete, "1 accepted, 0 rejected, 1 incomplete, 1 invalid"},
		{"invalid alone", lines(signed, "Not A Ref"), exitUsage, "1 accepted, 0 rejected, 0 incomplete, 1 invalid"},
		{"empty list", "", exitOK, "0 accepted, 0 rejected, 0 incomplete, 0 invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, src := range []string{"stdin", "file"} {
				from, stdin := "-", tt.input
				if src == "file" {
					from, stdin = filepath.Join(t.TempDir(), "images"), ""
					if err := os.WriteFile(from, []byte(tt.input), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				code, out, errs := runIn(t, stdin, nil, "verify", "--root", d.Root, "--tls-verify=false", "--mechanism", "openpgp-gocrypto",
					"--timeout", "2s", "--jobs", "2", "--from", from)
				if code != tt.code {
					t.Errorf("%s: exit %d, want %d\n%s%s", src, code, tt.code, out, errs)
				}
				if !strings.Contains(out, tt.tally) || !strings.HasPrefix(out, "VERDICT") {
					t.Errorf("%s: output lacks %q:\n%s", src, tt.tally, out)
				}
			}
		})
	}
}

func TestVerifyBatchJSONKeepsOrder(t *testing.T) {
	d := testDemo(t)
	images := []string{demoImage(t, d, "demo/unsigned"), "Not A Ref", demoImage(t, d, "demo/signed"), unreachable}
	code, out, errs := runIn(t, strings.Join(images, "\n"), nil, "verify", "--root", d.Root, "--tls-verify=false",
		"--mechanism", "openpgp-gocrypto", "--timeout", "2s", "--json", "--from", "-")
	if code != exitFindings {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var rows []batchRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	want := []string{"rejected", "invalid", "accepted", "incomplete"}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v", rows)
	}
	for i, row := range rows {
		if row.Image != images[i] || row.Verdict != want[i] {
			t.Errorf("row %d = %s %s, want %s %s", i, row.Verdict, row.Image, want[i], images[i])
		}
		if (row.Result == nil) != (row.Verdict == "invalid") {
			t.Errorf("row %d: result %v for verdict %s", i, row.Result, row.Verdict)
		}
	}
}

func TestVerifyBatchInputErrors(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, nil)
	tests := []struct {
		name, stdin, from, want string
	}{
		{"missing file", "", filepath.Join(root, "nope"), "no such file"},
		// bufio.Scanner stops at a line longer than its buffer; the batch
		// must say so instead of checking the lines before it and passing.
		{"line too long", "example.com/a:v1\n" + strings.Repeat("x", 70*1024) + "\n", "-", "token too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runIn(t, tt.stdin, nil, "verify", "--root", root, "--mechanism", "gpgme", "--from", tt.from)
			if code != exitUsage {
				t.Errorf("exit %d, want %d\n%s%s", code, exitUsage, out, errs)
			}
			if !strings.Contains(errs, "imgtrust verify --from:") || !strings.Contains(errs, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, errs)
			}
		})
	}
}
