package node

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"github.com/BurntSushi/toml"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
)

// Node paths CRI-O and containers-storage use (cri-o-and-tools.md §1).
const (
	CrioConf             = "/etc/crio/crio.conf"
	CrioConfD            = "/etc/crio/crio.conf.d"
	DefaultPolicyDir     = "/etc/crio/policies"
	RootUserPolicy       = "/root/.config/containers/policy.json"
	StorageImagesJSON    = "/var/lib/containers/storage/overlay-images/images.json"
	DefaultPauseImage    = "registry.k8s.io/pause:3.10"
	crioConfSectionImage = "crio.image"
)

// CrioImageConfig is the part of crio.conf that decides which policy a
// pull uses, and the pause image every pod needs.
type CrioImageConfig struct {
	PauseImage         string `toml:"pause_image"`
	SignaturePolicy    string `toml:"signature_policy"`
	SignaturePolicyDir string `toml:"signature_policy_dir"`
	// ShortNameMode is short_name_mode as written ("" when unset: CRI-O
	// then enforces, pkg/config SetSystemContext).
	ShortNameMode string `toml:"short_name_mode"`
	// Sources lists the files read, in order (drop-ins override).
	Sources []string `toml:"-"`
}

type crioConfFile struct {
	Crio struct {
		Image struct {
			PauseImage         *string `toml:"pause_image"`
			SignaturePolicy    *string `toml:"signature_policy"`
			SignaturePolicyDir *string `toml:"signature_policy_dir"`
			ShortNameMode      *string `toml:"short_name_mode"`
		} `toml:"image"`
	} `toml:"crio"`
}

// ReadCrioConfig reads crio.conf and its drop-ins under the root, later
// files overriding earlier ones as CRI-O does. Missing files give CRI-O's
// defaults; a file that cannot be parsed is an error naming it.
func ReadCrioConfig(paths Paths) (CrioImageConfig, error) {
	cfg := CrioImageConfig{PauseImage: DefaultPauseImage, SignaturePolicyDir: DefaultPolicyDir}
	node := paths.FS()
	files := []string{paths.Host(CrioConf)}
	dropins, err := node.Glob(paths.Host(CrioConfD), "*.conf")
	if err != nil {
		return cfg, err
	}
	sort.Strings(dropins)
	files = append(files, dropins...)
	for _, f := range files {
		data, err := node.ReadFile(f, nodefs.CrioConf)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return cfg, err
		}
		var c crioConfFile
		if err := decodeTOML(data, &c); err != nil {
			return cfg, fmt.Errorf("reading %s: %w", f, err)
		}
		cfg.Sources = append(cfg.Sources, f)
		if v := c.Crio.Image.PauseImage; v != nil && *v != "" {
			cfg.PauseImage = *v
		}
		if v := c.Crio.Image.SignaturePolicy; v != nil {
			cfg.SignaturePolicy = *v
		}
		if v := c.Crio.Image.SignaturePolicyDir; v != nil && *v != "" {
			cfg.SignaturePolicyDir = *v
		}
		if v := c.Crio.Image.ShortNameMode; v != nil {
			cfg.ShortNameMode = *v
		}
	}
	return cfg, nil
}

// NodeDiagnostics reports node facts that change which policy CRI-O
// actually uses, so that an admin does not edit a file the runtime
// ignores.
func NodeDiagnostics(paths Paths) model.Diagnostics {
	var out model.Diagnostics
	cfg, err := ReadCrioConfig(paths)
	if err != nil {
		out = append(out, model.Diagnostic{Severity: model.Warning, Code: "crio-conf-unreadable", Message: err.Error(),
			Fix: "imgtrust cannot tell which policy CRI-O uses; check crio.conf"})
	}
	if cfg.SignaturePolicy != "" && paths.Host(cfg.SignaturePolicy) != paths.Policy {
		out = append(out, model.Diagnostic{
			Severity: model.Warning, Code: "crio-signature-policy", Pos: model.Pos{File: lastOr(cfg.Sources, paths.Host(CrioConf))},
			Message: fmt.Sprintf("CRI-O is configured with signature_policy = %q: it does not read %s", cfg.SignaturePolicy, paths.Node(paths.Policy)),
			Fix:     fmt.Sprintf("edit that file instead: imgtrust --policy %s", paths.Host(cfg.SignaturePolicy)),
		})
	}
	if _, err := paths.FS().Stat(paths.Host(RootUserPolicy)); err == nil && paths.Policy == paths.Host(DefaultPolicyPath) {
		out = append(out, model.Diagnostic{
			Severity: model.Warning, Code: "root-user-policy", Pos: model.Pos{File: paths.Host(RootUserPolicy)},
			Message: fmt.Sprintf("%s exists: CRI-O reads it first and ignores %s (every containers/image release reads the user's file before /etc)", RootUserPolicy, DefaultPolicyPath),
			Fix:     "remove it, or edit it with imgtrust --policy " + paths.Host(RootUserPolicy),
		})
	}
	if ns, _ := paths.FS().Glob(paths.Host(cfg.SignaturePolicyDir), "*.json"); len(ns) > 0 {
		out = append(out, model.Diagnostic{
			Severity: model.Info, Code: "namespace-policies", Pos: model.Pos{File: paths.Host(cfg.SignaturePolicyDir)},
			Message: fmt.Sprintf("%d per-namespace policies in %s replace this policy entirely for pods in those namespaces", len(ns), cfg.SignaturePolicyDir),
			Fix:     "lint checks each against this policy; imgtrust show lists them; imgtrust verify --namespace NS checks an image for a pod there",
		})
	}
	return out
}

func lastOr(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return list[len(list)-1]
}

// NodeImages lists the image references the node already uses: the pause
// image first, then every name in containers-storage's image list. The
// setup wizard checks each against a new policy before it is saved.
func NodeImages(paths Paths) ([]string, error) {
	imgs, err := ReadNodeImages(paths)
	out := make([]string, 0, len(imgs))
	for _, img := range imgs {
		if img.Role != RoleContainer {
			out = append(out, img.Ref)
		}
	}
	return out, err
}

// StorageContainersJSON is containers-storage's list of containers; CRI-O
// records each container's image name in its metadata.
const StorageContainersJSON = "/var/lib/containers/storage/overlay-containers/containers.json"

// Roles of a node image: why the node depends on it.
const (
	RolePause     = "pause"
	RoleStored    = "stored"
	RoleContainer = "container"
)

// NodeImage is one image reference the node depends on.
type NodeImage struct {
	Ref string `json:"ref"`
	// Role is RolePause, RoleOwn, RoleStored or RoleContainer (an image only an
	// existing container names).
	Role string `json:"role"`
	// Source is the host path the reference was read from; "" for CRI-O's
	// default pause image.
	Source string `json:"source"`
}

// ReadNodeImages lists the images the node depends on, each once: the
// pause image (crio.conf and its drop-ins), the names in
// containers-storage's image list, then the images of existing containers
// that the list does not name. It returns what it could read with the
// first error met.
func ReadNodeImages(paths Paths) ([]NodeImage, error) {
	cfg, firstErr := ReadCrioConfig(paths)
	keep := func(err error) {
		if firstErr == nil && err != nil {
			firstErr = err
		}
	}
	// The pause image's source is the last crio.conf file that could set
	// it; none means CRI-O's built-in default.
	images := []NodeImage{{Ref: cfg.PauseImage, Role: RolePause, Source: lastOr(cfg.Sources, "")}}
	seen := map[string]bool{cfg.PauseImage: true}
	add := func(ref, role, src string) {
		if ref != "" && !seen[ref] {
			seen[ref] = true
			images = append(images, NodeImage{Ref: ref, Role: role, Source: src})
		}
	}
	imagesFile := paths.Host(StorageImagesJSON)
	byID := map[string][]string{}
	keep(ScanStorageFile(paths, imagesFile, nodefs.ImageList, "image list", func(img StorageRecord) bool {
		byID[img.ID] = img.Names
		for _, n := range img.Names {
			add(n, RoleStored, imagesFile)
		}
		return true
	}))
	// Of a container: CRI-O's name of its image, else its image's id.
	type container struct{ imageName, image string }
	var containers []container
	containersFile := paths.Host(StorageContainersJSON)
	keep(ScanStorageFile(paths, containersFile, nodefs.ImageList, "containers list", func(c StorageRecord) bool {
		containers = append(containers, container{c.CrioMetadata().ImageName, c.Image})
		return true
	}))
	// imgtrust's own image, when found: marked as such even when it is
	// also stored, because locking it out is refused like the pause image.
	if own, err := FindOwnImageHere(paths); err != nil {
		keep(err)
	} else if own.Ref != "" {
		if seen[own.Ref] {
			for i := range images {
				if images[i].Ref == own.Ref && images[i].Role != RolePause {
					images[i].Role, images[i].Source = RoleOwn, own.Source
				}
			}
		} else {
			add(own.Ref, RoleOwn, own.Source)
		}
	}
	for _, c := range containers {
		// CRI-O's container metadata names the image as pulled; an
		// image whose name was since removed is still known by it.
		if c.imageName != "" {
			add(c.imageName, RoleContainer, containersFile)
			continue
		}
		for _, n := range byID[c.image] {
			add(n, RoleContainer, containersFile)
		}
	}
	return images, firstErr
}

// maxNesting bounds how deep crio.conf may nest (the image lists are
// streamed, under encoding/json's own depth limit). Real
// files nest three or four levels; the decoders recurse once per level,
// so a crafted file a million levels deep would exhaust the stack.
const maxNesting = 100

// decodeTOML decodes crio.conf after checking its nesting depth.
func decodeTOML(data []byte, v any) error {
	if nestingTooDeep(data, maxNesting) {
		return fmt.Errorf("nested more than %d levels deep", maxNesting)
	}
	_, err := toml.Decode(string(data), v)
	return err
}

// nestingTooDeep reports whether brackets or braces nest deeper than max
// anywhere in data. It counts every bracket, also inside strings and
// comments, so it may overcount, never undercount: a real configuration
// stays far below max either way.
func nestingTooDeep(data []byte, max int) bool {
	depth := 0
	for _, c := range data {
		switch c {
		case '[', '{':
			depth++
			if depth > max {
				return true
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return false
}
