package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/policyio"
)

// TestRollBackKeyFile: when policy.json cannot be saved after the key file
// of a --reference import was written, the key file goes back to what it
// was (absent, or its old bytes), so no half of the change stays.
func TestRollBackKeyFile(t *testing.T) {
	oldKey, newKey := testPublicKey(t), testPublicKey(t)
	for _, tc := range []struct {
		name   string
		before map[string]string
	}{
		{"new file is removed", nil},
		{"replaced file gets its old bytes back", map[string]string{"etc/gpg/k.gpg": oldKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, mapWith(tc.before, "etc/gpg/.keep", ""))
			paths := policyio.NewPaths(root, "", "", "")
			host := filepath.Join(root, "etc/gpg/k.gpg")
			before, beforeErr := os.ReadFile(host)
			res, err := gpg.Import([]byte(newKey), paths, gpg.ImportOptions{Name: "k.gpg", Force: true})
			if err != nil {
				t.Fatal(err)
			}
			if now, _ := os.ReadFile(host); bytes.Equal(now, before) {
				t.Fatal("the import wrote nothing: the test proves nothing")
			}
			msg := rollBackKeyFile(paths, res, before, beforeErr)
			if !strings.Contains(msg, "restored") || strings.Contains(msg, "NOT") {
				t.Errorf("message %q", msg)
			}
			after, afterErr := os.ReadFile(host)
			switch {
			case errors.Is(beforeErr, fs.ErrNotExist):
				if !errors.Is(afterErr, fs.ErrNotExist) {
					t.Errorf("the new key file is still there (%v)", afterErr)
				}
			case !bytes.Equal(after, before):
				t.Errorf("key file not restored: %d bytes, want the old %d", len(after), len(before))
			}
		})
	}
}

// TestRollBackKeyFileChangedMeanwhile: a key file changed by someone else
// after the import is not overwritten by the roll-back; the admin is told.
func TestRollBackKeyFileChangedMeanwhile(t *testing.T) {
	root := scratchRoot(t, `{"default":[{"type":"reject"}]}`, map[string]string{"etc/gpg/.keep": ""})
	paths := policyio.NewPaths(root, "", "", "")
	host := filepath.Join(root, "etc/gpg/k.gpg")
	res, err := gpg.Import([]byte(testPublicKey(t)), paths, gpg.ImportOptions{Name: "k.gpg"})
	if err != nil {
		t.Fatal(err)
	}
	other := []byte(testPublicKey(t))
	if err := os.WriteFile(host, other, 0o644); err != nil {
		t.Fatal(err)
	}
	msg := rollBackKeyFile(paths, res, nil, fs.ErrNotExist)
	if !strings.Contains(msg, "could NOT be restored") {
		t.Errorf("message %q", msg)
	}
	if now, _ := os.ReadFile(host); !bytes.Equal(now, other) {
		t.Error("someone else's key file was changed")
	}
}
