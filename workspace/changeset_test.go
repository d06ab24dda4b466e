package workspace

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/gpg/gpgtest"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
)

// changeRoot is a node with a policy, one key file in use, one unused key
// file and one registries.d file.
type changeRoot struct {
	paths           node.Paths
	newKey          []byte // a key to import
	usedKey, oldKey string // host paths
	regFile         string
	before          map[string][]byte // every file's content before
	auditLog        string
}

const changePolicy = `{"default":[{"type":"reject"}],"transports":{"docker":{
  "registry.example.com/used":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/used.gpg"}],
  "registry.example.com/other":[{"type":"reject"}]}}}
`

func newChangeRoot(t *testing.T) *changeRoot {
	t.Helper()
	paths := newRoot(t, changePolicy)
	c := &changeRoot{paths: paths, before: map[string][]byte{}}
	os.MkdirAll(paths.KeysDir, 0o755)
	os.MkdirAll(paths.RegistriesD, 0o755)
	c.usedKey = filepath.Join(paths.KeysDir, "used.gpg")
	c.oldKey = filepath.Join(paths.KeysDir, "old.gpg")
	c.regFile = filepath.Join(paths.RegistriesD, "registry.example.com.yaml")
	files := map[string][]byte{
		c.usedKey: gpgtest.Public(t, gpgtest.NewKey(t, "Used")),
		c.oldKey:  gpgtest.Public(t, gpgtest.NewKey(t, "Old")),
		c.regFile: []byte("# kept comment\ndocker:\n  registry.example.com:\n    lookaside: https://old.example.com/sigs\n"),
	}
	for p, d := range files {
		if err := os.WriteFile(p, d, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c.newKey = gpgtest.ArmoredPublic(t, gpgtest.NewKey(t, "Release"))
	c.before = c.snapshot(t)
	c.auditLog = filepath.Join(t.TempDir(), "audit.log")
	return c
}

// snapshot reads every file under the root (backups left aside).
func (c *changeRoot) snapshot(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.Walk(c.paths.Root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && !strings.HasSuffix(p, ".imgtrust.bak") {
			out[p], _ = os.ReadFile(p)
		}
		return nil
	})
	return out
}

func (c *changeRoot) open(t *testing.T) *Workspace {
	t.Helper()
	w, err := Open(c.paths)
	if err != nil {
		t.Fatal(err)
	}
	w.AuditLog = c.auditLog
	w.Mechanism = gpg.MechGoCrypto
	return w
}

// stageAll stages one change of every kind: a key import, a look-aside
// edit, a policy edit that uses the imported key and the removal of an
// unused key file.
func (c *changeRoot) stageAll(t *testing.T, w *Workspace) *gpg.ImportResult {
	t.Helper()
	plan, err := w.StageKeyImport(c.newKey, gpg.ImportOptions{Name: "release.gpg"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.StageRegistries("lookaside registry.example.com", func(rd *policyio.RegistriesD) ([]policyio.FileChange, error) {
		return rd.Set("registry.example.com", "https://new.example.com/sigs", policyio.SetOptions{})
	}); err != nil {
		t.Fatal(err)
	}
	w.Edit("require release.gpg for registry.example.com/release", func(p *model.Policy) {
		p.SetScope("docker", "registry.example.com/release", model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: plan.NodePath}})
	})
	if err := w.StageKeyRemove("/etc/gpg/old.gpg", false); err != nil {
		t.Fatal(err)
	}
	return plan
}

func TestApplyWritesInOrderWithOneAuditEntry(t *testing.T) {
	c := newChangeRoot(t)
	w := c.open(t)
	c.stageAll(t, w)
	rev, err := w.Review()
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range rev.Files {
		kinds = append(kinds, fmt.Sprintf("%s:%s:%v", f.Kind, filepath.Base(f.Path), f.Remove))
	}
	want := "key:release.gpg:false registries.d:registry.example.com.yaml:false policy:policy.json:false key:old.gpg:true"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("review order:\n got %s\nwant %s", got, want)
	}
	res, err := w.Apply(ApplyOptions{AllowWeaken: true})
	if err != nil {
		t.Fatal(err)
	}
	var written []string
	for _, f := range res.Files {
		written = append(written, filepath.Base(f.Path)+":"+f.Op)
	}
	if got := strings.Join(written, " "); got != "release.gpg:write registry.example.com.yaml:write policy.json:write old.gpg:remove" {
		t.Fatalf("written: %s", got)
	}
	// What a revert needs: the previous bytes and backups.
	if res.Files[0].Existed || res.Files[1].Previous == nil || string(res.Files[1].Previous) != string(c.before[c.regFile]) || res.Files[1].BackupPath == "" {
		t.Errorf("result lacks previous content: %+v", res.Files[:2])
	}
	if _, err := os.Stat(c.oldKey); !os.IsNotExist(err) {
		t.Errorf("old.gpg still there: %v", err)
	}
	reg, _ := os.ReadFile(c.regFile)
	if !strings.Contains(string(reg), "# kept comment") || !strings.Contains(string(reg), "https://new.example.com/sigs") {
		t.Errorf("registries.d file: %s", reg)
	}
	log, _ := os.ReadFile(c.auditLog)
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one audit entry, got %d:\n%s", len(lines), log)
	}
	for _, name := range []string{"action=apply", "files=4", "release.gpg", "registry.example.com.yaml", "policy.json", "old.gpg op=remove"} {
		if !strings.Contains(lines[0], name) {
			t.Errorf("audit entry lacks %q: %s", name, lines[0])
		}
	}
	if w.HasChanges() || len(w.Edits()) != 0 {
		t.Errorf("workspace keeps edits after apply: %v", w.Edits())
	}
}

func TestApplyFailureRestoresWrittenFiles(t *testing.T) {
	for _, tc := range []struct {
		fail           string // base name of the write that fails
		rolledBack     []string
		wantInErrorMsg string
	}{
		{"release.gpg", nil, "nothing was written"},
		{"registry.example.com.yaml", []string{"/etc/gpg/release.gpg"}, "rolled back /etc/gpg/release.gpg"},
		{"policy.json", []string{"/etc/containers/registries.d/registry.example.com.yaml", "/etc/gpg/release.gpg"}, "every file is as it was"},
		{"old.gpg", []string{"/etc/containers/policy.json", "/etc/containers/registries.d/registry.example.com.yaml", "/etc/gpg/release.gpg"}, "rolled back"},
	} {
		t.Run(tc.fail, func(t *testing.T) {
			c := newChangeRoot(t)
			w := c.open(t)
			c.stageAll(t, w)
			w.failWrite = func(host string) error {
				if filepath.Base(host) == tc.fail {
					return errors.New("injected: read-only file system")
				}
				return nil
			}
			_, err := w.Apply(ApplyOptions{AllowWeaken: true})
			var rb *RollbackError
			if !errors.As(err, &rb) {
				t.Fatalf("err = %v, want RollbackError", err)
			}
			if strings.Join(rb.RolledBack, ",") != strings.Join(tc.rolledBack, ",") || len(rb.NotRestored) != 0 {
				t.Errorf("rolled back %v (not restored %v), want %v", rb.RolledBack, rb.NotRestored, tc.rolledBack)
			}
			if !strings.Contains(err.Error(), tc.wantInErrorMsg) || !strings.Contains(err.Error(), "injected") {
				t.Errorf("error: %v", err)
			}
			after := c.snapshot(t)
			for p, d := range c.before {
				if string(after[p]) != string(d) {
					t.Errorf("%s not restored byte for byte", p)
				}
			}
			for p := range after {
				if _, ok := c.before[p]; !ok {
					t.Errorf("%s left behind", p)
				}
			}
			if log, _ := os.ReadFile(c.auditLog); len(log) != 0 {
				t.Errorf("audit entry for a change that was rolled back: %s", log)
			}
			// The staged change is kept: fixing the cause and saving
			// again writes it.
			w.failWrite = nil
			if _, err := w.Apply(ApplyOptions{AllowWeaken: true}); err != nil {
				t.Fatalf("second apply: %v", err)
			}
		})
	}
}

func TestOutsideChangeReportedBeforeTheDiff(t *testing.T) {
	for _, tc := range []struct {
		name  string
		touch func(c *changeRoot)
		want  string
	}{
		{"registries.d file", func(c *changeRoot) { os.WriteFile(c.regFile, []byte("docker: {}\n"), 0o644) }, "registry.example.com.yaml (modified)"},
		{"policy.json", func(c *changeRoot) { os.WriteFile(c.paths.Policy, []byte(`{"default":[{"type":"reject"}]}`), 0o644) }, "policy.json (modified)"},
		{"key file created", func(c *changeRoot) {
			os.WriteFile(filepath.Join(c.paths.KeysDir, "release.gpg"), []byte("x"), 0o644)
		}, "release.gpg (created)"},
		{"removed key deleted", func(c *changeRoot) { os.Remove(c.oldKey) }, "old.gpg (deleted)"},
		{"registries.d file replaced by a directory", func(c *changeRoot) {
			os.Remove(c.regFile)
			os.Mkdir(c.regFile, 0o755)
		}, "registry.example.com.yaml (unreadable now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newChangeRoot(t)
			w := c.open(t)
			c.stageAll(t, w)
			tc.touch(c)
			touched := c.snapshot(t)
			rev, err := w.Review()
			var oc *OutsideChangeError
			if !errors.As(err, &oc) || rev != nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("review: %v, %v; want an outside change %q", rev, err, tc.want)
			}
			if _, err := w.Apply(ApplyOptions{AllowWeaken: true}); !errors.As(err, &oc) {
				t.Fatalf("apply: %v", err)
			}
			after := c.snapshot(t)
			if len(after) != len(touched) {
				t.Errorf("apply wrote over an outside change")
			}
			for p, d := range touched {
				if string(after[p]) != string(d) {
					t.Errorf("%s written over an outside change", p)
				}
			}
		})
	}
}

// TestApplyRefusesAtWriteAChangeMadeAfterTheReview: the check runs again
// at write, through safefile.
func TestApplyRefusesAtWriteAChangeMadeAfterTheReview(t *testing.T) {
	c := newChangeRoot(t)
	w := c.open(t)
	c.stageAll(t, w)
	if _, err := w.Review(); err != nil {
		t.Fatal(err)
	}
	w.failWrite = func(host string) error {
		if filepath.Base(host) == "release.gpg" {
			os.WriteFile(c.regFile, []byte("docker: {}\n"), 0o644) // between review and write
		}
		return nil
	}
	_, err := w.Apply(ApplyOptions{AllowWeaken: true})
	var rb *RollbackError
	if !errors.As(err, &rb) || !strings.Contains(err.Error(), "changed on disk") || len(rb.RolledBack) != 1 {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.paths.KeysDir, "release.gpg")); !os.IsNotExist(err) {
		t.Error("key file kept after the rollback")
	}
}

func TestReviewShowsKeysNotBytes(t *testing.T) {
	c := newChangeRoot(t)
	w := c.open(t)
	c.stageAll(t, w)
	rev, err := w.Review()
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := gpg.ParseKeyring(c.newKey)
	for _, want := range []string{
		"+++ /etc/gpg/release.gpg (new)", "+key " + gpg.GroupFingerprint(kr.Keys[0].Fingerprint), "+  user ID   Release <key@example.com>",
		"+  algorithm ECDSA", "+  node      openpgp-gocrypto loads it",
		"--- /etc/gpg/old.gpg", "-  user ID   Old <key@example.com>",
		"-    lookaside: https://old.example.com/sigs", "+    lookaside: https://new.example.com/sigs",
		// The new scope in its neighbours' layout.
		`+  "registry.example.com/release":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/release.gpg"}]}}}`,
	} {
		if !strings.Contains(rev.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, rev.Diff)
		}
	}
	if strings.Contains(rev.Diff, "BEGIN PGP") {
		t.Error("the diff shows key bytes")
	}
}

// TestWideningConsidersStagedKeys: a key staged under a path the policy
// names widens trust although policy.json does not change.
func TestWideningConsidersStagedKeys(t *testing.T) {
	c := newChangeRoot(t)
	os.Remove(c.usedKey) // the rule's key is missing: it rejects
	w := c.open(t)
	if _, err := w.StageKeyImport(c.newKey, gpg.ImportOptions{Name: "used.gpg"}); err != nil {
		t.Fatal(err)
	}
	rev, err := w.Review()
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.Widenings) == 0 || !strings.Contains(rev.Widenings[0].String(), "registry.example.com/used") {
		t.Fatalf("widenings: %v", rev.Widenings)
	}
	var we *policyio.WeakenError
	if _, err := w.Apply(ApplyOptions{}); !errors.As(err, &we) {
		t.Fatalf("apply without consent: %v", err)
	}
	if _, err := os.Stat(c.usedKey); !os.IsNotExist(err) {
		t.Error("key written without consent")
	}
}

func TestUndoAcrossKinds(t *testing.T) {
	c := newChangeRoot(t)
	w := c.open(t)
	c.stageAll(t, w)
	want := []string{"remove key file /etc/gpg/old.gpg", "require release.gpg for registry.example.com/release", "lookaside registry.example.com", "import key"}
	for _, w0 := range want {
		s, ok := w.Undo()
		if !ok || !strings.HasPrefix(s, w0) {
			t.Fatalf("undo = %q, want %q", s, w0)
		}
	}
	if w.HasChanges() {
		rev, _ := w.Review()
		t.Fatalf("changes left after undoing all: %+v", rev.Files)
	}
}

func TestKeyRemoveRefusesUsedKeyUnlessDropped(t *testing.T) {
	c := newChangeRoot(t)
	w := c.open(t)
	var re *gpg.ReferencedError
	if err := w.StageKeyRemove("/etc/gpg/used.gpg", false); !errors.As(err, &re) || len(w.Edits()) != 0 {
		t.Fatalf("err = %v, edits %v", err, w.Edits())
	}
	if err := w.StageKeyRemove("/etc/gpg/used.gpg", true); err != nil {
		t.Fatal(err)
	}
	rev, err := w.Review()
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.Files) != 2 || rev.Files[0].Kind != KindPolicy || !rev.Files[1].Remove || len(rev.Widenings) != 0 {
		t.Fatalf("review: %+v widenings %v", rev.Files, rev.Widenings)
	}
	if r := w.Policy().Transport("docker").Scope("registry.example.com/used").Requirements[0]; r.Type != model.Reject {
		t.Errorf("the rule left without its key is %s, want reject", r.Type)
	}
}

func TestRefreshReappliesAndNamesConflicts(t *testing.T) {
	c := newChangeRoot(t)
	w := c.open(t)
	w.Edit("accept other", func(p *model.Policy) {
		p.SetScope("docker", "registry.example.com/other", model.Requirements{{Type: model.InsecureAcceptAnything}})
	})
	w.Edit("reject new", func(p *model.Policy) {
		p.SetScope("docker", "registry.example.com/new", model.Requirements{{Type: model.Reject}})
	})
	if _, err := w.StageKeyImport(c.newKey, gpg.ImportOptions{Name: "release.gpg"}); err != nil {
		t.Fatal(err)
	}
	if err := w.StageRegistries("lookaside", func(rd *policyio.RegistriesD) ([]policyio.FileChange, error) {
		return rd.Set("registry.example.com", "https://new.example.com/sigs", policyio.SetOptions{})
	}); err != nil {
		t.Fatal(err)
	}
	// Outside: someone edits the scope of the first edit, and the
	// registries.d file.
	os.WriteFile(c.paths.Policy, []byte(strings.Replace(changePolicy, `"registry.example.com/other":[{"type":"reject"}]`, `"registry.example.com/other":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/used.gpg"}]`, 1)), 0o644)
	os.WriteFile(c.regFile, []byte("docker: {}\n"), 0o644)
	if _, err := w.Review(); err == nil {
		t.Fatal("review over an outside change")
	}
	res, err := w.Refresh()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Reapplied, "|") != "reject new|import key "+strings.TrimPrefix(w.Edits()[1], "import key ") {
		t.Errorf("reapplied %q (edits now %q)", res.Reapplied, w.Edits())
	}
	if len(res.Conflicts) != 2 || res.Conflicts[0].Edit != "accept other" || !strings.Contains(res.Conflicts[0].Why, "docker:registry.example.com/other") ||
		res.Conflicts[1].Edit != "lookaside" || !strings.Contains(res.Conflicts[1].Why, "registry.example.com.yaml changed on disk") {
		t.Errorf("conflicts: %+v", res.Conflicts)
	}
	if len(res.Outside) != 2 {
		t.Errorf("outside: %+v", res.Outside)
	}
	rev, err := w.Review()
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.Files) != 2 || !strings.Contains(rev.Diff, "registry.example.com/new") || strings.Contains(rev.Diff, "insecureAcceptAnything") {
		t.Errorf("after refresh: %s", rev.Diff)
	}
}

// TestProblemsOfTheStagedFiles: Problems reads key files and registries.d
// as the change set leaves them: a staged key answers a rule's missing
// key, a staged plain-http look-aside is warned about, before any write.
func TestProblemsOfTheStagedFiles(t *testing.T) {
	c := newChangeRoot(t)
	os.Remove(c.usedKey)
	w := c.open(t)
	codes := func() map[string]bool {
		out := map[string]bool{}
		for _, d := range w.Problems() {
			out[d.Code] = true
		}
		return out
	}
	if !codes()["key-missing"] {
		t.Fatal("no key-missing before the import")
	}
	if _, err := w.StageKeyImport(c.newKey, gpg.ImportOptions{Name: "used.gpg"}); err != nil {
		t.Fatal(err)
	}
	if codes()["key-missing"] {
		t.Error("key-missing although the key is staged")
	}
	if err := w.StageRegistries("http", func(rd *policyio.RegistriesD) ([]policyio.FileChange, error) {
		return rd.Set("registry.example.com", "http://plain.example.com", policyio.SetOptions{})
	}); err != nil {
		t.Fatal(err)
	}
	if !codes()["lookaside-http"] {
		t.Error("the staged plain-http look-aside is not reported")
	}
	w.Undo()
	if codes()["lookaside-http"] {
		t.Error("undone look-aside still reported")
	}
}

// TestApplyRestoresKeysWhenRegistriesDIsReadOnly is the failure without
// injection: registries.d cannot be written (read-only for a user; made
// immutable with chattr for root, whom modes do not stop), so the apply
// fails after the key file was written, and puts it back.
func TestApplyRestoresKeysWhenRegistriesDIsReadOnly(t *testing.T) {
	c := newChangeRoot(t)
	w := c.open(t)
	c.stageAll(t, w)
	dir := c.paths.RegistriesD
	if os.Getuid() == 0 {
		if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
			t.Skipf("cannot make %s read-only as root: chattr: %v %s", dir, err, out)
		}
		t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
	} else {
		os.Chmod(dir, 0o555)
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
	}
	_, err := w.Apply(ApplyOptions{AllowWeaken: true})
	var rb *RollbackError
	if !errors.As(err, &rb) || strings.Join(rb.RolledBack, ",") != "/etc/gpg/release.gpg" || len(rb.NotRestored) != 0 {
		t.Fatalf("err = %v, want the key file rolled back", err)
	}
	if !strings.Contains(err.Error(), "rolled back /etc/gpg/release.gpg: every file is as it was") {
		t.Errorf("error: %v", err)
	}
	after := c.snapshot(t)
	if len(after) != len(c.before) {
		t.Errorf("files: %d, want %d", len(after), len(c.before))
	}
	for p, d := range c.before {
		if string(after[p]) != string(d) {
			t.Errorf("%s not restored byte for byte", p)
		}
	}
}

// TestKeyRemoveRefusesKeyOtherPoliciesUse: a key file a namespace policy
// (or, from a namespace's workspace, the global policy) still names is
// refused with or without --drop-references, which edits only the
// workspace's own policy: the apply would leave the other file naming a
// missing key, so every pull it covers would fail.
func TestKeyRemoveRefusesKeyOtherPoliciesUse(t *testing.T) {
	nsUsing := `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/old.gpg"}]}`
	tests := []struct {
		name      string
		namespace string // "" : the global workspace
		file      string // the other file naming the key
		key       string
		drop      bool
		refused   bool
	}{
		{"namespace uses an unused global key", "", "team-a", "/etc/gpg/old.gpg", false, true},
		{"namespace uses it, drop references", "", "team-a", "/etc/gpg/old.gpg", true, true},
		{"a namespace file naming another key", "", "team-a", "/etc/gpg/other.gpg", false, false},
		{"from a namespace: the global policy uses it", "team-b", "", "/etc/gpg/used.gpg", true, true},
		{"from a namespace: the namespace's own use is dropped", "team-a", "", "/etc/gpg/old.gpg", true, false},
		{"a file only staged for import", "", "team-a", "/etc/gpg/staged.gpg", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChangeRoot(t)
			dir := filepath.Join(c.paths.Root, "etc/crio/policies")
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "team-a.json"), []byte(nsUsing), 0o644)
			os.WriteFile(filepath.Join(c.paths.KeysDir, "other.gpg"), c.before[c.oldKey], 0o644)
			w := c.open(t)
			if tt.namespace != "" {
				var err error
				if w, err = OpenNamespace(c.paths, tt.namespace); err != nil {
					t.Fatal(err)
				}
				w.Mechanism = gpg.MechGoCrypto
			}
			if tt.key == "/etc/gpg/staged.gpg" {
				os.WriteFile(filepath.Join(dir, "team-a.json"), []byte(strings.ReplaceAll(nsUsing, "old.gpg", "staged.gpg")), 0o644)
				if _, err := w.StageKeyImport(c.newKey, gpg.ImportOptions{Name: "staged.gpg"}); err != nil {
					t.Fatal(err)
				}
			}
			err := w.StageKeyRemove(tt.key, tt.drop)
			var ue *UsedElsewhereError
			if got := errors.As(err, &ue); got != tt.refused {
				t.Fatalf("refused = %v (err %v), want %v", got, err, tt.refused)
			}
			if tt.refused && len(w.Edits()) != 0 {
				t.Errorf("a refused removal staged %v", w.Edits())
			}
		})
	}
}

// TestReviewReportsWideningOfOtherPolicies: a key file replaced under a
// namespace policy that names it widens that namespace's trust although
// the workspace's own policy does not use the file; the review says so,
// naming the file.
func TestReviewReportsWideningOfOtherPolicies(t *testing.T) {
	tests := []struct {
		name   string
		nsKey  string // the key file team-a.json names
		widens bool
	}{
		{"namespace names the replaced file", "/etc/gpg/old.gpg", true},
		{"namespace names another file", "/etc/gpg/used.gpg", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChangeRoot(t)
			dir := filepath.Join(c.paths.Root, "etc/crio/policies")
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "team-a.json"), []byte(`{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"`+tt.nsKey+`"}]}`), 0o644)
			w := c.open(t)
			if _, err := w.StageKeyImport(c.newKey, gpg.ImportOptions{Name: "old.gpg", Force: true}); err != nil {
				t.Fatal(err)
			}
			rev, err := w.Review()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, wk := range rev.Widenings {
				got = append(got, wk.String())
				if wk.File != "/etc/crio/policies/team-a.json" {
					t.Errorf("widening of %q, want the namespace file: %s", wk.File, wk)
				}
			}
			if (len(got) > 0) != tt.widens {
				t.Errorf("widenings %q, want some: %v", got, tt.widens)
			}
		})
	}
}

// TestKeyRemoveSeesThroughPolicyLinks: crio.conf's signature_policy
// naming the target of the policy.json link is the workspace's own file,
// not another policy: --drop-references applies to it.
func TestKeyRemoveSeesThroughPolicyLinks(t *testing.T) {
	c := newChangeRoot(t)
	real := filepath.Join(c.paths.Root, "etc/containers/real-policy.json")
	if err := os.Rename(c.paths.Policy, real); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real-policy.json", c.paths.Policy); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(c.paths.Root, "etc/crio"), 0o755)
	os.WriteFile(filepath.Join(c.paths.Root, "etc/crio/crio.conf"), []byte("[crio.image]\nsignature_policy = \"/etc/containers/real-policy.json\"\n"), 0o644)
	w := c.open(t)
	if err := w.StageKeyRemove("/etc/gpg/used.gpg", true); err != nil {
		t.Fatalf("the policy's own link target taken for another policy: %v", err)
	}
}
