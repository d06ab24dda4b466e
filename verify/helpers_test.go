package verify

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/opencontainers/go-digest"
)

func render(r *Result) string {
	var b bytes.Buffer
	RenderText(&b, r, false)
	return b.String()
}

func mechOf(s string) gpg.Mechanism { m, _ := gpg.ParseMechanism(s); return m }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func signAt(e *openpgp.Entity, payload []byte, at time.Time) ([]byte, error) {
	var buf bytes.Buffer
	w, err := openpgp.Sign(&buf, e, nil, &packet.Config{Time: func() time.Time { return at }})
	if err != nil {
		return nil, err
	}
	w.Write(payload)
	w.Close()
	return buf.Bytes(), nil
}

func (n *testNode) pushIndex(repoTag string, idx v1.ImageIndex) digest.Digest {
	ref, err := name.ParseReference(n.host+"/"+repoTag, name.Insecure)
	if err != nil {
		n.t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		n.t.Fatal(err)
	}
	d, _ := idx.Digest()
	return digest.Digest(d.String())
}

// hostile starts a registry that answers /v2/ and misbehaves otherwise.
func hostile(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func hugeManifest(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for i := 0; i < 64; i++ {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// evalRequirement runs one requirement's evaluator on signatures already
// read, as Verify does after fetching them.
func evalRequirement(v *Verifier, r *model.Requirement, img *Image, m *manifest, sigs signatures) RequirementResult {
	rr, _ := evaluateRequirement(&evalContext{v: v, img: img, m: m, sigs: sigs}, 0, r, nil)
	return rr
}
