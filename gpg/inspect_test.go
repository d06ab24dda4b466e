package gpg

import (
	"errors"
	"strings"
	"testing"
)

func TestInspect(t *testing.T) {
	f := keys(t)
	tests := []struct {
		name       string
		data       []byte
		mech       Mechanism
		wantStatus []string // per key, in input order
		wantUsable []bool
		asGiven    []string // StatusAsGiven per key ("" when equal)
	}{
		{"rsa on xcrypto", publicBytes(t, f.rsa), MechXCrypto, []string{"ok"}, []bool{true}, []string{""}},
		{"ed25519 on xcrypto", publicBytes(t, f.ed), MechXCrypto, []string{"unusable: openpgp-xcrypto does not load it from this file"}, []bool{false}, []string{""}},
		{"ed25519 on gocrypto", publicBytes(t, f.ed), MechGoCrypto, []string{"ok"}, []bool{true}, []string{""}},
		{"expired on gocrypto", publicBytes(t, f.expired), MechGoCrypto, []string{"expired"}, []bool{false}, []string{""}},
		// x/crypto never checks expiry: the key still verifies.
		{"expired on xcrypto", publicBytes(t, f.expired), MechXCrypto, []string{"expired (still trusted by openpgp-xcrypto)"}, []bool{true}, []string{""}},
		{"revoked", revokedPublic(t, f.revoked), MechGoCrypto, []string{"revoked"}, []bool{false}, []string{""}},
		// Two armored blocks: x/crypto reads the first block only as given;
		// imported, both keys are in one binary file and both load.
		{"second armored block on xcrypto", append(armoredPublic(t, f.rsa), armoredPublic(t, f.other)...), MechXCrypto,
			[]string{"ok", "ok"}, []bool{true, true}, []string{"", "unusable: openpgp-xcrypto does not load it from this file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Inspect(tc.data, tc.mech, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.wantStatus) {
				t.Fatalf("%d keys, want %d", len(got), len(tc.wantStatus))
			}
			for i, k := range got {
				if k.Status != tc.wantStatus[i] || k.Usable != tc.wantUsable[i] || k.StatusAsGiven != tc.asGiven[i] {
					t.Errorf("key %d: status %q usable %v as given %q; want %q %v %q", i, k.Status, k.Usable, k.StatusAsGiven, tc.wantStatus[i], tc.wantUsable[i], tc.asGiven[i])
				}
				if len(k.Mechanisms) != len(Mechanisms) || k.Mechanisms[tc.mech] != k.Status {
					t.Errorf("key %d: mechanisms %v", i, k.Mechanisms)
				}
			}
		})
	}
}

func TestInspectRefusesPrivateKeys(t *testing.T) {
	for name, data := range secretForms(t) {
		t.Run(name, func(t *testing.T) {
			got, err := Inspect(data, MechGoCrypto, testNow)
			var se *SecretKeyError
			if !errors.As(err, &se) || got != nil {
				t.Fatalf("got %v, %v; want a *SecretKeyError and no keys", got, err)
			}
			if strings.Contains(err.Error(), "BEGIN PGP PRIVATE") {
				t.Errorf("the error quotes the input: %v", err)
			}
		})
	}
}
