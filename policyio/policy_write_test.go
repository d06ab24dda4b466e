package policyio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/safefile"
)

// stripPos removes source positions so that two parses of differently
// laid out text compare equal.
func stripPos(p *model.Policy) *model.Policy {
	c := p.Clone()
	c.DefaultPos = model.Pos{}
	strip := func(rs model.Requirements) {
		for _, r := range rs {
			r.Pos, r.FieldPos = model.Pos{}, nil
			if r.SignedIdentity != nil {
				r.SignedIdentity.Pos = model.Pos{}
			}
			if r.BaseLayerIdentity != nil {
				r.BaseLayerIdentity.Pos = model.Pos{}
			}
		}
	}
	strip(c.Default)
	for _, t := range c.Transports {
		t.Pos = model.Pos{}
		for _, s := range t.Scopes {
			s.Pos = model.Pos{}
			strip(s.Requirements)
		}
	}
	return c
}

func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../testdata/policies/*.json")
	if len(files) == 0 {
		t.Fatal("no test policies")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p1, d1 := ParsePolicy(f, data)
			if d1.HasErrors() {
				t.Fatalf("test policy has errors:\n%s", dump(d1))
			}
			out, err := MarshalPolicy(p1)
			if err != nil {
				t.Fatal(err)
			}
			p2, d2 := ParsePolicy("written", out)
			if d2.HasErrors() {
				t.Fatalf("written policy has errors:\n%s\n%s", dump(d2), out)
			}
			if !reflect.DeepEqual(stripPos(p1), stripPos(p2)) {
				t.Errorf("load → write → load changed the policy:\n%s", out)
			}
			again, _ := MarshalPolicy(p2)
			if string(again) != string(out) {
				t.Errorf("the layout is not stable:\n%s\nvs\n%s", out, again)
			}
		})
	}
}

func TestValidatePolicyFindsModelErrors(t *testing.T) {
	p := &model.Policy{Default: model.Requirements{{Type: model.InsecureAcceptAnything}}}
	p.SetScope("docker", "example.com", model.Requirements{{Type: model.SignedBy, KeyType: "GPGKeys"}})
	diags := ValidatePolicy(p, "(staged)")
	var found bool
	for _, d := range diags {
		if d.Code == "signedby-no-key" {
			found = true
			if d.Target == nil || d.Target.List.Scope != "example.com" || d.Target.Requirement != 0 {
				t.Errorf("target does not point at the requirement: %+v", d.Target)
			}
		}
	}
	if !found {
		t.Fatalf("missing signedby-no-key:\n%s", dump(diags))
	}
}

func TestSavePolicy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.json")
	orig := "{\n  // comment\n  \"default\": [{\"type\": \"reject\"}],\n  \"transports\": {\"docker\": {\"example.com\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPath\": \"/etc/gpg/k.gpg\"}]}}\n}\n"
	good := "{\"default\": [{\"type\": \"reject\"}], \"transports\": {\"docker\": {\"example.com\": [{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPath\": \"/etc/gpg/k.gpg\"}]}}}\n"
	audit := filepath.Join(dir, "audit.log")

	t.Run("refuses errors and leaves the file", func(t *testing.T) {
		os.WriteFile(path, []byte(good), 0o644)
		pf, _ := LoadPolicy(path)
		bad := pf.Policy.Clone()
		bad.Default = model.Requirements{}
		_, err := SavePolicy(pf, bad, SaveOptions{AuditLog: audit})
		var ie *InvalidError
		if !errors.As(err, &ie) {
			t.Fatalf("err = %v, want InvalidError", err)
		}
		assertFile(t, path, good)
	})
	t.Run("refuses weakening without consent", func(t *testing.T) {
		os.WriteFile(path, []byte(good), 0o644)
		pf, _ := LoadPolicy(path)
		weak := pf.Policy.Clone()
		weak.SetScope("docker", "example.com", model.Requirements{{Type: model.InsecureAcceptAnything}})
		_, err := SavePolicy(pf, weak, SaveOptions{})
		var we *WeakenError
		if !errors.As(err, &we) || !strings.Contains(err.Error(), "images under docker:example.com: are accepted signed or not") {
			t.Fatalf("err = %v, want WeakenError", err)
		}
		assertFile(t, path, good)
		if _, err := SavePolicy(pf, weak, SaveOptions{AllowWeaken: true}); err != nil {
			t.Fatalf("with consent: %v", err)
		}
	})
	t.Run("refuses a concurrent change", func(t *testing.T) {
		os.WriteFile(path, []byte(good), 0o644)
		pf, _ := LoadPolicy(path)
		os.WriteFile(path, []byte(orig), 0o644) // someone else edits
		next := pf.Policy.Clone()
		next.SetScope("docker", "quay.io", model.Requirements{{Type: model.Reject}})
		_, err := SavePolicy(pf, next, SaveOptions{})
		var ce *safefile.ChangedError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v, want ChangedError", err)
		}
		assertFile(t, path, orig)
	})
	t.Run("writes, backs up and audits", func(t *testing.T) {
		os.WriteFile(path, []byte(orig), 0o600)
		os.Chmod(path, 0o600)
		pf, _ := LoadPolicy(path)
		if !pf.HasComments() {
			t.Fatal("comments not noticed")
		}
		// The comment makes the file invalid; the model is still usable.
		// The runtime refuses every pull with it, so any valid policy
		// widens trust and needs consent.
		next := pf.Policy.Clone()
		next.SetScope("docker", "quay.io", model.Requirements{{Type: model.Reject}})
		if _, err := SavePolicy(pf, next, SaveOptions{AuditLog: audit}); !errors.As(err, new(*WeakenError)) {
			t.Fatalf("replacing a policy the runtime cannot load: err = %v, want WeakenError", err)
		}
		res, err := SavePolicy(pf, next, SaveOptions{AuditLog: audit, Summary: "reject quay.io", AllowWeaken: true})
		if err != nil {
			t.Fatal(err)
		}
		assertFile(t, res.BackupPath, orig)
		data, _ := os.ReadFile(path)
		if strings.Contains(string(data), "//") {
			t.Error("comment written back")
		}
		if _, d := ParsePolicy(path, data); d.HasErrors() {
			t.Errorf("written file has errors:\n%s", dump(d))
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v not kept", fi.Mode().Perm())
		}
		log, _ := os.ReadFile(audit)
		if !strings.Contains(string(log), `summary="reject quay.io"`) {
			t.Errorf("audit log: %s", log)
		}
		if pf.SHA256 != safefile.SHA256(data) {
			t.Error("PolicyFile not updated after the write")
		}
	})
}

func TestWeakenings(t *testing.T) {
	base := `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/a.gpg","signedIdentity":{"type":"matchExact"}}]}}}`
	tests := []struct {
		name, next string
		want       int
	}{
		{"same", base, 0},
		{"reject to accept default", strings.Replace(base, `"default":[{"type":"reject"}]`, `"default":[{"type":"insecureAcceptAnything"}]`, 1), 1},
		{"signed to accept", strings.Replace(base, `[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/a.gpg","signedIdentity":{"type":"matchExact"}}]`, `[{"type":"insecureAcceptAnything"}]`, 1), 1},
		{"key added", strings.Replace(base, `"keyPath":"/etc/gpg/a.gpg"`, `"keyPaths":["/etc/gpg/a.gpg","/etc/gpg/b.gpg"]`, 1), 1},
		{"key removed narrows", strings.Replace(base, `"keyPath":"/etc/gpg/a.gpg"`, `"keyPaths":[]`, 1), 0},
		{"identity looser", strings.Replace(base, `matchExact`, `matchRepository`, 1), 1},
		{"scope removed falls back to reject", `{"default":[{"type":"reject"}]}`, 0},
		{"new permissive subscope", strings.Replace(base, `]}}}`, `],"example.com/dev":[{"type":"insecureAcceptAnything"}]}}}`, 1), 1},
	}
	old, d := ParsePolicy("old", []byte(base))
	if d.HasErrors() {
		t.Fatal(dump(d))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur, d := ParsePolicy("new", []byte(tt.next))
			if d.HasErrors() {
				t.Fatal(dump(d))
			}
			if got := Weakenings(old, cur); len(got) != tt.want {
				t.Errorf("got %d weakenings %v, want %d", len(got), got, tt.want)
			}
		})
	}
}

// TestWeakeningsThroughParents: images whose scope is new or gone fall to
// the nearest parent scope the runtime tries, a *. wildcard included,
// then the transport's "" scope, then the default; the check must follow
// the same chain in both policies.
func TestWeakeningsThroughParents(t *testing.T) {
	const accept, reject = `[{"type":"insecureAcceptAnything"}]`, `[{"type":"reject"}]`
	pol := func(def string, scopes ...string) string {
		return `{"default":` + def + `,"transports":{"docker":{` + strings.Join(scopes, ",") + `}}}`
	}
	tests := []struct {
		name, old, cur string
		want           []string // groups reported
	}{
		// r.example.com/app was refused through *.example.com: accepting
		// it is a widening even though the default accepts.
		{"new scope under a refusing wildcard", pol(accept, `"*.example.com":`+reject),
			pol(accept, `"*.example.com":`+reject, `"r.example.com/app":`+accept), []string{"docker:r.example.com/app"}},
		// Removing the scope hands its images to the wildcard, which
		// refuses them too: nothing gets in.
		{"scope removed under a refusing wildcard", pol(accept, `"*.example.com":`+reject, `"r.example.com/app":`+reject),
			pol(accept, `"*.example.com":`+reject), nil},
		{"scope removed under an accepting wildcard", pol(reject, `"*.example.com":`+accept, `"r.example.com/app":`+reject),
			pol(reject, `"*.example.com":`+accept), []string{"docker:r.example.com/app"}},
		{"scope removed under a refusing namespace", pol(accept, `"r.example.com":`+reject, `"r.example.com/app":`+reject),
			pol(accept, `"r.example.com":`+reject), nil},
		{"scope removed to the transport's own scope", pol(reject, `"":`+accept, `"r.example.com/app":`+reject),
			pol(reject, `"":`+accept), []string{"docker:r.example.com/app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, d := ParsePolicy("old", []byte(tt.old))
			if d.HasErrors() {
				t.Fatal(dump(d))
			}
			cur, d := ParsePolicy("new", []byte(tt.cur))
			if d.HasErrors() {
				t.Fatal(dump(d))
			}
			var got []string
			for _, w := range Weakenings(old, cur) {
				got = append(got, w.List.Transport+":"+w.List.Scope)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("widened %q, want %q", got, tt.want)
			}
		})
	}
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s = %q, want %q", path, got, want)
	}
}

// BenchmarkParsePolicy10k loads and validates a generated policy with
// 10,000 scopes (target: under 50 ms and 50 MB).
func BenchmarkParsePolicy10k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"default":[{"type":"reject"}],"transports":{"docker":{`)
	for i := 0; i < 10000; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `"registry%d.example.com/team%d":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k%d.gpg","signedIdentity":{"type":"matchRepository"}}]`, i%100, i, i%20)
	}
	sb.WriteString(`}}}`)
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		_, d := ParsePolicy("bench.json", data)
		if d.HasErrors() {
			b.Fatal(dump(d))
		}
	}
}

// BenchmarkWidenings10k compares a 10,000-scope policy with a copy where
// one scope changed, reading key files from disk (target: well under a
// second, as every save and every TUI review runs it).
func BenchmarkWidenings10k(b *testing.B) {
	dir := b.TempDir()
	paths := node.NewPaths(dir, "", "", "")
	os.MkdirAll(filepath.Join(dir, "etc/gpg"), 0o755)
	var sb strings.Builder
	sb.WriteString(`{"default":[{"type":"reject"}],"transports":{"docker":{`)
	for i := 0; i < 10000; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `"registry%d.example.com/team%d":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/etc/gpg/k%d.gpg","signedIdentity":{"type":"matchRepository"}}]`, i%100, i, i%20)
	}
	sb.WriteString(`}}}`)
	for i := 0; i < 20; i++ {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("etc/gpg/k%d.gpg", i)), []byte(fmt.Sprintf("key %d", i)), 0o644)
	}
	old, d := ParsePolicy("old", []byte(sb.String()))
	if d.HasErrors() {
		b.Fatal(dump(d))
	}
	cur := old.Clone()
	cur.SetScope("docker", "registry7.example.com/team7", model.Requirements{{Type: model.InsecureAcceptAnything}})
	keys := DiskKeyFiles(paths)
	b.ReportAllocs()
	for b.Loop() {
		if w := Widenings(TrustState{Policy: old, Keys: keys}, TrustState{Policy: cur, Keys: keys}, nil); len(w) != 1 {
			b.Fatalf("widenings: %v", w)
		}
	}
}
