package policyio

import "github.com/kios/imgtrust/node"

// Temporary aliases while branches started before the move to package
// node land; removed once every caller names node directly.
type Paths = node.Paths

const (
	DefaultPolicyPath  = node.DefaultPolicyPath
	DefaultRegistriesD = node.DefaultRegistriesD
	DefaultKeysDir     = node.DefaultKeysDir
)

func NewPaths(root, policy, registriesD, keysDir string) Paths {
	return node.NewPaths(root, policy, registriesD, keysDir)
}
