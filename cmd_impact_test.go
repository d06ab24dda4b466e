package main

import (
	"context"
	"strings"
	"testing"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/impact"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
)

// TestTUIImpactDecidesOfflineWhatThePolicyDecides: the wizard's backend
// accepts a pause image whose namespace the proposal opens although its
// registry is out of reach, and reports a signed one there as not checked
// (an error), never as rejected.
func TestTUIImpactDecidesOfflineWhatThePolicyDecides(t *testing.T) {
	root := scratchRoot(t, "", map[string]string{"etc/pki/k.gpg": testPublicKey(t)})
	paths := node.NewPaths(root, "", "", "")
	ti := tuiImpact{impact.NewChecker(impact.Options{Paths: paths, Mechanism: gpg.MechGoCrypto})}
	pol := &model.Policy{Default: model.Requirements{{Type: model.Reject}}}
	pol.SetScope(model.TransportDocker, "127.0.0.1:1/open", model.Requirements{{Type: model.InsecureAcceptAnything}})
	pol.SetScope(model.TransportDocker, "127.0.0.1:1/signed", model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: "/etc/pki/k.gpg"}})

	res, err := ti.Verify(context.Background(), pol, "127.0.0.1:1/open/pause:3.10")
	if err != nil || !res.Accepted {
		t.Errorf("open namespace, registry unreachable: %+v %v", res, err)
	}
	res, err = ti.Verify(context.Background(), pol, "127.0.0.1:1/signed/pause:3.10")
	if err == nil || res.Accepted || !strings.Contains(err.Error(), "not checked") {
		t.Errorf("signed namespace, registry unreachable: %+v %v", res, err)
	}
	res, err = ti.Verify(context.Background(), pol, "127.0.0.1:1/other/pause:3.10")
	if err != nil || res.Accepted || !strings.Contains(res.Summary, "rejects") {
		t.Errorf("default reject: %+v %v", res, err)
	}
}
