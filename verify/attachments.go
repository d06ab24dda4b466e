package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// sigstoreAttachmentTag is the tag cosign stores signatures under:
// sha256:<hex> becomes sha256-<hex>.sig.
func sigstoreAttachmentTag(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	return strings.Replace(d.String(), ":", "-", 1) + ".sig", nil
}

// sigstoreAttachments reads the attachment manifest of d and every layer
// of it, as appendSignaturesFromSigstoreAttachments does: a missing
// manifest means no attachments; any other failure fails the read.
func (v *Verifier) sigstoreAttachments(ctx context.Context, img *Image, d digest.Digest, tr *countingTransport) ([]sigstoreSignature, error) {
	tag, err := sigstoreAttachmentTag(d)
	if err != nil {
		return nil, err
	}
	ref, opts, err := v.registryClient(ctx, img, tr)
	if err != nil {
		return nil, err
	}
	where := ref.Context().Tag(tag)
	desc, err := remote.Get(where, opts...)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && manifestUnknown(te) {
			return nil, nil
		}
		return nil, &IncompleteError{Step: "fetching the sigstore attachments " + where.String(), Err: err}
	}
	if string(desc.MediaType) != ocispec.MediaTypeImageManifest {
		return nil, &IncompleteError{Step: "reading the sigstore attachments", Err: fmt.Errorf("unexpected MIME type for sigstore attachment manifest %s: %q", where, desc.MediaType)}
	}
	var man ocispec.Manifest
	if err := json.Unmarshal(desc.Manifest, &man); err != nil {
		return nil, &IncompleteError{Step: "reading the sigstore attachments", Err: fmt.Errorf("parsing manifest %s: %w", where, err)}
	}
	var out []sigstoreSignature
	for _, layer := range man.Layers {
		payload, err := readAttachment(ref, layer.Digest, opts)
		if err != nil {
			return nil, &IncompleteError{Step: "reading sigstore attachment " + layer.Digest.String(), Err: err}
		}
		out = append(out, sigstoreSignature{
			Where:       where.String() + " layer " + layer.Digest.Encoded()[:12],
			MIMEType:    layer.MediaType,
			Payload:     payload,
			Annotations: layer.Annotations,
		})
	}
	return out, nil
}

// readAttachment reads one attachment blob, at most MaxSignatureSize
// bytes, and checks its digest.
func readAttachment(ref name.Reference, d digest.Digest, opts []remote.Option) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("invalid digest %q: %w", d, err)
	}
	layer, err := remote.Layer(ref.Context().Digest(d.String()), opts...)
	if err != nil {
		return nil, err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxSignatureSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSignatureSize {
		return nil, fmt.Errorf("attachment larger than %d bytes", MaxSignatureSize)
	}
	if got := d.Algorithm().FromBytes(data); got != d {
		return nil, fmt.Errorf("digest mismatch, expected %q, got %q", d, got)
	}
	return data, nil
}

// manifestUnknown recognises "no such manifest" as isManifestUnknownError
// does, including the variants of registry.redhat.io and Harbor.
func manifestUnknown(te *transport.Error) bool {
	if te.StatusCode == http.StatusNotFound {
		return true
	}
	for _, e := range te.Errors {
		switch {
		case e.Code == transport.ManifestUnknownErrorCode:
			return true
		case e.Code == transport.UnknownErrorCode && (e.Message == "Not Found" || strings.Contains(e.Message, "not found")):
			return true
		}
	}
	return false
}
