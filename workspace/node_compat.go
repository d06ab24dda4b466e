package workspace

import (
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
)

// Temporary aliases while branches started before the move to package
// node land; removed once every caller names node directly.
type (
	CrioImageConfig = node.CrioImageConfig
	NodeImage       = node.NodeImage
)

const (
	CrioConf              = node.CrioConf
	CrioConfD             = node.CrioConfD
	DefaultPolicyDir      = node.DefaultPolicyDir
	RootUserPolicy        = node.RootUserPolicy
	StorageImagesJSON     = node.StorageImagesJSON
	StorageContainersJSON = node.StorageContainersJSON
	DefaultPauseImage     = node.DefaultPauseImage
	RolePause             = node.RolePause
	RoleStored            = node.RoleStored
	RoleContainer         = node.RoleContainer
)

func ReadCrioConfig(p node.Paths) (CrioImageConfig, error) { return node.ReadCrioConfig(p) }
func NodeDiagnostics(p node.Paths) model.Diagnostics       { return node.NodeDiagnostics(p) }
func NodeImages(p node.Paths) ([]string, error)            { return node.NodeImages(p) }
func ReadNodeImages(p node.Paths) ([]NodeImage, error)     { return node.ReadNodeImages(p) }

// RoleOwn is node.RoleOwn (the image imgtrust runs in).
const RoleOwn = node.RoleOwn
