package verify

import (
	"strings"
	"testing"

	"github.com/kios/imgtrust/model"
)

// FuzzParsePayload: every payload either parses or is an error, never a
// panic; what parses has a valid digest.
func FuzzParsePayload(f *testing.F) {
	f.Add(MarshalPayload("example.com/a:1", "sha256:"+digestHex))
	f.Add([]byte(`{"critical":{},"optional":{}}`))
	f.Add([]byte(`This is not JSON`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePayload(data)
		if err == nil && p.ManifestDigest.Validate() != nil {
			t.Fatalf("invalid digest accepted: %q", p.ManifestDigest)
		}
	})
}

// FuzzParseImage: references from users and lists never panic, and the
// scope chosen for them is always one the policy has.
func FuzzParseImage(f *testing.F) {
	for _, s := range []string{"busybox", "docker://quay.io/a/b:c", "example.com:5000/a/b@sha256:" + digestHex, "dir:/tmp", "oci:/x", "a/b:c@sha256:" + digestHex, "localhost/x"} {
		f.Add(s)
	}
	p := &model.Policy{Default: model.Requirements{{Type: model.Reject}}}
	p.SetScope("docker", "docker.io", model.Requirements{{Type: model.InsecureAcceptAnything}})
	f.Fuzz(func(t *testing.T, s string) {
		if strings.HasPrefix(s, "dir:") {
			return // touches the file system
		}
		img, err := ParseImage(s)
		if err != nil {
			return
		}
		c := ChooseRequirements(p, img)
		if len(c.Requirements) == 0 {
			t.Fatalf("%q: no requirements chosen", s)
		}
	})
}

const digestHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
