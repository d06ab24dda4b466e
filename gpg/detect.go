package gpg

import (
	"debug/buildinfo"
	"runtime/debug"

	"fmt"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/runtimever"
	"path/filepath"
	"strings"

	"golang.org/x/mod/semver"
)

// Detection says which mechanism the node's runtime uses and how we know.
type Detection struct {
	Mechanism Mechanism `json:"mechanism"`
	Binary    string    `json:"binary,omitempty"`
	// ImageVersion is the containers/image module version linked into the
	// runtime binary, "" when unknown.
	ImageVersion string `json:"image_version,omitempty"`
	Reason       string `json:"reason"`
}

// Library is the containers/image release the runtime links, or the one
// assumed when its binary does not say: v5.41 for openpgp-gocrypto (the
// first release with it), else what kiOS's CRI-O vendors.
func (d Detection) Library() runtimever.Library {
	if v := d.ImageVersion; semver.IsValid(v) {
		from := d.Binary
		if from == "" {
			from = "the runtime binary"
		}
		return runtimever.Known(v, from)
	}
	if d.Mechanism == MechGoCrypto {
		return runtimever.Assume("v5.41.0", "openpgp-gocrypto is in v5.41 and later")
	}
	return runtimever.Assume(runtimever.DefaultAssumed, "no runtime binary with build information; CRI-O main vendors "+runtimever.DefaultAssumed)
}

// SkipsYAMLDirectories says whether the runtime's registries.d reader
// skips a directory named *.yaml (containers/image v5.41 and later) or
// fails on it (older), and what that rests on.
func (d Detection) SkipsYAMLDirectories() (bool, string) {
	lib := d.Library()
	return lib.Has(runtimever.RegistriesDYAMLDirs), lib.Basis
}

// runtimeBinaries are where kiOS and distributions put CRI-O and Podman.
var runtimeBinaries = []string{"/bin/crio", "/usr/bin/crio", "/usr/local/bin/crio", "/usr/bin/podman", "/usr/local/bin/podman"}

// imageModules are the module paths containers/image has had.
var imageModules = []string{"go.podman.io/image/v5", "github.com/containers/image/v5"}

// DetectMechanism reads the Go build information of the node's runtime
// binary under root. It never fails: without a readable binary it falls
// back to openpgp-xcrypto (kiOS's build) and says so.
func DetectMechanism(root string) Detection {
	node := nodefs.New(root)
	for _, b := range runtimeBinaries {
		info, err := readBuildInfo(node, filepath.Join(root, b))
		if err != nil {
			continue
		}
		tags := ""
		for _, s := range info.Settings {
			if s.Key == "-tags" {
				tags = s.Value
			}
		}
		version := ""
		for _, d := range info.Deps {
			for _, m := range imageModules {
				if d.Path == m {
					version = d.Version
					if d.Replace != nil && d.Replace.Version != "" {
						version = d.Replace.Version
					}
				}
			}
		}
		d := decideMechanism(tags, version)
		d.Binary, d.ImageVersion = b, version
		return d
	}
	return Detection{Mechanism: MechXCrypto, Reason: "no runtime binary with Go build information found under the root; assuming kiOS's CRI-O (containers_image_openpgp, x/crypto)"}
}

// decideMechanism maps build tags and the containers/image version to the
// mechanism compiled in.
func decideMechanism(tags, imageVersion string) Detection {
	hasTag := false
	for _, t := range strings.FieldsFunc(tags, func(r rune) bool { return r == ',' || r == ' ' }) {
		if t == "containers_image_openpgp" {
			hasTag = true
		}
	}
	if !hasTag {
		return Detection{Mechanism: MechGPGME, Reason: fmt.Sprintf("built without containers_image_openpgp (image %s): GnuPG through gpgme", orUnknown(imageVersion))}
	}
	if imageVersion != "" && semver.IsValid(imageVersion) && semver.Compare(semver.MajorMinor(imageVersion), "v5.40") > 0 {
		return Detection{Mechanism: MechGoCrypto, Reason: fmt.Sprintf("containers_image_openpgp with image %s (after v5.40): ProtonMail/go-crypto", imageVersion)}
	}
	return Detection{Mechanism: MechXCrypto, Reason: fmt.Sprintf("containers_image_openpgp with image %s (up to v5.40): frozen x/crypto/openpgp", orUnknown(imageVersion))}
}

func orUnknown(v string) string {
	if v == "" {
		return "version unknown"
	}
	return v
}

// readBuildInfo reads the Go build information of a binary of the node,
// resolved inside its root (/usr/bin/crio is often a link) and opened as
// a regular file only.
func readBuildInfo(node nodefs.FS, host string) (*debug.BuildInfo, error) {
	f, err := node.Open(host, nodefs.RuntimeBinary)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return buildinfo.Read(f)
}
