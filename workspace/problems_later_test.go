package workspace

import (
	"reflect"
	"testing"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// TestProblemsLaterIsOfItsState: ProblemsLater gives the problems of the
// state it was taken in, the same as Problems then, even when it runs on
// another goroutine while the workspace is edited and checked (go test
// -race checks the sharing).
func TestProblemsLaterIsOfItsState(t *testing.T) {
	c := newChangeRoot(t)
	w := c.open(t)
	w.Inspect = (&gpg.KeyDiagnoser{Mech: gpg.MechGoCrypto}).Diagnose
	steps := []struct {
		name string
		do   func(t *testing.T)
	}{
		{"opened", func(*testing.T) {}},
		{"policy edit", func(*testing.T) {
			w.Edit("reject other", func(p *model.Policy) {
				p.SetScope("docker", "registry.example.com/new", model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/etc/gpg/missing.gpg"}})
			})
		}},
		{"key import", func(t *testing.T) {
			if _, err := w.StageKeyImport(c.newKey, gpg.ImportOptions{Name: "missing.gpg"}); err != nil {
				t.Fatal(err)
			}
		}},
		{"look-aside", func(t *testing.T) {
			if err := w.StageRegistries("http", func(rd *policyio.RegistriesD) ([]policyio.FileChange, error) {
				return rd.Set("registry.example.com", "http://plain.example.com", policyio.SetOptions{})
			}); err != nil {
				t.Fatal(err)
			}
		}},
		{"undo", func(*testing.T) { w.Undo() }},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do(t)
			want := w.Problems()
			later := w.ProblemsLater()
			got := make(chan model.Diagnostics)
			go func() { got <- later() }()
			// The workspace goes on while the problems are computed.
			w.Edit("next", func(p *model.Policy) {
				p.SetScope("docker", "registry.example.com/next", model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/etc/gpg/absent.gpg"}})
			})
			after := w.Problems()
			if g := <-got; !reflect.DeepEqual(g, want) {
				t.Errorf("ProblemsLater:\n%v\nwant the Problems of its state:\n%v", g, want)
			}
			if reflect.DeepEqual(after, want) {
				t.Fatalf("the next edit changed no problem: the test proves nothing")
			}
			w.Undo()
			if again := w.Problems(); !reflect.DeepEqual(again, want) {
				t.Errorf("after undo:\n%v\nwant:\n%v", again, want)
			}
		})
	}
}
