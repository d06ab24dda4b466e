package policyio

import (
	"fmt"
	"path/filepath"

	"github.com/kios/imgtrust/model"
)

// CheckRequirement judges one requirement that a tool (the TUI's rule
// form) is about to write, without reading any file: the runtime parser's
// verdict on the requirement alone, exactly as ValidatePolicy gives it,
// plus rules that are only warnings in an existing file but that a tool
// must not write: every key, Rekor key and CA path must be absolute, since
// the runtime resolves a relative one against a working directory nobody
// knows (CheckKeyFiles reports it as key-relative-path), and a signedBy
// must name at least one key (no-keys).
//
// Each diagnostic's Target names requirement 0 of the default list and
// the requirement's JSON key in Field; Path ends in ".<key>.<subkey>" for
// a problem inside signedIdentity, baseLayerIdentity, fulcio or pki.
func CheckRequirement(r *model.Requirement) model.Diagnostics {
	if r == nil {
		return nil
	}
	var out model.Diagnostics
	for _, d := range ValidatePolicy(&model.Policy{Default: model.Requirements{r}}, "rule") {
		if d.Target == nil || d.Target.Requirement != 0 {
			continue
		}
		if d.Code == "no-keys" {
			// A signedBy that names no usable key rejects every signed
			// image: in a file it is a warning, a tool must not write it
			// (reject says that on purpose).
			d.Severity = model.Error
		}
		out = append(out, d)
	}
	refs := append(r.KeyRefs(), sigstoreFiles(r)...)
	for _, k := range refs {
		if k.Inline() || filepath.IsAbs(k.Path) {
			continue
		}
		out = append(out, model.Diagnostic{
			Severity: model.Error, Code: "key-relative-path", Path: "default[0]." + k.Field,
			Target:  &model.Target{List: model.ScopeRef{IsDefault: true}, Requirement: 0, Field: k.Field},
			Message: fmt.Sprintf("%q must be an absolute path: the runtime's working directory is unknown", k.Path),
			Fix:     "use an absolute path such as /etc/gpg/" + filepath.Base(k.Path),
		})
	}
	return out
}

// InspectPEM applies to data about to be embedded (keyData, caData,
// rekorPublicKeyData) the check CheckKeyFiles applies to the files a
// sigstoreSigned rule names.
func InspectPEM(label string, data []byte) model.Diagnostics {
	return inspectPEM(label, model.Pos{}, data)
}
