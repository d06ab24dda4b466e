package verify

//lint:file-ignore ST1005 error texts are containers/image's own wording, which admins search for; they are kept word for word

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/policyio"
	"github.com/opencontainers/go-digest"
)

// Limits of what a registry or look-aside may send (internal/iolimits).
const (
	MaxManifestSize  = 4 << 20
	MaxSignatureSize = 4 << 20
	// MaxSignatures: the runtime fails when signature-128 exists (127
	// are fine).
	MaxSignatures = 128
)

// IncompleteError means the check could not finish: a server was
// unreachable, too slow, or sent something the runtime would fail on.
type IncompleteError struct {
	Step string
	Err  error
}

func (e *IncompleteError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *IncompleteError) Unwrap() error { return e.Err }

// pullFailedError: reading the signatures failed in a way the node's
// runtime meets too — a limit it shares (too many signatures, a blob too
// large) or a definite answer from the server (404 from the signature API,
// 4xx other than authentication and rate limits). The pull fails: a
// rejection, not an unfinished check.
type pullFailedError struct {
	Step string
	Err  error
}

func (e *pullFailedError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *pullFailedError) Unwrap() error { return e.Err }

// unfinished reports whether a failed read leaves the verdict open (the
// node may see something else: a network error, a 5xx, credentials).
func unfinished(err error) bool {
	var pf *pullFailedError
	return err != nil && !errors.As(err, &pf)
}

// statusError is the error for a non-200, non-404 answer: definite for
// client errors the node's runtime would get too.
func statusError(step string, code int, suffix string) error {
	err := fmt.Errorf("status %d (%s)%s", code, http.StatusText(code), suffix)
	switch {
	case code == http.StatusUnauthorized, code == http.StatusForbidden, code == http.StatusRequestTimeout, code == http.StatusTooManyRequests:
		return &IncompleteError{Step: step, Err: err}
	case code >= 400 && code < 500:
		return &pullFailedError{Step: step, Err: err}
	}
	return &IncompleteError{Step: step, Err: err}
}

// unreadableLookasideError: the look-aside URL has a scheme the runtime
// cannot read. Every pull through it fails, whatever the policy says: a
// configuration error, not a verdict about the image.
type unreadableLookasideError struct{ URL string }

func (e *unreadableLookasideError) Error() string {
	return "Unsupported scheme when reading signature from " + e.URL
}

// asInvalidConfig turns an unreadable look-aside into the configuration
// error it is; other errors give nil.
func asInvalidConfig(err error, lookaside *policyio.LookasideMatch) *InvalidConfigError {
	var ue *unreadableLookasideError
	if !errors.As(err, &ue) {
		return nil
	}
	d := model.Diagnostic{Severity: model.Error, Code: "lookaside-scheme",
		Message: ue.Error() + ": the look-aside URL has no http, https or file scheme, so every pull through it fails, even under insecureAcceptAnything",
		Fix:     "write a full URL such as https://lookaside.example.com in registries.d"}
	if lookaside != nil {
		d.Pos = lookaside.Pos
	}
	return &InvalidConfigError{Diags: model.Diagnostics{d}}
}

// countingTransport counts requests and caps response bodies.
type countingTransport struct {
	base  http.RoundTripper
	count *atomic.Int64
	// forceHTTPS keeps registry requests on https: go-containerregistry
	// would fall back to plain http for loopback and private addresses,
	// which the runtime does not do without --tls-verify=false.
	forceHTTPS bool
	// extension records the scheme of a registry ping that advertised
	// X-Registry-Supports-Signatures: 1 (the runtime then reads signatures
	// from the registry's API instead of the look-aside).
	extension *atomic.Value
	// insecureBase skips TLS verification, for insecure endpoints.
	insecureBase http.RoundTripper
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.count.Add(1)
	if t.forceHTTPS && r.URL.Scheme == "http" {
		r = r.Clone(r.Context())
		r.URL.Scheme = "https"
	}
	resp, err := t.base.RoundTrip(r)
	if fromMemory(resp, err) {
		t.count.Add(-1) // a ping the Verifier already knew the answer of
	}
	if err != nil {
		return nil, err
	}
	if r.URL.Path == "/v2/" && resp.Header.Get("X-Registry-Supports-Signatures") == "1" {
		t.extension.Store(r.URL.Scheme)
	}
	resp.Body = &limitedBody{r: resp.Body, left: MaxManifestSize + 1}
	return resp, nil
}

// limitedBody fails a read past the limit instead of truncating silently.
type limitedBody struct {
	r    io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("response larger than %d bytes", MaxManifestSize)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.r.Close() }

// newTransport is a transport of its own, for a Verifier made without New.
func newTransport(tlsVerify bool, timeout time.Duration) *countingTransport {
	return newSharedClient(tlsVerify, timeout).forImage()
}

// transport is the transport of one image's checks over the Verifier's
// shared connections.
func (v *Verifier) transport() *countingTransport {
	if v.net == nil {
		return newTransport(v.opts.TLSVerify, v.opts.Timeout)
	}
	t := v.net.forImage()
	if v.netInsecure != nil {
		t.insecureBase = v.netInsecure
	}
	return t
}

// registryTransport shares the counter and connections of t but keeps
// registry traffic on https unless TLS verification is off for it (the
// flag, or an insecure registries.conf endpoint).
func (t *countingTransport) registryTransport(tlsVerify bool) *countingTransport {
	base := t.base
	if !tlsVerify && t.insecureBase != nil {
		base = t.insecureBase
	}
	return &countingTransport{base: base, count: t.count, forceHTTPS: tlsVerify, extension: t.extension}
}

// manifest is the manifest the runtime checks signatures against.
type manifest struct {
	Raw       []byte
	MediaType string
	Digest    digest.Digest
	// Instance is set when the reference named an index and the platform
	// instance was chosen from it.
	IndexDigest digest.Digest
	Platform    string
}

// registryClient is the reference and the options every registry request
// of one verification uses (TLS rule, credentials, shared transport).
func (v *Verifier) registryClient(ctx context.Context, img *Image, tr *countingTransport) (name.Reference, []remote.Option, error) {
	var nameOpts []name.Option
	// An insecure endpoint (registries.conf) skips TLS verification and
	// may fall back to plain http, as --tls-verify=false does everywhere
	// (docker_client.go: InsecureSkipVerify, then the http retry).
	tlsVerify := v.opts.TLSVerify && !img.insecure
	if !tlsVerify {
		nameOpts = append(nameOpts, name.Insecure)
	}
	ref, err := name.ParseReference(img.Named.String(), nameOpts...)
	if err != nil {
		return nil, nil, err
	}
	auth, err := v.authenticator(ref.Context().RegistryStr(), credentialsFor(img))
	if err != nil {
		return nil, nil, err
	}
	return ref, []remote.Option{remote.WithContext(ctx), remote.WithTransport(tr.registryTransport(tlsVerify)), remote.WithAuth(auth)}, nil
}

func (v *Verifier) fetchManifest(ctx context.Context, img *Image, tr *countingTransport) (*manifest, error) {
	ref, opts, err := v.registryClient(ctx, img, tr)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && manifestUnknown(te) {
			// The registry answered: no such image. The node is told the
			// same (a short name's next candidate is tried then).
			return nil, &pullFailedError{Step: "fetching the manifest of " + img.String(), Err: err}
		}
		return nil, &IncompleteError{Step: "fetching the manifest of " + img.String(), Err: err}
	}
	m := &manifest{Raw: desc.Manifest, MediaType: string(desc.MediaType), Digest: digest.FromBytes(desc.Manifest)}
	if d, ok := img.Named.(interface{ Digest() digest.Digest }); ok && d.Digest() != m.Digest {
		return nil, &IncompleteError{Step: "checking the manifest", Err: fmt.Errorf("Manifest does not match provided manifest digest %s (the registry sent %s)", d.Digest(), m.Digest)}
	}
	if !desc.MediaType.IsIndex() {
		return m, nil
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, &IncompleteError{Step: "reading the image index", Err: err}
	}
	want := v.platform()
	for _, child := range idx.Manifests {
		if child.Platform == nil || !platformMatches(child.Platform, want) || child.MediaType.IsIndex() {
			continue
		}
		inst, err := remote.Get(ref.Context().Digest(child.Digest.String()), opts...)
		if err != nil {
			return nil, &IncompleteError{Step: "fetching the " + want.String() + " instance", Err: err}
		}
		got := digest.FromBytes(inst.Manifest)
		if got.String() != child.Digest.String() {
			return nil, &IncompleteError{Step: "checking the instance manifest", Err: fmt.Errorf("Manifest does not match provided manifest digest %s", child.Digest)}
		}
		return &manifest{Raw: inst.Manifest, MediaType: string(inst.MediaType), Digest: got, IndexDigest: m.Digest, Platform: want.String()}, nil
	}
	return nil, &IncompleteError{Step: "choosing an instance", Err: fmt.Errorf("the image index has no instance for %s", want)}
}

func (v *Verifier) platform() v1.Platform {
	p := v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	if v.opts.Platform != "" {
		if parsed, err := v1.ParsePlatform(v.opts.Platform); err == nil {
			p = *parsed
		}
	}
	return p
}

func platformMatches(have *v1.Platform, want v1.Platform) bool {
	return have.OS == want.OS && have.Architecture == want.Architecture && (want.Variant == "" || have.Variant == want.Variant)
}

// authenticator picks credentials: --creds, --authfile, then the usual
// containers and docker auth files.
func (v *Verifier) authenticator(registry string, useCreds bool) (authn.Authenticator, error) {
	if v.opts.Creds != "" && useCreds {
		user, pass, ok := strings.Cut(v.opts.Creds, ":")
		if !ok {
			return nil, errors.New("--creds must be USER:PASSWORD")
		}
		return &authn.Basic{Username: user, Password: pass}, nil
	}
	files := []string{}
	if v.opts.AuthFile != "" {
		files = append(files, v.opts.AuthFile)
	} else {
		if x := os.Getenv("REGISTRY_AUTH_FILE"); x != "" {
			files = append(files, x)
		}
		if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
			files = append(files, filepath.Join(x, "containers", "auth.json"))
		}
		if home, err := os.UserHomeDir(); err == nil {
			files = append(files, filepath.Join(home, ".config", "containers", "auth.json"), filepath.Join(home, ".docker", "config.json"))
		}
	}
	for _, f := range files {
		data, err := v.opts.Paths.FS().ReadFile(f, nodefs.AuthFile)
		if err != nil {
			if f == v.opts.AuthFile {
				return nil, fmt.Errorf("--authfile: %w", err)
			}
			continue
		}
		var cfg struct {
			Auths map[string]struct {
				Auth string `json:"auth"`
			} `json:"auths"`
		}
		if err := json.Unmarshal(data, &cfg); err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		for host, a := range cfg.Auths {
			h := strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://")
			if strings.TrimSuffix(h, "/v1/") == registry || strings.TrimSuffix(h, "/") == registry {
				raw, err := base64.StdEncoding.DecodeString(a.Auth)
				if err != nil {
					return nil, fmt.Errorf("reading %s: %w", f, err)
				}
				user, pass, _ := strings.Cut(string(raw), ":")
				return &authn.Basic{Username: user, Password: pass}, nil
			}
		}
	}
	return authn.Anonymous, nil
}

// sigSource is one signature as found: where, and the blob or the error.
type sigSource struct {
	Where string
	Blob  []byte
	// Raw blobs come from the registry's signature API: simple signing,
	// without the envelope the look-aside and dir: blobs have.
	Raw bool
}

// unwrap is envelope for blobs that have one.
func (s sigSource) unwrap() (data []byte, simple bool, err error) {
	if s.Raw {
		return s.Blob, true, nil
	}
	return envelope(s.Blob)
}

// parseError is the error the runtime's signature reader fails with on
// the first blob it cannot parse (internal/signature.FromBlob), if any.
func (s signatures) parseError() error {
	for _, src := range s.lookaside {
		if _, _, err := src.unwrap(); err != nil {
			return fmt.Errorf("parsing signature %s: %w", src.Where, err)
		}
	}
	return nil
}

// lookasideSignatures reads signature-1, -2, … from the look-aside base,
// stopping at the first that does not exist, as the runtime does. The
// first two are fetched together, which saves a round trip for the usual
// signed image without changing the outcome.
func (v *Verifier) lookasideSignatures(ctx context.Context, base string, img *Image, d digest.Digest, tr *countingTransport) ([]sigSource, error) {
	client := &http.Client{Transport: tr, Timeout: v.opts.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			// Go's default limit, which the runtime's client keeps.
			if len(via) >= 10 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to %s is not allowed", req.URL.Scheme)
			}
			return nil
		}}
	get := func(n int) (sigSource, bool, error) {
		u, err := policyio.SignatureURL(base, img.Named, d, n)
		if err != nil {
			return sigSource{}, false, err
		}
		return v.getOne(ctx, client, u)
	}
	var out []sigSource
	type res struct {
		s     sigSource
		found bool
		err   error
	}
	var first, second res
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); first.s, first.found, first.err = get(1) }()
	go func() { defer wg.Done(); second.s, second.found, second.err = get(2) }()
	wg.Wait()
	for _, r := range []res{first, second} {
		if r.err != nil {
			return out, r.err
		}
		if !r.found {
			return out, nil
		}
		out = append(out, r.s)
		if _, _, err := r.s.unwrap(); err != nil {
			return out, nil // the runtime stops reading at a blob it cannot parse
		}
	}
	for n := 3; ; n++ {
		s, found, err := get(n)
		if err != nil {
			return out, err
		}
		if !found {
			return out, nil
		}
		if n >= MaxSignatures {
			// 127 signatures are fine; the pull fails only when
			// signature-128 exists.
			return out, &pullFailedError{Step: "reading look-aside signatures", Err: fmt.Errorf("too many signatures (the runtime fails when signature-%d exists)", MaxSignatures)}
		}
		out = append(out, s)
		if _, _, err := s.unwrap(); err != nil {
			return out, nil
		}
	}
}

func (v *Verifier) getOne(ctx context.Context, client *http.Client, u string) (sigSource, bool, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return sigSource{}, false, err
	}
	switch parsed.Scheme {
	case "file":
		data, err := v.opts.Paths.FS().ReadFile(v.opts.Paths.Host(parsed.Path), nodefs.Signature)
		if errors.Is(err, fs.ErrNotExist) {
			return sigSource{}, false, nil
		}
		if err != nil {
			return sigSource{}, false, &IncompleteError{Step: "reading " + u, Err: err}
		}
		return sigSource{Where: u, Blob: data}, true, nil
	case "http", "https":
	default:
		return sigSource{}, false, &unreadableLookasideError{URL: u}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return sigSource{}, false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return sigSource{}, false, &IncompleteError{Step: "reading " + u, Err: err}
	}
	defer func() {
		// Read what is left of a small body (a 404 page) so that the
		// connection goes back to the pool: closed unread, it is dropped.
		io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		resp.Body.Close()
	}()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return sigSource{}, false, nil
	default:
		return sigSource{}, false, statusError("reading "+u, resp.StatusCode, ": the runtime fails the pull")
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxSignatureSize+1))
	if err != nil {
		return sigSource{}, false, &IncompleteError{Step: "reading " + u, Err: err}
	}
	if len(data) > MaxSignatureSize {
		return sigSource{}, false, &pullFailedError{Step: "reading " + u, Err: fmt.Errorf("signature larger than %d bytes", MaxSignatureSize)}
	}
	return sigSource{Where: u, Blob: data}, true, nil
}

// drainLimit is how much of an unwanted body is read to keep its
// connection; a larger one costs more than a new connection.
const drainLimit = 64 << 10

// dirManifestAndSignatures reads a dir: image: manifest.json and
// signature-1, -2, … until the first missing one.
func dirManifestAndSignatures(img *Image) (*manifest, []sigSource, error) {
	// dir: images are named by the admin: read as this machine sees them,
	// bounded like the registry's manifests and signatures.
	raw, err := nodefs.FS{}.ReadFile(filepath.Join(img.Dir, "manifest.json"), nodefs.Manifest)
	if err != nil {
		return nil, nil, &IncompleteError{Step: "reading the manifest", Err: err}
	}
	m := &manifest{Raw: raw, Digest: digest.FromBytes(raw)}
	var sigs []sigSource
	for n := 1; ; n++ {
		p := filepath.Join(img.Dir, fmt.Sprintf("signature-%d", n))
		if n > nodefs.MaxSignatures {
			if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
				return m, sigs, nil
			}
			return m, sigs, &IncompleteError{Step: "reading " + img.Dir, Err: fmt.Errorf("too many signatures (more than %d, the most the runtime reads from a look-aside)", nodefs.MaxSignatures)}
		}
		data, err := nodefs.FS{}.ReadFile(p, nodefs.Signature)
		if errors.Is(err, fs.ErrNotExist) {
			return m, sigs, nil
		}
		if err != nil {
			return m, sigs, &IncompleteError{Step: "reading " + p, Err: err}
		}
		sigs = append(sigs, sigSource{Where: p, Blob: data})
	}
}

// envelope unwraps a signature blob as internal/signature.FromBlob does:
// OpenPGP data is simple signing; the 0x00 envelope names a format; the
// rest (armored or cleartext text in particular) is refused. sigstore
// signatures are skipped (ok=false, no error): signedBy ignores them.
func envelope(blob []byte) (data []byte, ok bool, err error) {
	if len(blob) == 0 {
		return nil, false, errors.New("empty signature blob")
	}
	switch blob[0] {
	case 0xA0, 0xA1, 0xA2, 0xA3, 0xC8, 0x90, 0x91, 0x92, 0x3D, 0xC4, 0x88, 0x89, 0x8A, 0x8B, 0xC2:
		return blob, true, nil
	case 0x00:
		nl := bytes.IndexByte(blob, '\n')
		if nl < 0 {
			return nil, false, errors.New("invalid signature format, missing newline")
		}
		format := blob[1:nl]
		for _, c := range format {
			if c < 32 || c > 126 {
				return nil, false, fmt.Errorf("invalid signature format, non-ASCII byte %#x", c)
			}
		}
		switch string(format) {
		case "simple-signing":
			return blob[nl+1:], true, nil
		case "sigstore-json":
			// The runtime decodes it while reading, so bad JSON fails the
			// read for every requirement.
			if _, err := parseSigstoreJSON(blob[nl+1:]); err != nil {
				return nil, false, err
			}
			return blob[nl+1:], false, nil
		}
		return nil, false, fmt.Errorf("unrecognized signature format %q", format)
	}
	return nil, false, fmt.Errorf("unrecognized signature format, starting with binary %#x", blob[0])
}
