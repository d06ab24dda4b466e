package node

import (
	"path/filepath"
	"strings"

	"github.com/kios/imgtrust/nodefs"
)

// Node defaults, as containers/image and the kiOS guide lay them out.
const (
	DefaultPolicyPath  = "/etc/containers/policy.json"
	DefaultRegistriesD = "/etc/containers/registries.d"
	DefaultKeysDir     = "/etc/gpg"
)

// Paths says where the node's files are. Root is the directory the node's
// "/" is mounted at (kiOS admins run imgtrust in a debug pod with the host
// at /host). Policy, RegistriesD and KeysDir are host paths, ready to open.
// Paths written inside policy.json are node paths; Host maps them.
type Paths struct {
	Root        string
	Policy      string
	RegistriesD string
	KeysDir     string
	// RegistriesConf is an explicit registries.conf (host path); "" reads
	// the node's (registriesconf.Load chooses it).
	RegistriesConf string
}

// NewPaths resolves the defaults under root. Empty overrides take the
// default; non-empty ones are used as given (they are host paths already).
func NewPaths(root, policy, registriesD, keysDir string) Paths {
	if root == "" {
		root = "/"
	}
	p := Paths{Root: filepath.Clean(root)}
	p.Policy = pick(policy, p.Host(DefaultPolicyPath))
	p.RegistriesD = pick(registriesD, p.Host(DefaultRegistriesD))
	p.KeysDir = pick(keysDir, p.Host(DefaultKeysDir))
	return p
}

func pick(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// Host maps a node path (as written in policy.json) to the path to open
// here. The runtime resolves a relative path against its own working
// directory, which imgtrust cannot know (lint warns about them): on this
// machine it is left alone; under a root it is taken from the node's
// "/" (a systemd service's working directory) so that it can never name
// a file of the machine imgtrust runs on.
func (p Paths) Host(nodePath string) string {
	if p.Root == "" || p.Root == "/" {
		return nodePath
	}
	if !filepath.IsAbs(nodePath) {
		nodePath = "/" + nodePath
	}
	// Clean first: the node's "/.." is "/", so a path in policy.json
	// cannot climb out of the root lexically either (symlinks are
	// resolved inside the root by nodefs).
	return filepath.Join(p.Root, filepath.Clean(nodePath))
}

// FS is the node's filesystem under Root: every read and write of a host
// path from Host goes through it, so that symlinks resolve as the node
// resolves them.
func (p Paths) FS() nodefs.FS { return nodefs.New(p.Root) }

// Node maps a host path back to the path the node sees, for writing into
// policy.json. A path outside the root is returned unchanged.
func (p Paths) Node(hostPath string) string {
	if p.Root == "" || p.Root == "/" {
		return hostPath
	}
	rel, err := filepath.Rel(p.Root, hostPath)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return hostPath
	}
	return "/" + filepath.ToSlash(rel)
}

// DefaultAuditLog is the node path of imgtrust's audit log: every write
// of a node file appends one entry there (safefile).
const DefaultAuditLog = "/var/log/imgtrust/audit.log"

// AuditLog is the host path of the audit log.
func (p Paths) AuditLog() string { return p.Host(DefaultAuditLog) }
