package gpg

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kios/imgtrust/model"
)

// TestKeyDiagnoser: a policy that names the same key material many times
// gets, for each reference, exactly what DiagnoseKeyMaterial says with
// that reference's label and position, while each distinct content is
// parsed once.
func TestKeyDiagnoser(t *testing.T) {
	k := keys(t)
	materials := map[string][]byte{
		"good":    publicBytes(t, k.rsa),
		"expired": publicBytes(t, k.expired),
		"ed25519": publicBytes(t, k.ed),
		"garbage": []byte("nonsense"),
		"empty":   {},
		"private": secretForms(t)["binary secret key"],
	}
	d := &KeyDiagnoser{Mech: MechXCrypto, Now: func() time.Time { return testNow }}
	for round := range 3 {
		for name, data := range materials {
			label := "/etc/gpg/" + name + ".gpg"
			if round == 1 {
				label = "docker:reg.example.com[0].keyData"
			}
			pos := model.Pos{File: "policy.json", Line: 10 + round}
			got := d.Diagnose(label, pos, append([]byte(nil), data...))
			want := DiagnoseKeyMaterial(label, pos, data, MechXCrypto, testNow)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round %d, %s:\n got %v\nwant %v", round, name, got, want)
			}
			if name == "private" && !strings.Contains(got[0].Fix, baseName(label)) {
				t.Errorf("the fix does not name the file: %q", got[0].Fix)
			}
		}
	}
	if d.Parsed != len(materials) {
		t.Errorf("parsed %d times for %d distinct materials", d.Parsed, len(materials))
	}
}

// TestKeyDiagnoserExpiry: a finding remembered before a key expires is not
// given again after it has: the material is looked at anew.
func TestKeyDiagnoserExpiry(t *testing.T) {
	key := newKey(t, "soon", keyOpts{lifetime: 2 * 86400}) // created a day before testNow
	data := publicBytes(t, key)
	now := testNow
	d := &KeyDiagnoser{Mech: MechGoCrypto, Now: func() time.Time { return now }}
	if got := d.Diagnose("/etc/gpg/soon.gpg", model.Pos{}, data); len(got) != 0 {
		t.Fatalf("a valid key has problems: %v", got)
	}
	now = testNow.Add(48 * time.Hour)
	got := d.Diagnose("/etc/gpg/soon.gpg", model.Pos{}, data)
	if len(got) == 0 || got[0].Code != "key-expired" {
		t.Errorf("after expiry: %v", got)
	}
	if d.Parsed != 2 {
		t.Errorf("parsed %d times, want 2 (once before, once after expiry)", d.Parsed)
	}
}
