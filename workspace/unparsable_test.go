package workspace

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
)

// The kiOS guide's policy has "]]" where "}]" was meant: nothing parses,
// so the tree is empty. A save built on that tree must never replace the
// file, whatever was added to the tree; text staged from an editor may.
func TestUnparsablePolicyTreeSaveRefused(t *testing.T) {
	guide, err := os.ReadFile("../testdata/kios-guide-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	paths := newRoot(t, string(guide))
	w, err := Open(paths)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Unparsable() {
		t.Fatal("the guide's policy should be reported unparsable")
	}
	w.Edit("add a scope", func(p *model.Policy) {
		p.SetScope("docker", "example.com", model.Requirements{{Type: model.Reject}})
		p.Default = model.Requirements{{Type: model.Reject}}
	})
	if _, err := w.PolicyChange(); !errors.Is(err, ErrUnparsable) {
		t.Fatalf("PolicyChange of a tree edit over an unparsable file: %v, want ErrUnparsable", err)
	}
	if w.Dirty() {
		t.Fatal("a tree edit over an unparsable file is offered as a change")
	}
	for _, allow := range []bool{false, true} {
		if err := w.Save("", allow); !errors.Is(err, ErrUnparsable) {
			t.Fatalf("Save(allowWeaken=%v) = %v, want ErrUnparsable", allow, err)
		}
	}
	if got, _ := os.ReadFile(paths.Policy); !bytes.Equal(got, guide) {
		t.Fatal("the unparsable file was overwritten")
	}

	// The same file repaired as text is a change a save may make.
	w.Undo()
	text, err := w.PolicyText()
	if err != nil || !bytes.Equal(text, guide) {
		t.Fatalf("PolicyText before edits should be the file as on disk (err %v)", err)
	}
	if err := w.StageRaw("", []byte("{ not json")); err == nil {
		t.Fatal("text that is not JSON was staged")
	}
	fixed := strings.Replace(string(guide), `"reject"]]`, `"reject"}]`, 1)
	if err := w.StageRaw("", []byte(fixed)); err != nil {
		t.Fatal(err)
	}
	if w.Unparsable() {
		t.Fatal("still unparsable after staging repaired text")
	}
	ch, err := w.PolicyChange()
	if err != nil || ch == nil {
		t.Fatalf("repaired text gives no change: %v", err)
	}
	if w.Policy() == nil || len(w.Policy().Transports) == 0 {
		t.Fatal("the repaired text's scopes were not staged")
	}
	// The guide's text still has errors (missing keys, duplicate keys):
	// the save refuses it and the file stays.
	if err := w.Save("", true); err == nil {
		t.Fatal("a policy with errors was saved from the editor")
	}
	if got, _ := os.ReadFile(paths.Policy); !bytes.Equal(got, guide) {
		t.Fatal("the unparsable file was overwritten by text with errors")
	}
	// Valid text: a policy the runtime cannot load accepts nothing, so
	// any policy widens trust and needs the typed consent.
	if err := w.StageRaw("", []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`)); err != nil {
		t.Fatal(err)
	}
	if ch, err = w.PolicyChange(); err != nil || ch == nil || len(ch.Weakenings) == 0 {
		t.Fatalf("replacing an unloadable policy must need consent: %+v %v", ch, err)
	}
	if err := w.Save("", false); err == nil {
		t.Fatal("saved a widening without consent")
	}
	if err := w.Save("", true); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(paths.Policy); bytes.Equal(got, guide) {
		t.Fatal("the repaired policy was not written")
	}
}
