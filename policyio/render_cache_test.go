package policyio

import (
	"bytes"
	"testing"

	"github.com/kios/imgtrust/model"
)

// sameAsMarshalPolicy renders p through c and checks it against
// MarshalPolicy.
func sameAsMarshalPolicy(t *testing.T, c *RenderCache, p *model.Policy) {
	t.Helper()
	want, wantErr := MarshalPolicy(p)
	got, err := c.Marshal(p)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("error %v, MarshalPolicy's %v", err, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("RenderCache.Marshal:\n%s\nMarshalPolicy:\n%s", got, want)
	}
}

// TestRenderCacheMatchesMarshalPolicy renders a sequence of edited
// policies through one cache: each rendering is MarshalPolicy's, whether
// its lists come from the cache or not.
func TestRenderCacheMatchesMarshalPolicy(t *testing.T) {
	signed := func(key string) model.Requirements {
		return model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: key,
			SignedIdentity: &model.Identity{Type: model.MatchRepository}}}
	}
	base := func() *model.Policy {
		return &model.Policy{
			Default: model.Requirements{{Type: model.Reject}},
			Transports: []*model.Transport{
				{Name: "docker", Scopes: []*model.Scope{
					{Name: "registry.example.com/a", Requirements: signed("/etc/gpg/a.gpg")},
					{Name: "registry.example.com/b", Requirements: signed("/etc/gpg/a.gpg")},
					{Name: "quay.io/<odd>&\"name\"", Requirements: model.Requirements{{Type: model.InsecureAcceptAnything}}},
					{Name: "régistry.example.com/ü", Requirements: model.Requirements{}},
				}},
				{Name: "atomic"},
				{Name: "docker-daemon", Scopes: []*model.Scope{{Name: "", Requirements: model.Requirements{{Type: model.InsecureAcceptAnything}}}}},
			},
		}
	}
	edits := []struct {
		name string
		edit func(p *model.Policy)
	}{
		{"as built", func(*model.Policy) {}},
		{"again", func(*model.Policy) {}},
		{"a scope changed", func(p *model.Policy) { p.Transports[0].Scopes[0].Requirements = signed("/etc/gpg/c.gpg") }},
		{"a scope added", func(p *model.Policy) {
			p.SetScope("docker", "registry.example.com/new", model.Requirements{{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyData: []byte("not a key")}})
		}},
		{"a scope removed", func(p *model.Policy) { p.RemoveScope("docker", "registry.example.com/b") }},
		{"empty default", func(p *model.Policy) { p.Default = model.Requirements{} }},
		{"nil default", func(p *model.Policy) { p.Default = nil }},
		{"no transports", func(p *model.Policy) { p.Transports = nil }},
		{"transport without scopes", func(p *model.Policy) { p.Transports = []*model.Transport{{Name: "docker"}} }},
	}
	c := &RenderCache{}
	p := base()
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			e.edit(p)
			sameAsMarshalPolicy(t, c, p)
			// A fresh cache agrees too.
			sameAsMarshalPolicy(t, &RenderCache{}, p)
		})
	}
}

// FuzzRenderCacheMatchesMarshalPolicy renders the policy of one text and
// then of another through one cache.
func FuzzRenderCacheMatchesMarshalPolicy(f *testing.F) {
	seeds := lazySeeds()
	for i, s := range seeds {
		f.Add(s, seeds[(i+1)%len(seeds)])
	}
	f.Fuzz(func(t *testing.T, prev, next []byte) {
		c := &RenderCache{}
		for _, text := range [][]byte{prev, next, next} {
			if p, _ := ParsePolicy("p", text); p != nil {
				sameAsMarshalPolicy(t, c, p)
			}
		}
	})
}
