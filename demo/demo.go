package demo

import (
	"context"
	"errors"
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Node paths of the files the demo writes (under Root).
const (
	PolicyPath      = "/etc/containers/policy.json"
	RegistriesDPath = "/etc/containers/registries.d"
	KeysDir         = "/etc/gpg"
	TrustedKeyPath  = "/etc/gpg/demo-signer.gpg"
	CrioConfPath    = "/etc/crio/crio.conf"
	RegistriesConf  = "/etc/containers/registries.conf"
	PauseImage      = "registry.k8s.io/pause:3.10"
)

// Signer makes a detached-look-aside simple-signing signature: the signed
// message claiming that the manifest with digest is identity.
type Signer interface {
	Sign(identity string, digest v1.Hash) ([]byte, error)
}

// Options configure Start.
type Options struct {
	// Dir is the scratch root. It must not exist or be empty; "" makes a
	// new temporary directory.
	Dir string
	// Keep leaves Dir in place after Close.
	Keep bool
	// Trusted signs the images the policy should accept; its public key
	// (TrustedPublicKey) is written to TrustedKeyPath. Unknown signs with a
	// key the node does not have; its public key is never written.
	Trusted, Unknown   Signer
	TrustedPublicKey   []byte
	TrustedDescription string
}

// Image is one demo image and what the demo policy does with it.
type Image struct {
	Ref      string // registry reference, host:port/repo:tag
	Digest   string // manifest digest
	Accepted bool   // verdict under the demo policy
	Story    string // one line: what it shows
}

// Demo is a running scratch node.
type Demo struct {
	Root         string
	Registry     string // host:port of the in-process registry
	LookasideURL string
	Images       []Image

	keep    bool
	servers []*http.Server
	wg      sync.WaitGroup
	closeMu sync.Mutex
	closed  bool
}

// Start creates the scratch root, starts the servers, pushes the images
// and publishes their signatures. On error everything started is stopped.
func Start(ctx context.Context, opt Options) (d *Demo, err error) {
	root, err := prepareRoot(opt.Dir)
	if err != nil {
		return nil, err
	}
	d = &Demo{Root: root, keep: opt.Keep}
	defer func() {
		if err != nil {
			_ = d.Close()
			d = nil
		}
	}()

	regLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return d, fmt.Errorf("demo registry: %w", err)
	}
	laLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		regLn.Close()
		return d, fmt.Errorf("demo look-aside server: %w", err)
	}
	d.Registry = regLn.Addr().String()
	d.LookasideURL = "http://" + laLn.Addr().String()
	d.serve(regLn, registry.New(registry.Logger(log.New(io.Discard, "", 0))))

	sigs := lookaside{}
	if d.Images, err = d.publish(ctx, opt, sigs); err != nil {
		laLn.Close()
		return d, err
	}
	d.serve(laLn, sigs)

	if err := d.writeRoot(opt); err != nil {
		return d, err
	}
	return d, nil
}

func prepareRoot(dir string) (string, error) {
	if dir == "" {
		return os.MkdirTemp("", "imgtrust-demo-")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("demo root %s: %w", dir, err)
	}
	entries, err := os.ReadDir(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return "", fmt.Errorf("demo root: %w", err)
		}
	case err != nil:
		return "", fmt.Errorf("demo root: %w", err)
	case len(entries) > 0:
		// Never write a scratch policy over someone's files.
		return "", fmt.Errorf("demo root %s is not empty: choose a new or empty directory", abs)
	}
	return abs, nil
}

func (d *Demo) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	d.servers = append(d.servers, srv)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		_ = srv.Serve(ln) // returns http.ErrServerClosed on Close
	}()
}

// Close stops both servers and waits until their goroutines are done,
// then removes the scratch root unless it is kept. Safe to call twice.
func (d *Demo) Close() error {
	d.closeMu.Lock()
	defer d.closeMu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	// Close, not Shutdown: a demo has no request worth finishing, and
	// Shutdown waits for connections a client opened but never used.
	var errs []error
	for _, srv := range d.servers {
		if err := srv.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	d.wg.Wait()
	if !d.keep && d.Root != "" {
		errs = append(errs, os.RemoveAll(d.Root))
	}
	return errors.Join(errs...)
}

// lookaside serves signatures at the paths containers/image asks for:
// /<repository path>@<algo>=<hex>/signature-<n>; anything else is 404,
// which the runtime reads as "no more signatures".
type lookaside map[string][]byte

func (l lookaside) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, ok := l[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(body)
}

func sigPath(repo string, digest v1.Hash, n int) string {
	return fmt.Sprintf("/%s@%s=%s/signature-%d", repo, digest.Algorithm, digest.Hex, n)
}

// publish pushes one image per story and records its signatures.
func (d *Demo) publish(ctx context.Context, opt Options, sigs lookaside) ([]Image, error) {
	type story struct {
		repo     string
		signer   Signer
		identity string // "" = the image's own reference
		corrupt  bool
		accepted bool
		text     string
	}
	stories := []story{
		{repo: "demo/signed", signer: opt.Trusted, accepted: true,
			text: "signed by the trusted key: accepted"},
		{repo: "demo/unsigned",
			text: "no signature: rejected, the demo scope requires one"},
		{repo: "demo/unknown-key", signer: opt.Unknown,
			text: "signed by a key the node does not have: rejected"},
		{repo: "demo/other-repo", signer: opt.Trusted, identity: "demo/signed:v1",
			text: "a valid signature, but for demo/signed:v1: rejected (identity)"},
		{repo: "demo/corrupt", signer: opt.Trusted, corrupt: true,
			text: "signature bytes damaged in transit: rejected"},
		{repo: "open/tool", accepted: true,
			text: "outside the signed scope: accepted because the default accepts anything"},
	}
	var out []Image
	for i, s := range stories {
		ref := fmt.Sprintf("%s/%s:v1", d.Registry, s.repo)
		img, err := random.Image(256+int64(i), 1)
		if err != nil {
			return nil, fmt.Errorf("demo image %s: %w", ref, err)
		}
		tag, err := name.NewTag(ref, name.Insecure)
		if err != nil {
			return nil, fmt.Errorf("demo image %s: %w", ref, err)
		}
		if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
			return nil, fmt.Errorf("pushing demo image %s: %w", ref, err)
		}
		digest, err := img.Digest()
		if err != nil {
			return nil, fmt.Errorf("demo image %s: %w", ref, err)
		}
		story := s.text
		if s.signer != nil {
			identity := ref
			if s.identity != "" {
				identity = d.Registry + "/" + s.identity
			}
			sig, err := s.signer.Sign(identity, digest)
			if err != nil {
				return nil, fmt.Errorf("signing demo image %s: %w", ref, err)
			}
			if s.corrupt {
				sig = corrupt(sig)
			}
			sigs[sigPath(s.repo, digest, 1)] = sig
		} else if s.repo != "demo/unsigned" && s.repo != "open/tool" {
			// Tests may start the demo without keys: say so in the story.
			story += " [not signed: no signer given]"
			s.accepted = false
		}
		out = append(out, Image{Ref: ref, Digest: digest.String(), Accepted: s.accepted, Story: story})
	}
	return out, nil
}

// corrupt flips the last bytes of a signature: the OpenPGP packets still
// parse, the cryptographic check fails.
func corrupt(sig []byte) []byte {
	out := append([]byte(nil), sig...)
	for i := max(0, len(out)-8); i < len(out); i++ {
		out[i] ^= 0xff
	}
	return out
}

func (d *Demo) host(nodePath string) string {
	return filepath.Join(d.Root, filepath.FromSlash(strings.TrimPrefix(nodePath, "/")))
}

func (d *Demo) writeRoot(opt Options) error {
	// The default accepts anything (so the setup wizard is offered and
	// Problems has something to say), while the demo namespace is signed.
	// Laid out as imgtrust writes policy.json, so that the review of a
	// first edit shows that edit, not a re-indented file.
	policy := fmt.Sprintf(`{
  "default": [
    {
      "type": "insecureAcceptAnything"
    }
  ],
  "transports": {
    "docker": {
      %q: [
        {
          "type": "signedBy",
          "keyType": "GPGKeys",
          "keyPath": %q
        }
      ]
    }
  }
}
`, d.Registry+"/demo", TrustedKeyPath)
	registriesD := fmt.Sprintf("# Signatures of the demo registry are on the demo look-aside server.\ndocker:\n  %s:\n    lookaside: %s\n",
		d.Registry, d.LookasideURL)
	registriesConf := fmt.Sprintf("# The demo registry speaks plain HTTP on loopback.\n[[registry]]\nlocation = %q\ninsecure = true\n", d.Registry)
	crio := fmt.Sprintf("[crio.image]\npause_image = %q\n", PauseImage)

	files := []struct {
		path string
		data []byte
	}{
		{PolicyPath, []byte(policy)},
		{RegistriesDPath + "/demo.yaml", []byte(registriesD)},
		{RegistriesConf, []byte(registriesConf)},
		{CrioConfPath, []byte(crio)},
	}
	if len(opt.TrustedPublicKey) > 0 {
		files = append(files, struct {
			path string
			data []byte
		}{TrustedKeyPath, opt.TrustedPublicKey})
	} else if err := os.MkdirAll(d.host(KeysDir), 0o755); err != nil {
		return fmt.Errorf("demo root: %w", err)
	}
	for _, f := range files {
		p := d.host(f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("demo root: %w", err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return fmt.Errorf("demo root: %w", err)
		}
	}
	return nil
}

// Flags are the global flags that point imgtrust at the demo node.
func (d *Demo) Flags() string { return "--root " + d.Root }

// Summary lists the servers and images, one per line.
func (d *Demo) Summary(ascii bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scratch node  %s\n", d.Root)
	fmt.Fprintf(&b, "registry      %s (in-process, plain HTTP on loopback)\n", d.Registry)
	fmt.Fprintf(&b, "look-aside    %s\n", d.LookasideURL)
	fmt.Fprintf(&b, "images:\n")
	for _, im := range d.Images {
		mark := "✓"
		if ascii {
			mark = "+"
		}
		if !im.Accepted {
			mark = "✗"
			if ascii {
				mark = "x"
			}
		}
		fmt.Fprintf(&b, "  %s %s\n      %s\n", mark, im.Ref, im.Story)
	}
	return b.String()
}

// TourSteps are the things to try in the TUI, one sentence each; the TUI
// shows them on its Overview so they are still there after start-up.
func (d *Demo) TourSteps() []string {
	return []string{
		"1. Overview, Problems (6): what imgtrust says about the open default.",
		"2. Verify (5): each demo image (the up arrow recalls them), with the full trace.",
		"3. w: setup wizard; its impact check lists what would stop being pulled.",
		"4. Break a rule (keyPath to a missing file) and watch Problems.",
	}
}

// Tour is printed before the TUI opens: short lines, so that it and the
// image list fit an 80x24 console together.
func (d *Demo) Tour() string {
	var b strings.Builder
	b.WriteString("what to try:\n")
	for _, s := range d.TourSteps() {
		b.WriteString(wrapIndent(s, 78, "  ", "     ") + "\n")
	}
	return b.String()
}

// wrapIndent breaks s at spaces so no line is longer than width; the
// first line starts with first, the others with rest.
func wrapIndent(s string, width int, first, rest string) string {
	lines := strings.Split(ansi.Wordwrap(s, width-len(rest), ""), "\n")
	for i := range lines {
		if i == 0 {
			lines[i] = first + lines[i]
		} else {
			lines[i] = rest + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// Instructions are for --serve: how to use the servers from another
// terminal or a script.
func (d *Demo) Instructions() string {
	var b strings.Builder
	fmt.Fprintf(&b, "REGISTRY=%s\nLOOKASIDE=%s\nROOT=%s\n\n", d.Registry, d.LookasideURL, d.Root)
	fmt.Fprintf(&b, "# from another terminal:\n")
	fmt.Fprintf(&b, "imgtrust %s                       # the trust manager on the demo node\n", d.Flags())
	for _, im := range d.Images {
		fmt.Fprintf(&b, "imgtrust %s verify --tls-verify=false %s\n", d.Flags(), im.Ref)
	}
	fmt.Fprintf(&b, "imgtrust %s lint\n", d.Flags())
	return b.String()
}
