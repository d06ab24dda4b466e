package runtimever

import (
	"strings"
	"testing"

	"golang.org/x/mod/semver"
)

// TestTable: every row names its library file and what an older release
// does; every release is a valid version; rows are oldest first, so that
// the table reads as the library's history.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	prev := "v0.0.0"
	for _, f := range Features() {
		if seen[f.ID] {
			t.Errorf("%s: listed twice", f.ID)
		}
		seen[f.ID] = true
		if f.Source == "" || f.Before == "" || f.Repo == "" {
			t.Errorf("%s: source %q, before %q, repo %q: each row says where and what", f.ID, f.Source, f.Before, f.Repo)
		}
		if f.Since == "" {
			prev = "v99.0.0"
			continue
		}
		if !semver.IsValid(f.Since) || semver.Compare(f.Since, prev) < 0 {
			t.Errorf("%s: since %q after %q: not a version, or out of order", f.ID, f.Since, prev)
		}
		prev = f.Since
	}
}

// TestHas: a release has what its table row says (the first tag
// containing the commit, git tag --contains); a pseudo-version has what
// its base release has; a feature only on main is in no release up to
// Checked.
func TestHas(t *testing.T) {
	tests := []struct {
		version string
		id      string
		want    bool
	}{
		{"v5.21.1", SignedByKeyPaths, false}, // d218ff3d is first in v5.22.0
		{"v5.22.0", SignedByKeyPaths, true},
		{"v5.21.0", SigstoreSigned, false},
		{"v5.23.1", SigstoreFulcio, false}, // Debian's skopeo: 23774f51 is in v5.24.0
		{"v5.24.0", SigstoreFulcio, true},
		{"v5.32.2", SigstoreKeyPaths, false},
		{"v5.33.0", SigstoreRekorKeys, true},
		{"v5.34.3", SigstorePKI, false},
		{"v5.35.0", SigstorePKI, true},
		{"v5.8.1", RemapIdentity, false},
		{"v5.9.0", RemapIdentity, true},
		{"v5.9.1", WildcardScope, false},
		{"v5.10.0", WildcardScope, true},
		{"v5.36.1", SubkeySignatures, false},
		{"v5.37.0", SubkeySignatures, true},
		{"v5.39.2", RegistriesDMasking, false},
		{"v5.40.0", RegistriesDMasking, true},
		{"v5.40.1", RegistriesDYAMLDirs, false},
		{"v5.41.0", RegistriesDYAMLDirs, true},
		{"v5.38.0", ExactRepository, true},
		// Pseudo-versions: v5.35.1-0.… is built on v5.35.0.
		{"v5.35.1-0.20250101000000-0123456789ab", SigstorePKI, true},
		{"v5.34.4-0.20250101000000-0123456789ab", SigstorePKI, false},
		// buildSignerURI: in no release through v5.42.1 (checked in its
		// policy_config_sigstore.go); later ones are not judged.
		{"v5.38.0", FulcioBuildSignerURI, false},
		{"v5.42.1", FulcioBuildSignerURI, false},
		{"v5.42.2-0.20261101000000-0123456789ab", FulcioBuildSignerURI, false},
		{"v5.43.0", FulcioBuildSignerURI, true},
		// Unknown ids and invalid versions decide nothing.
		{"v5.0.0", "no such feature", true},
		{"", SignedByKeyPaths, true},
	}
	for _, tt := range tests {
		if got := (Library{Version: tt.version}).Has(tt.id); got != tt.want {
			t.Errorf("%s has %s = %v, want %v", tt.version, tt.id, got, tt.want)
		}
	}
}

// TestAssumeSaysSo: an assumed library says it was assumed and which
// release, so that a message built on it can say so.
func TestAssumeSaysSo(t *testing.T) {
	l := Assume(DefaultAssumed, "no binary")
	if !l.Assumed || l.Version != DefaultAssumed {
		t.Fatalf("Assume = %+v", l)
	}
	for _, want := range []string{"unknown", "no binary", "assumed " + DefaultAssumed} {
		if !contains(l.Basis, want) {
			t.Errorf("basis %q lacks %q", l.Basis, want)
		}
	}
	if k := Known("v5.42.1", "/usr/bin/crio"); k.Assumed || !contains(k.Basis, "/usr/bin/crio") {
		t.Errorf("Known = %+v", k)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestLookupBuildsNoTable: a lookup reads the table built once (the policy
// feature check looks up a feature per signedBy member) and hands out a
// copy, so a caller changing it changes nothing.
func TestLookupBuildsNoTable(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { Lookup(RemapIdentity) }); n != 0 {
		t.Errorf("Lookup allocates %v times", n)
	}
	f, _ := Lookup(RemapIdentity)
	f.Since = "changed"
	if again, _ := Lookup(RemapIdentity); again.Since == "changed" {
		t.Error("a change to a looked-up feature reached the table")
	}
}
