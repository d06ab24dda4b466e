package verify

import (
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/model"
)

// TestIdentityTruthTable is policy-evaluation.md §6.1 (the library's
// TestZZMatrix), column by column.
func TestIdentityTruthTable(t *testing.T) {
	d1 := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	d2 := "sha256:" + strings.Repeat("a", 64)
	ids := []model.Identity{
		{Type: model.MatchExact}, {Type: model.MatchRepoDigestOrExact}, {Type: model.MatchRepository},
		{Type: model.ExactReference, DockerReference: "example.com/ns/app:v1"},
		{Type: model.ExactRepository, DockerRepository: "example.com/ns/app"},
	}
	tables := []struct {
		image string
		rows  map[string]string // signed identity -> mE mRDE mR eRef eRepo
	}{
		{"example.com/ns/app:v1", map[string]string{
			"example.com/ns/app:v1":       "11111",
			"example.com/ns/app:v2":       "00101",
			"example.com/ns/app":          "00101",
			"example.com/ns/app@" + d1:    "00101",
			"example.com/ns/app:v1@" + d1: "00101",
			"example.com/ns/other:v1":     "00000",
			"EXAMPLE.com/ns/app:v1":       "00000",
			"example.com/ns/App:v1":       "00000",
			"":                            "00000",
		}},
		{"example.com/ns/app@" + d1, map[string]string{
			"example.com/ns/app:v1":       "01111",
			"example.com/ns/app:v2":       "01101",
			"example.com/ns/app":          "00101",
			"example.com/ns/app@" + d1:    "11101",
			"example.com/ns/app@" + d2:    "01101",
			"example.com/ns/app:v1@" + d1: "01101",
			"example.com/ns/other:v1":     "00000",
		}},
	}
	for _, tb := range tables {
		image, err := reference.ParseNormalizedNamed(tb.image)
		if err != nil {
			t.Fatal(err)
		}
		for signed, want := range tb.rows {
			for i, id := range ids {
				got := MatchIdentity(id, image, signed)
				if got != (want[i] == '1') {
					t.Errorf("image %s, signed %q, %s: got %v want %c", tb.image, signed, id.Type, got, want[i])
				}
			}
		}
	}
}

func TestRemapIdentity(t *testing.T) {
	d1 := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	remap := model.Identity{Type: model.RemapIdentity, Prefix: "example.com/ns", SignedPrefix: "vendor.io/pub"}
	tests := []struct {
		image, signed string
		want          bool
	}{
		{"example.com/ns/app:v1", "vendor.io/pub/app:v1", true},
		{"example.com/ns/app:v1", "vendor.io/pub/app:v2", false},
		{"example.com/ns/app@" + d1, "vendor.io/pub/app:v9", true},
		{"example.com/ns/app@" + d1, "example.com/ns/app:v9", false},
		{"example.com/ns/app:v1", "example.com/ns/app:v1", false},
		{"example.com/nsx/app:v1", "example.com/nsx/app:v1", true},
		{"example.com/ns:v1", "vendor.io/pub:v1", true},
	}
	for _, tt := range tests {
		image, _ := reference.ParseNormalizedNamed(tt.image)
		if got := MatchIdentity(remap, image, tt.signed); got != tt.want {
			t.Errorf("%s signed %s: got %v", tt.image, tt.signed, got)
		}
	}
	// dir: images have no identity: only exactReference/exactRepository can match.
	if MatchIdentity(model.Identity{Type: model.MatchRepository}, nil, "example.com/a:1") {
		t.Error("matchRepository matched an image without identity")
	}
	if !MatchIdentity(model.Identity{Type: model.ExactReference, DockerReference: "example.com/a:1"}, nil, "example.com/a:1") {
		t.Error("exactReference must work without an image identity")
	}
}

func TestParsePayload(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	good := `{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"` + d + `"},"identity":{"docker-reference":"example.com/a:1"}},"optional":{"creator":"x","timestamp":1}}`
	p, err := ParsePayload([]byte(good))
	if err != nil || p.ManifestDigest.String() != d || p.DockerReference != "example.com/a:1" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := ParsePayload(MarshalPayload("example.com/a:1", p.ManifestDigest)); err != nil {
		t.Errorf("our own payload: %v", err)
	}
	bad := map[string]string{
		"not JSON":              `This is not JSON`,
		"unknown critical key":  strings.Replace(good, `"type"`, `"extra":1,"type"`, 1),
		"duplicate key":         strings.Replace(good, `"critical":{`, `"critical":{"type":"x",`, 1),
		"missing optional":      strings.Replace(good, `,"optional":{"creator":"x","timestamp":1}`, ``, 1),
		"null optional":         strings.Replace(good, `{"creator":"x","timestamp":1}`, `null`, 1),
		"wrong type":            strings.Replace(good, `atomic container signature`, `other`, 1),
		"bad digest":            strings.Replace(good, d, "sha256:abc", 1),
		"fractional timestamp":  strings.Replace(good, `"timestamp":1`, `"timestamp":1.5`, 1),
		"creator not a string":  strings.Replace(good, `"creator":"x"`, `"creator":1`, 1),
		"duplicate in optional": strings.Replace(good, `"creator":"x"`, `"creator":"x","creator":"y"`, 1),
	}
	for name, in := range bad {
		if _, err := ParsePayload([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
