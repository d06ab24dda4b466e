package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func fixedNow() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }

func TestWrite(t *testing.T) {
	tests := []struct {
		name      string
		existing  *string // nil: no file
		expect    func(existing string) string
		data      string
		wantErr   bool
		wantData  string
		wantBak   string // "" no backup
		wantAudit bool
	}{
		{
			name: "new file", expect: func(string) string { return ExpectAbsent },
			data: "new", wantData: "new", wantAudit: true,
		},
		{
			name: "replace with the hash that was read", existing: ptr("old"),
			expect: func(e string) string { return SHA256([]byte(e)) },
			data:   "new", wantData: "new", wantBak: "old", wantAudit: true,
		},
		{
			name: "refuse when changed on disk", existing: ptr("someone else's"),
			expect: func(string) string { return SHA256([]byte("what we read")) },
			data:   "new", wantErr: true, wantData: "someone else's",
		},
		{
			name: "refuse when created meanwhile", existing: ptr("appeared"),
			expect: func(string) string { return ExpectAbsent },
			data:   "new", wantErr: true, wantData: "appeared",
		},
		{
			name: "skip the check on request", existing: ptr("x"),
			expect: func(string) string { return ExpectAny },
			data:   "y", wantData: "y", wantBak: "x", wantAudit: true,
		},
		{
			name: "same content writes nothing", existing: ptr("same"),
			expect: func(e string) string { return SHA256([]byte(e)) },
			data:   "same", wantData: "same",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "policy.json")
			auditLog := filepath.Join(dir, "log", "audit.log")
			existing := ""
			if tt.existing != nil {
				existing = *tt.existing
				if err := os.WriteFile(path, []byte(existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Write(path, []byte(tt.data), Options{
				ExpectSHA256: tt.expect(existing), Backup: true, AuditLog: auditLog,
				Summary: "test edit", User: "admin", Now: fixedNow,
			})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			var ce *ChangedError
			if tt.wantErr && !errors.As(err, &ce) {
				t.Fatalf("error %v is not a ChangedError", err)
			}
			if got := read(t, path); got != tt.wantData {
				t.Errorf("content = %q, want %q", got, tt.wantData)
			}
			bak, berr := os.ReadFile(path + BackupSuffix)
			if tt.wantBak == "" && berr == nil {
				t.Errorf("unexpected backup %q", bak)
			}
			if tt.wantBak != "" && string(bak) != tt.wantBak {
				t.Errorf("backup = %q (%v), want %q", bak, berr, tt.wantBak)
			}
			_, aerr := os.Stat(auditLog)
			if tt.wantAudit != (aerr == nil) {
				t.Errorf("audit log exists = %v, want %v", aerr == nil, tt.wantAudit)
			}
			if tt.existing != nil {
				if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
					t.Errorf("mode = %v, want the old 0600", fi.Mode().Perm())
				}
			}
			leftovers, _ := filepath.Glob(filepath.Join(dir, ".policy.json.tmp-*"))
			if len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
		})
	}
}

func TestWriteNewFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.gpg")
	if _, err := Write(path, []byte("k"), Options{Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v", fi.Mode().Perm())
	}
}

func TestWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real", "policy.json")
	os.MkdirAll(filepath.Dir(target), 0o755)
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(dir, "policy.json")
	if err := os.Symlink("real/policy.json", link); err != nil {
		t.Fatal(err)
	}
	res, err := Write(link, []byte("new"), Options{ExpectSHA256: SHA256([]byte("old")), Backup: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != target {
		t.Errorf("wrote %s, want the link's target %s", res.Path, target)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced by a regular file")
	}
	if got := read(t, target); got != "new" {
		t.Errorf("target = %q", got)
	}
}

func TestRemove(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.yaml")
	os.WriteFile(path, []byte("x"), 0o644)
	if _, err := Remove(path, Options{ExpectSHA256: SHA256([]byte("other"))}); err == nil {
		t.Fatal("removed a file that changed since it was read")
	}
	if _, err := Remove(path, Options{ExpectSHA256: SHA256([]byte("x")), Backup: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("file still there: %v", err)
	}
	if got := read(t, path+BackupSuffix); got != "x" {
		t.Errorf("backup = %q", got)
	}
}

func TestAuditLineCannotBeForged(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	_, err := Write(filepath.Join(dir, "f"), []byte("x"), Options{
		AuditLog: log, Summary: "add scope evil\n2026-01-01T00:00:00Z user=root action=write", User: "a b", Now: fixedNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, log)
	if strings.Count(got, "\n") != 1 {
		t.Fatalf("audit log has more than one line:\n%s", got)
	}
	for _, want := range []string{"2026-11-25T10:00:00Z", `user="a b"`, "action=write", "before=- after=" + SHA256([]byte("x")), `\n2026-01-01`} {
		if !strings.Contains(got, want) {
			t.Errorf("audit line %q lacks %q", got, want)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := map[string]string{
		"plain":             "plain",
		"":                  `""`,
		"a b":               `"a b"`,
		"x\ny":              `"x\ny"`,
		"q\"\\":             `"q\"\\"`,
		"bell\x07":          `"bell\x07"`,
		"ls\u2028x":         `"ls\u2028x"`,
		"title\x1b]0;x\x07": `"title\x1b]0;x\x07"`,
		"csi\u009b2J":       `"csi\u009b2J"`,
		"nel\u0085":         `"nel\u0085"`,
		"rlo\u202egpj":      `"rlo\u202egpj"`,
		"lri\u2066":         `"lri\u2066"`,
		"bad\xff":           `"bad\xff"`,
		"é/ü":               "é/ü",
	}
	for in, want := range tests {
		got := Escape(in)
		if got != want {
			t.Errorf("Escape(%q) = %s, want %s", in, got, want)
		}
		// Every field reads back exactly, so the log is evidence.
		back := got
		if strings.HasPrefix(got, `"`) {
			var err error
			if back, err = strconv.Unquote(got); err != nil {
				t.Errorf("Unquote(%s): %v", got, err)
			}
		}
		if back != in {
			t.Errorf("Escape(%q) reads back as %q", in, back)
		}
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ptr(s string) *string { return &s }

func TestWriteCreatesDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "etc", "gpg", "k.gpg")
	if _, err := Write(path, []byte("k"), Options{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "k" {
		t.Errorf("got %q", got)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("stray files: %v", entries)
	}
}

// TestAuditChangeOneLine: a change of several files is one audit line
// naming each with its sums; a crafted path cannot forge another line.
func TestAuditChangeOneLine(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	files := []AuditFile{
		{Op: "write", Path: "/etc/gpg/new.gpg", After: SHA256([]byte("k"))},
		{Op: "write", Path: "/etc/containers/registries.d/x\n2026-01-01T00:00:00Z user=root.yaml", Before: SHA256([]byte("a")), After: SHA256([]byte("b"))},
		{Op: "remove", Path: "/etc/gpg/old.gpg", Before: SHA256([]byte("o"))},
	}
	if err := AuditChange(Options{AuditLog: log, Summary: "three files", User: "admin", Now: fixedNow}, files); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(log)
	line := string(data)
	if strings.Count(line, "\n") != 1 {
		t.Fatalf("want one line:\n%s", line)
	}
	for _, want := range []string{"action=apply files=3", "file=/etc/gpg/new.gpg op=write before=- after=" + SHA256([]byte("k")),
		`x\n2026-01-01`, "file=/etc/gpg/old.gpg op=remove before=" + SHA256([]byte("o")) + " after=-", "summary=\"three files\""} {
		if !strings.Contains(line, want) {
			t.Errorf("line lacks %q:\n%s", want, line)
		}
	}
	if err := AuditChange(Options{Summary: "no log"}, files); err != nil {
		t.Errorf("no audit log configured: %v", err)
	}
}
