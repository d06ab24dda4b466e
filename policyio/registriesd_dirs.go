package policyio

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/runtimever"
)

// Where CRI-O (root, HOME=/root) finds registries.d besides /etc
// (registries-d.md §1): the user directory, and from v5.40 the rootful
// and vendor directories.
const (
	rootUserRegistriesD    = "/root/.config/containers/registries.d"
	rootfulRegistriesD     = "/etc/containers/registries.rootful.d"
	vendorRootfulRegistryD = "/usr/share/containers/registries.rootful.d"
	vendorRegistriesD      = "/usr/share/containers/registries.d"
)

// CheckRegistriesDirs reports the registries.d directories the node's
// runtime reads instead of, or on top of, /etc/containers/registries.d,
// by its containers/image release (runtimever.RegistriesDMasking):
//   - before v5.40 (docker/registries_d.go: registriesDirPathWithHomeDir)
//     one directory only: root's ~/.config/containers/registries.d when
//     it exists, and then /etc is ignored entirely;
//   - from v5.40 (storage/pkg/configfile via loadRegistryConfiguration)
//     every directory, highest first: user, registries.rootful.d, /etc,
//     then /usr/share; a file name in a higher one masks the same name
//     below.
//
// Nothing is said when imgtrust was pointed at another directory
// (--registries.d): the runtime is then told it explicitly too.
func CheckRegistriesDirs(paths node.Paths, lib runtimever.Library) model.Diagnostics {
	if paths.RegistriesD != paths.Host(node.DefaultRegistriesD) {
		return nil
	}
	nfs := paths.FS()
	yamls := func(nodeDir string) []string {
		files, _ := nfs.Glob(paths.Host(nodeDir), "*.yaml")
		var names []string
		for _, f := range files {
			if st, err := nfs.Stat(f); err == nil && !st.IsDir() {
				names = append(names, filepath.Base(f))
			}
		}
		return names
	}
	exists := func(nodeDir string) bool {
		st, err := nfs.Stat(paths.Host(nodeDir))
		return err == nil && st.IsDir()
	}
	if !lib.Has(runtimever.RegistriesDMasking) {
		if !exists(rootUserRegistriesD) {
			return nil
		}
		return model.Diagnostics{{
			Severity: model.Warning, Code: "registriesd-user-dir", Pos: model.Pos{File: paths.Host(rootUserRegistriesD)},
			Message: fmt.Sprintf("%s exists: CRI-O (%s; before v5.40 one directory is read) uses it and ignores %s entirely", rootUserRegistriesD, lib.Basis, node.DefaultRegistriesD),
			Fix:     fmt.Sprintf("move its files into %s and remove the directory, or edit it with imgtrust --registries.d %s", node.DefaultRegistriesD, paths.Host(rootUserRegistriesD)),
		}}
	}
	mine := yamls(node.DefaultRegistriesD)
	var out model.Diagnostics
	for _, higher := range []string{rootUserRegistriesD, rootfulRegistriesD} {
		for _, name := range yamls(higher) {
			masked := false
			for _, m := range mine {
				masked = masked || m == name
			}
			if masked {
				out = append(out, model.Diagnostic{
					Severity: model.Warning, Code: "registriesd-masked", Pos: model.Pos{File: paths.Host(filepath.Join(node.DefaultRegistriesD, name))},
					Message: fmt.Sprintf("%s/%s masks this file: the runtime (%s) reads that one instead", higher, name, lib.Basis),
					Fix:     "edit or remove " + filepath.Join(higher, name),
				})
			}
		}
	}
	// Highest first; a name already seen is masked and not read again.
	seen := map[string]bool{}
	for _, dir := range []string{rootUserRegistriesD, rootfulRegistriesD, node.DefaultRegistriesD, vendorRootfulRegistryD, vendorRegistriesD} {
		var names []string
		for _, n := range yamls(dir) {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		if other := dir; other != node.DefaultRegistriesD && len(names) > 0 {
			out = append(out, model.Diagnostic{
				Severity: model.Info, Code: "registriesd-other-dir", Pos: model.Pos{File: paths.Host(other)},
				Message: fmt.Sprintf("the runtime (%s) also reads %s: %s", lib.Basis, other, strings.Join(names, ", ")),
				Fix:     "imgtrust shows and edits only " + node.DefaultRegistriesD,
			})
		}
	}
	return out
}
