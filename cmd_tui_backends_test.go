package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/workspace"
)

func TestTUILookasideExplain(t *testing.T) {
	tests := []struct {
		name, regd, image string
		want, wantErr     string
	}{
		{"placeholder digest", "docker:\n  example.com: {lookaside: https://sigs.example}\n", "example.com/app",
			"https://sigs.example/app@sha256=" + strings.Repeat("0", 64) + "/signature-1\n(the zeros stand for the manifest digest", ""},
		{"real digest", "docker:\n  example.com: {lookaside: https://sigs.example, use-sigstore-attachments: true}\n",
			"example.com/app@sha256:" + strings.Repeat("1", 64),
			"https://sigs.example/app@sha256=" + strings.Repeat("1", 64) + "/signature-1\ntried: example.com/app@sha256:" + strings.Repeat("1", 64) +
				", example.com/app, example.com, *.com, default-docker\nalso reads sigstore attachments", ""},
		{"invalid registries.d", "docker:\n  example.com: {lookaside: [}\n", "example.com/app", "", "registries.d is invalid"},
		{"bad reference", "", "Not A Ref", "", "not an image reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.regd != "" {
				files["etc/containers/registries.d/a.yaml"] = tt.regd
			}
			root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, files)
			l := tuiLookaside{paths: node.NewPaths(root, "", "", "")}
			lines, err := l.Explain(tt.image)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(strings.Join(lines, "\n"), tt.want) {
				t.Fatalf("err %v, lines:\n%s", err, strings.Join(lines, "\n"))
			}
		})
	}
}

func TestKeyRowDetails(t *testing.T) {
	exp := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	k := gpg.InventoryKey{KeyInfo: gpg.KeyInfo{Fingerprint: "0123456789ABCDEF0123456789ABCDEF01234567", KeyID: "89ABCDEF01234567",
		UserIDs: []string{"Release <r@example.com>"}, Algorithm: "RSA", Bits: 3072, Expires: &exp,
		Subkeys: []gpg.SubkeyInfo{{KeyID: "1111", Algorithm: "RSA", Sign: true, Revoked: true}}}}
	ki := keyRow(k)
	if ki.UserID != "Release <r@example.com>" || ki.Algorithm != "RSA 3072" || !ki.Expires.Equal(exp) {
		t.Errorf("key info %+v", ki)
	}
	if !strings.Contains(ki.Details, "subkey 1111 RSA [sign,revoked]") || !strings.Contains(ki.Details, "fingerprint 0123 4567") {
		t.Errorf("details:\n%s", ki.Details)
	}
}

// tuiNode opens a workspace on a scratch root, as openTUI does.
func tuiNode(t *testing.T, root string) (node.Paths, *workspace.Workspace) {
	t.Helper()
	paths := node.NewPaths(root, "", "", "")
	ws, err := workspace.Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	return paths, ws
}

func TestTUIKeys(t *testing.T) {
	pub := testPublicKey(t)
	root := scratchRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/used.gpg"}]}}}`,
		map[string]string{"etc/gpg/used.gpg": pub})
	paths, ws := tuiNode(t, root)
	k := tuiKeys{paths: paths, ws: ws, mech: gpg.MechGoCrypto}

	list, err := k.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if list[0].Path != "/etc/gpg/used.gpg" || len(list[0].UsedBy) != 1 || list[0].Status != "ok" || !strings.Contains(list[0].Details, "user ID test <test@example.com>") {
		t.Errorf("listed key %+v", list[0])
	}
	// The key in use cannot be removed while the policy names its file.
	if err := k.Remove(list[0].Fingerprint, ws.Policy()); err == nil || !strings.Contains(err.Error(), "used.gpg") {
		t.Errorf("Remove of a key in use: %v", err)
	}

	imported, err := k.Import([]byte(testPublicKey(t)))
	if err != nil {
		t.Fatal(err)
	}
	if imported.Fingerprint == list[0].Fingerprint || !strings.HasPrefix(imported.Path, "/etc/gpg/") || imported.UserID == "" {
		t.Errorf("imported %+v", imported)
	}
	// Staged, not written: the save review shows it first.
	if _, err := os.Stat(paths.Host(imported.Path)); !os.IsNotExist(err) {
		t.Errorf("imported key file written before the save: %v", err)
	}
	if err := ws.Save("", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(paths.Host(imported.Path)); err != nil {
		t.Errorf("imported key file: %v", err)
	}
	if _, err := k.Import([]byte("not a key")); err == nil {
		t.Error("Import of garbage succeeded")
	}
	if list, _ := k.List(); len(list) != 2 {
		t.Errorf("after import: %+v", list)
	}

	if err := k.Remove(imported.Fingerprint, ws.Policy()); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := ws.Save("", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(paths.Host(imported.Path)); !os.IsNotExist(err) {
		t.Errorf("removed key file still there: %v", err)
	}
	if err := k.Remove("0000000000000000000000000000000000000000", ws.Policy()); err == nil || !strings.Contains(err.Error(), "not in a file") {
		t.Errorf("Remove of an unknown key: %v", err)
	}
	audit, err := os.ReadFile(paths.AuditLog())
	if err != nil || !strings.Contains(string(audit), imported.Path) {
		t.Errorf("audit log (%v):\n%s", err, audit)
	}
}

func TestTUILookasideListSetRemove(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[{"type":"sigstoreSigned","keyPath":"/etc/k.pub"}]}}}`,
		map[string]string{"etc/containers/registries.d/a.yaml": "default-docker:\n  lookaside: https://sigs.example\ndocker:\n  example.com:\n    use-sigstore-attachments: true\n"})
	paths, ws := tuiNode(t, root)
	l := tuiLookaside{paths: paths, ws: ws}

	entries, diags, err := l.List()
	if err != nil || len(entries) != 2 {
		t.Fatalf("List = %+v, %v", entries, err)
	}
	if e := entries[0]; e.Scope != "example.com" || !e.UseSigstoreAttachments || e.URL != "" || !strings.HasSuffix(e.File, "a.yaml:4:3") {
		t.Errorf("first entry %+v", e)
	}
	if e := entries[1]; e.Scope != "default-docker" || e.URL != "https://sigs.example" || e.UseSigstoreAttachments {
		t.Errorf("default entry %+v", e)
	}
	// The policy's sigstore key file is missing; List reports the look-aside checks only.
	_ = diags

	if err := l.Set(ui.LookasideRow{Scope: "quay.io/team", Staging: "file:///var/lib/sigs"}); err != nil {
		t.Fatalf("Set staging: %v", err)
	}
	if err := l.Set(ui.LookasideRow{Scope: "example.com", URL: "https://other.example"}); err != nil {
		t.Fatalf("Set: %v", err)
	}
	entries, _, _ = l.List()
	got := map[string]ui.LookasideRow{}
	for _, e := range entries {
		got[e.Scope] = e
	}
	if e := got["quay.io/team"]; e.Staging != "file:///var/lib/sigs" || e.URL != "" { // staging is for writing only
		t.Errorf("staging entry %+v", e)
	}
	if e := got["example.com"]; e.URL != "https://other.example" || !e.UseSigstoreAttachments {
		t.Errorf("edited entry %+v", e)
	}
	if err := l.Set(ui.LookasideRow{Scope: "bad scope", URL: "https://x"}); err == nil {
		t.Error("Set of a bad scope succeeded")
	}

	if err := l.Remove("quay.io/team"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := l.Remove("never.example"); err == nil {
		t.Error("Remove of an absent scope succeeded")
	}
	entries, _, _ = l.List()
	for _, e := range entries {
		if e.Scope == "quay.io/team" {
			t.Errorf("removed entry still listed: %+v", e)
		}
	}
	if err := ws.Save("", false); err != nil {
		t.Fatal(err)
	}
	audit, err := os.ReadFile(paths.AuditLog())
	if err != nil || !strings.Contains(string(audit), "remove lookaside quay.io/team") || strings.Count(string(audit), "\n") != 1 {
		t.Errorf("audit log (%v):\n%s", err, audit)
	}

	// With registries.d broken, edits are refused and nothing changes.
	broken := paths.Host("/etc/containers/registries.d/b.yaml")
	if err := os.WriteFile(broken, []byte("docker: ["), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := l.Set(ui.LookasideRow{Scope: "x.example", URL: "https://x"}); err == nil || !strings.Contains(err.Error(), "fix them first") {
		t.Errorf("Set on a broken registries.d: %v", err)
	}
	if _, diags, _ := l.List(); !diags.HasErrors() {
		t.Error("List on a broken registries.d reports no error")
	}
}

func TestTUIVerifier(t *testing.T) {
	d := testDemo(t)
	paths, ws := tuiNode(t, d.Root)
	v := tuiVerifier{paths: paths, ws: ws, mech: gpg.MechGoCrypto}
	texts := func(r ui.VerifyResult) string {
		var b strings.Builder
		for _, s := range r.Trace {
			fmt.Fprintf(&b, "%d %v %v %v %s\n", s.Depth, s.OK, s.Failed, s.Detail, s.Text)
		}
		return b.String()
	}

	res, err := v.Verify(context.Background(), ws.Policy(), demoImage(t, d, "demo/signed"))
	if err != nil {
		t.Fatal(err)
	}
	tr := texts(res)
	if !res.Accepted || res.Scope != "docker:"+d.Registry+"/demo" {
		t.Errorf("signed: %+v", res)
	}
	// The TUI gets the steps the CLI prints (verify.Result.Steps): facts
	// and details carry no mark, requirements and signatures do.
	for _, want := range []string{"0 false false true rule docker:" + d.Registry + "/demo (", "0 false false true manifest sha256:",
		"0 false false true look-aside " + d.LookasideURL, "0 true false false requirement 1: signed by",
		"1 true false false " + d.LookasideURL, "2 false false true signer ", "2 false false true claims " + demoImage(t, d, "demo/signed") + ", digest matches",
		"0 false false true policy saved; runtime mechanism openpgp-gocrypto"} {
		if !strings.Contains(tr, want) {
			t.Errorf("trace lacks %q:\n%s", want, tr)
		}
	}

	res, err = v.Verify(context.Background(), ws.Policy(), demoImage(t, d, "demo/unknown-key"))
	if err != nil || res.Accepted || !strings.Contains(texts(res), "0 false true false requirement 1: signed by") {
		t.Errorf("unknown key: %+v %v\n%s", res, err, texts(res))
	}

	// A staged edit is evaluated, and the trace says so.
	ws.Edit("reject all", func(p *model.Policy) { p.Default = model.Requirements{{Type: model.Reject}} })
	res, err = v.Verify(context.Background(), ws.Policy(), demoImage(t, d, "open/tool"))
	if err != nil || res.Accepted || !strings.Contains(texts(res), "policy staged") || !strings.Contains(texts(res), "is rejected by policy") {
		t.Errorf("staged reject: %+v %v\n%s", res, err, texts(res))
	}

	if _, err := v.Verify(context.Background(), ws.Policy(), "Not A Ref"); err == nil {
		t.Error("bad reference verified")
	}
	ws.Undo()
	res, err = v.Verify(context.Background(), ws.Policy(), unreachable)
	// The view heads the reason with "could not finish": the reason
	// must not say it again (it once read "could not finish: could not
	// finish: ...").
	if err == nil || strings.Contains(err.Error(), "could not finish") || !strings.Contains(err.Error(), "connect") || res.Accepted {
		t.Errorf("unreachable: %+v %v", res, err)
	}
}

// TestTUIVerifierShortName: a short name typed in the Verify view is
// resolved as CRI-O does (crio.conf's mode), each candidate with its trace.
func TestTUIVerifierShortName(t *testing.T) {
	d := testDemo(t)
	os.WriteFile(filepath.Join(d.Root, "etc/containers/registries.conf"), []byte("unqualified-search-registries = [\""+d.Registry+"\", \"127.0.0.1:1\"]\n"), 0o644)
	paths, ws := tuiNode(t, d.Root)
	v := tuiVerifier{paths: paths, ws: ws, mech: gpg.MechGoCrypto}
	res, err := v.Verify(context.Background(), ws.Policy(), "demo/signed:v1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted || !strings.Contains(res.Summary, "returns ambiguous list") || len(res.Trace) < 4 || !strings.Contains(res.Trace[2].Text, "1. "+d.Registry+"/demo/signed:v1: not tried by CRI-O") {
		t.Fatalf("%+v", res)
	}
	os.MkdirAll(filepath.Join(d.Root, "etc/crio"), 0o755)
	os.WriteFile(filepath.Join(d.Root, "etc/crio/crio.conf"), []byte("[crio.image]\nshort_name_mode = \"disabled\"\n"), 0o644)
	res, err = v.Verify(context.Background(), ws.Policy(), "demo/signed:v1")
	if err != nil || !res.Accepted || res.Summary != "CRI-O pulls it as "+d.Registry+"/demo/signed:v1" {
		t.Fatalf("%+v %v", res, err)
	}
}
