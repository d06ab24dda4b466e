package ui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/kios/imgtrust/model"
)

// nsVerifier records the namespace each check was for.
type nsVerifier struct {
	fakeVerifier
	namespaces []string
}

func (f *nsVerifier) VerifyInNamespace(ctx context.Context, p *model.Policy, ns, ref string) (VerifyResult, error) {
	f.namespaces = append(f.namespaces, ns)
	r, err := f.Verify(ctx, p, ref)
	r.Policy = "/etc/crio/policies/" + ns + ".json"
	return r, err
}

// TestVerifyNamespaceField: n edits the namespace; a check with one goes
// to the backend's namespace check and says which policy it used; without
// one it is a plain check (a pull without a pod).
func TestVerifyNamespaceField(t *testing.T) {
	d, _, _, _ := testDeps(t, `{"default":[{"type":"insecureAcceptAnything"}]}`)
	v := &nsVerifier{}
	d.Verifier = v
	m := sized(New(d), 80, 24)
	m.modal = nil
	send(t, m, "5", "esc", "n", "type:team-a", "enter", "type:quay.io/x/app:1", "enter")
	if len(v.namespaces) != 1 || v.namespaces[0] != "team-a" || len(v.calls) != 1 {
		t.Fatalf("namespace checks %v, calls %v", v.namespaces, v.calls)
	}
	if s := screen(m); !strings.Contains(s, "namespace: team-a") || !strings.Contains(s, "policy: /etc/crio/policies/team-a.json") {
		t.Errorf("screen does not show the namespace and its policy:\n%s", s)
	}
	// Clear the namespace: the next check is a plain one.
	send(t, m, "esc", "n")
	for range len("team-a") {
		send(t, m, "backspace")
	}
	send(t, m, "enter", "type:quay.io/x/app:2", "enter")
	if len(v.namespaces) != 1 || len(v.calls) != 2 {
		t.Errorf("after clearing: namespace checks %v, calls %v", v.namespaces, v.calls)
	}
}

// TestPolicySwitch: P lists the policy files (in a command: it is I/O);
// choosing another quits the session with the choice, which the caller
// opens next; staged edits must be saved or undone first.
func TestPolicySwitch(t *testing.T) {
	files := []PolicyChoice{{File: "/etc/containers/policy.json", Current: true}, {Namespace: "team-a", File: "/etc/crio/policies/team-a.json"}}
	open := func(t *testing.T) *Model {
		d, _, _, _ := testDeps(t, `{"default":[{"type":"reject"}]}`)
		d.PolicyFiles = func() ([]PolicyChoice, error) { return files, nil }
		m := sized(New(d), 80, 24)
		m.modal = nil
		_, cmd := m.Update(kp("P"))
		if cmd == nil {
			t.Fatal("P gave no command")
		}
		m.Update(cmd())
		if _, ok := m.modal.(*policySwitchDialog); !ok {
			t.Fatalf("no switcher open:\n%s", screen(m))
		}
		return m
	}
	m := open(t)
	if s := screen(m); !strings.Contains(s, "namespace team-a") || !strings.Contains(s, "(editing)") {
		t.Errorf("switcher screen:\n%s", s)
	}
	_, cmd := m.Update(kp("down"))
	if cmd != nil {
		t.Fatal("moving the selection did something")
	}
	_, cmd = m.Update(kp("enter"))
	if c, ok := m.SwitchTo(); !ok || c.Namespace != "team-a" || cmd == nil {
		t.Fatalf("SwitchTo = %+v %v", c, ok)
	}
	if _, quit := cmd().(tea.QuitMsg); !quit {
		t.Error("choosing a file did not end the session")
	}

	dirty := open(t)
	dirty.deps.Policy.Edit("accept all", func(p *model.Policy) { p.Default = model.Requirements{{Type: model.InsecureAcceptAnything}} })
	dirty.refresh()
	dirty.Update(kp("down"))
	dirty.Update(kp("enter"))
	if _, ok := dirty.SwitchTo(); ok || !strings.Contains(dirty.status, "save") {
		t.Errorf("switched with staged edits; status %q", dirty.status)
	}

	// Only the global policy: nothing to switch to, and it says so.
	d, _, _, _ := testDeps(t, `{"default":[{"type":"reject"}]}`)
	d.PolicyFiles = func() ([]PolicyChoice, error) { return files[:1], nil }
	one := sized(New(d), 80, 24)
	one.modal = nil
	_, cmd = one.Update(kp("P"))
	one.Update(cmd())
	if one.modal != nil || !strings.Contains(one.status, "no per-namespace policies") {
		t.Errorf("modal %T, status %q", one.modal, one.status)
	}
}
