package policyio

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/kios/imgtrust/gpg/secretscan"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs"
)

// KeyInspector looks inside key material (the gpg package provides one);
// label names the source in messages and pos is where it is referenced.
type KeyInspector func(label string, pos model.Pos, data []byte) model.Diagnostics

// CheckKeyFiles reports key references of signedBy rules that the runtime
// cannot use: relative paths, files that are missing or unreadable, and —
// through inspect — content that holds no usable public key.
func CheckKeyFiles(p *model.Policy, paths node.Paths, inspect KeyInspector) model.Diagnostics {
	return CheckKeyFilesWith(p, paths, inspect, nil)
}

// CheckKeyFilesWith is CheckKeyFiles with the key files read through
// keys (nil: from disk): a change set checks the policy against the key
// files it stages, not only those on disk.
func CheckKeyFilesWith(p *model.Policy, paths node.Paths, inspect KeyInspector, keys KeyFiles) model.Diagnostics {
	if p == nil {
		return nil
	}
	// Private material inline is reported once, by field, whatever the
	// inspector would say about the rest of it.
	out := privateDiagnostics(p)
	// Large policies name the same few key files many times: read each once.
	type read struct {
		data []byte
		err  error
	}
	cache := map[string]read{}
	p.EachList(func(ref model.ScopeRef, _ model.Pos, reqs model.Requirements) {
		for i, r := range reqs {
			if r.Type != model.SignedBy && r.Type != model.SigstoreSigned {
				continue
			}
			inspect, missingFix := inspect, "import the public key: imgtrust keys import FILE (or fix the path)"
			refs := r.KeyRefs()
			if r.Type == model.SigstoreSigned {
				inspect, missingFix = inspectPEM, "copy the PEM file (e.g. cosign.pub) to this path on the node, or fix the path"
				refs = append(refs, sigstoreFiles(r)...)
			}
			for _, k := range refs {
				// Built for a diagnostic only: most key files are fine, and
				// a large policy names one in every scope (issue 15).
				tgt := func() *model.Target { return &model.Target{List: ref, Requirement: i, Field: k.Field} }
				pos := r.FieldPosition(k.Field)
				if pos.IsZero() {
					pos = r.Pos
				}
				if k.Inline() {
					if inspect != nil && len(k.Data) > 0 && secretscan.Find(k.Data) == "" {
						out = append(out, retarget(inspect(fmt.Sprintf("%s[%d].keyData", ref, i), pos, k.Data), tgt)...)
					}
					continue
				}
				if k.Path == "" {
					continue
				}
				if !filepath.IsAbs(k.Path) {
					out = append(out, model.Diagnostic{
						Severity: model.Warning, Code: "key-relative-path", Pos: pos, Target: tgt(),
						Message: fmt.Sprintf("key path %q is relative: the runtime resolves it against its own working directory", k.Path),
						Fix:     "use an absolute path such as /etc/gpg/" + filepath.Base(k.Path),
					})
					continue
				}
				// By the node path: it names one host path (Host is a pure
				// function of it), without joining it for every scope.
				got, ok := cache[k.Path]
				if !ok {
					if keys != nil {
						got.data, got.err = keys(k.Path)
					} else {
						got.data, got.err = paths.FS().ReadFile(paths.Host(k.Path), nodefs.KeyFile)
					}
					cache[k.Path] = got
				}
				data, err := got.data, got.err
				switch {
				case errors.Is(err, fs.ErrNotExist):
					out = append(out, model.Diagnostic{
						Severity: model.Error, Code: "key-missing", Pos: pos, Target: tgt(),
						Message: fmt.Sprintf("key file %s does not exist: every image this rule covers is rejected once it has a signature", k.Path),
						Fix:     missingFix,
						Runtime: fmt.Sprintf("open %s: no such file or directory", k.Path),
					})
				case err != nil:
					out = append(out, model.Diagnostic{
						Severity: model.Error, Code: "key-unreadable", Pos: pos, Target: tgt(),
						Message: fmt.Sprintf("key file %s cannot be read: %v", k.Path, err),
						Fix:     "make it readable by the runtime (mode 0644)",
					})
				case inspect != nil:
					out = append(out, retarget(inspect(k.Path, pos, data), tgt)...)
				}
			}
		}
	})
	return out
}

// sigstoreFiles are the other files a sigstoreSigned requirement reads:
// Rekor keys and certificate authorities. Their JSON key is the Field.
func sigstoreFiles(r *model.Requirement) []model.KeyRef {
	var out []model.KeyRef
	add := func(field, path string) {
		if path != "" {
			out = append(out, model.KeyRef{Field: field, Path: path})
		}
	}
	add("rekorPublicKeyPath", r.RekorPublicKeyPath)
	for i, p := range r.RekorPublicKeyPaths {
		out = append(out, model.KeyRef{Field: "rekorPublicKeyPaths", Index: i, Path: p})
	}
	if r.Fulcio != nil {
		add("fulcio", r.Fulcio.CAPath)
	}
	if r.PKI != nil {
		add("pki", r.PKI.CARootsPath)
		add("pki", r.PKI.CAIntermediatesPath)
	}
	return out
}

// inspectPEM checks what the runtime's sigstore code will parse: the
// first PEM block of a key file must be a public key, of a CA file a
// certificate.
func inspectPEM(label string, pos model.Pos, data []byte) model.Diagnostics {
	block, _ := pem.Decode(data)
	var problem string
	switch {
	case secretscan.Find(data) != "":
		// Anywhere in the file, not only its first block: a node must not
		// hold the signing key.
		problem = "holds PRIVATE key material (" + secretscan.Find(data) + ")"
	case block == nil:
		problem = "is not PEM"
	case block.Type == "PUBLIC KEY":
		if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
			problem = "holds a public key that cannot be parsed: " + err.Error()
		}
	case block.Type == "RSA PUBLIC KEY":
		if _, err := x509.ParsePKCS1PublicKey(block.Bytes); err != nil {
			problem = "holds a public key that cannot be parsed: " + err.Error()
		}
	case block.Type == "CERTIFICATE":
	default:
		problem = fmt.Sprintf("holds a %q block, not a public key or certificate", block.Type)
	}
	if problem == "" {
		return nil
	}
	return model.Diagnostics{{Severity: model.Error, Code: "sigstore-key-invalid", Pos: pos,
		Message: fmt.Sprintf("%s %s: the runtime rejects every sigstore signature this rule sees", label, problem),
		Fix:     "use the PEM public key cosign wrote (cosign.pub), or the CA certificate bundle"}}
}

func retarget(ds model.Diagnostics, tgt func() *model.Target) model.Diagnostics {
	var t *model.Target
	for i := range ds {
		if ds[i].Target == nil {
			if t == nil {
				t = tgt()
			}
			ds[i].Target = t
		}
	}
	return ds
}
