package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/opencontainers/go-digest"
)

// extensionSignatures reads the signatures of d from the registry's own
// API (dockerClient.getExtensionsSignatures): one JSON list, any status
// but 200 fatal, atomic version-2 entries taken as simple-signing blobs
// without the envelope check the look-aside gets.
func (v *Verifier) extensionSignatures(ctx context.Context, img *Image, d digest.Digest, tr *countingTransport, scheme string) ([]sigSource, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	ref, _, err := v.registryClient(ctx, img, tr)
	if err != nil {
		return nil, err
	}
	repo := ref.Context()
	auth, err := v.authenticator(repo.RegistryStr(), credentialsFor(img))
	if err != nil {
		return nil, err
	}
	rt, err := transport.NewWithContext(ctx, repo.Registry, auth, tr.registryTransport(v.opts.TLSVerify), []string{repo.Scope(transport.PullScope)})
	if err != nil {
		return nil, &IncompleteError{Step: "authenticating to " + repo.RegistryStr(), Err: err}
	}
	u := fmt.Sprintf("%s://%s/extensions/v2/%s/signatures/%s", scheme, repo.RegistryStr(), repo.RepositoryStr(), d)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: rt, Timeout: v.opts.Timeout}).Do(req)
	if err != nil {
		return nil, &IncompleteError{Step: "reading signatures from the registry API", Err: err}
	}
	defer resp.Body.Close()
	step := fmt.Sprintf("downloading signatures for %s in %s", d, repo.Name())
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(step, resp.StatusCode, "")
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &IncompleteError{Step: step, Err: err}
	}
	var list struct {
		Signatures []struct {
			SchemaVersion int    `json:"schemaVersion"`
			Name          string `json:"name"`
			Type          string `json:"type"`
			Content       []byte `json:"content"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, &IncompleteError{Step: step, Err: err}
	}
	var out []sigSource
	for i, s := range list.Signatures {
		if s.SchemaVersion != 2 || s.Type != "atomic" {
			continue
		}
		out = append(out, sigSource{Where: fmt.Sprintf("%s #%d", u, i+1), Blob: s.Content, Raw: true})
	}
	return out, nil
}
