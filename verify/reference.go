package verify

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// Image is an image reference as the runtime sees it.
type Image struct {
	Transport string // docker or dir
	// Named is the normalised docker reference (nil for dir:).
	Named reference.Named
	// Dir is the resolved directory of a dir: image.
	Dir string
	// Identity is the policy identity; Namespaces the scopes tried next.
	Identity   string
	Namespaces []string
	Notes      []string
	// insecure and logical are set on the physical image a pull source
	// names: TLS is not verified for it (the endpoint's insecure), and
	// logical is the requested name it stands for.
	insecure bool
	logical  reference.Named
}

// UnsupportedError is an image reference in a transport imgtrust does not
// check yet.
type UnsupportedError struct{ Transport string }

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("transport %q is not supported yet: use docker:// (the default) or dir:", e.Transport)
}

// ParseImage parses "docker://ref", "ref" or "dir:/path" like the runtime.
func ParseImage(s string) (*Image, error) {
	if t, rest, ok := strings.Cut(s, ":"); ok && isTransportName(t) && !strings.Contains(t, ".") {
		switch t {
		case "docker":
			return parseDocker(strings.TrimPrefix(rest, "//"))
		case "dir":
			return parseDir(rest)
		}
		return nil, &UnsupportedError{Transport: t}
	}
	return parseDocker(s)
}

func isTransportName(t string) bool {
	for _, k := range model.KnownTransports {
		if k == t {
			return true
		}
	}
	return false
}

func parseDocker(s string) (*Image, error) {
	ref, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid image reference: %w", s, err)
	}
	img := &Image{Transport: model.TransportDocker}
	_, tagged := ref.(reference.Tagged)
	if d, digested := ref.(reference.Digested); digested && tagged {
		// CRI-O drops the tag of a tag+digest reference before pulling.
		ref, _ = reference.WithDigest(reference.TrimNamed(ref), d.Digest())
		img.Notes = append(img.Notes, "the reference has a tag and a digest: like CRI-O, the tag is dropped")
	}
	ref = reference.TagNameOnly(ref)
	if ref.String() != s {
		img.Notes = append(img.Notes, fmt.Sprintf("%s is %s in full", s, ref))
	}
	img.Named = ref
	img.Identity = policyio.DockerIdentity(ref)
	img.Namespaces = policyio.DockerScopeParents(img.Identity)
	return img, nil
}

func parseDir(path string) (*Image, error) {
	if path == "" {
		return nil, fmt.Errorf("dir: needs a directory path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("dir:%s: not a directory", path)
	}
	img := &Image{Transport: model.TransportDir, Dir: abs, Identity: abs}
	for p := filepath.Dir(abs); p != "/" && p != "."; p = filepath.Dir(p) {
		img.Namespaces = append(img.Namespaces, p)
	}
	return img, nil
}

// String names the image as the user should see it.
func (img *Image) String() string {
	if img.Named != nil {
		return img.Named.String()
	}
	return "dir:" + img.Dir
}

// ScopeTry is one scope looked up while choosing the requirements.
type ScopeTry struct {
	Scope   string `json:"scope"`
	Matched bool   `json:"matched"`
}

// Choice is the requirement list the runtime applies to an image.
type Choice struct {
	List         model.ScopeRef     `json:"list"`
	Pos          model.Pos          `json:"pos"`
	Requirements model.Requirements `json:"-"`
	Tried        []ScopeTry         `json:"tried"`
}

// ChooseRequirements follows requirementsForImageRef: the transport's
// section (identity, namespaces, "") and then the default.
func ChooseRequirements(p *model.Policy, img *Image) Choice {
	var c Choice
	if t := p.Transport(img.Transport); t != nil {
		for _, name := range append(append([]string{img.Identity}, img.Namespaces...), "") {
			s := t.Scope(name)
			c.Tried = append(c.Tried, ScopeTry{Scope: img.Transport + ":" + quoteEmpty(name), Matched: s != nil})
			if s != nil {
				c.List = model.ScopeRef{Transport: t.Name, Scope: name}
				c.Pos, c.Requirements = s.Pos, s.Requirements
				return c
			}
		}
	}
	c.Tried = append(c.Tried, ScopeTry{Scope: "default", Matched: true})
	c.List = model.ScopeRef{IsDefault: true}
	c.Pos, c.Requirements = p.DefaultPos, p.Default
	return c
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}
