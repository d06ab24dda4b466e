package gpg

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/safefile"
)

// ImportOptions control Import.
type ImportOptions struct {
	// Name overrides the file name derived from the key.
	Name string
	// Force replaces a different file of the same name.
	Force    bool
	AuditLog string
	// DryRun decides everything and writes nothing: the result says where
	// the keys would go and what the file would hold (Data), so that the
	// caller can check what the change does to trust first.
	DryRun bool
}

// ImportResult says what Import did.
type ImportResult struct {
	Keys []KeyInfo `json:"keys"`
	// NodePath is the path to write into policy.json.
	NodePath string `json:"path"`
	// AlreadyIn is set when the keys were present already (in that node
	// path) and nothing was written.
	AlreadyIn string `json:"already_in,omitempty"`
	// Data is the content written (or, with DryRun, to be written) to
	// NodePath; nil when nothing is written.
	Data []byte `json:"-"`
}

// DuplicateError reports keys already imported under another file.
type DuplicateError struct {
	Fingerprint, File string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("key %s is already in %s; nothing was written", GroupFingerprint(e.Fingerprint), e.File)
}

// Import stores the public keys in data in the keys directory: binary (as
// containers/image reads them), atomically, mode 0644, under a name derived
// from the key. Private key material is refused and nothing is written.
func Import(data []byte, paths node.Paths, opt ImportOptions) (*ImportResult, error) {
	if opt.Name != "" {
		if err := checkFileName(opt.Name); err != nil {
			return nil, err
		}
	}
	kr, err := ParseKeyring(data)
	if err != nil {
		return nil, err
	}
	kr = kr.unique()
	inv, err := BuildInventory(paths, nil, MechGoCrypto, time.Now())
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Keys: kr.Keys}
	// Where each key already is; sorted so that messages are stable.
	var files []string
	present := 0
	for _, k := range kr.Keys {
		found := false
		for _, file := range sortedKeys(inv.Files) {
			if slices.Contains(inv.Files[file], k.Fingerprint) {
				found = true
				if !slices.Contains(files, file) {
					files = append(files, file)
				}
			}
		}
		if found {
			present++
		}
	}
	switch {
	case present == len(kr.Keys) && len(files) == 1:
		res.AlreadyIn, res.NodePath = files[0], files[0]
		return res, nil
	case present == len(kr.Keys):
		return nil, fmt.Errorf("these keys are already in %s; nothing was written (reference those files)", strings.Join(files, ", "))
	case present > 0:
		return nil, &DuplicateError{Fingerprint: kr.Keys[0].Fingerprint, File: files[0]}
	}
	name := opt.Name
	if name == "" {
		name = FileName(kr.Keys[0])
	}
	if err := checkFileName(name); err != nil {
		return nil, err
	}
	host := filepath.Join(paths.KeysDir, name)
	pub, err := kr.PublicBytes()
	if err != nil {
		return nil, err
	}
	expect := safefile.ExpectAbsent
	if opt.Force {
		expect = safefile.ExpectAny
	} else if _, err := paths.FS().Stat(host); err == nil {
		return nil, fmt.Errorf("%s exists and holds other keys; choose another --name, or replace it with --force (a backup is kept)", paths.Node(host))
	}
	if opt.DryRun {
		res.NodePath, res.Data = paths.Node(host), pub
		return res, nil
	}
	summary := fmt.Sprintf("import key %s (%s)", kr.Keys[0].Fingerprint, firstUID(kr.Keys[0]))
	backup := !holdsSecret(paths.FS(), host)
	if !backup {
		summary += " (no backup kept: the replaced file held private key material)"
	}
	// SetMode: key files must not be writable by others whatever the
	// umask or an existing file's mode was.
	if _, err := safefile.Write(host, pub, safefile.Options{ExpectSHA256: expect, Mode: 0o644, SetMode: true, Backup: backup, AuditLog: opt.AuditLog, Summary: summary, FS: paths.FS()}); err != nil {
		return nil, fmt.Errorf("writing %s: %w", host, err)
	}
	res.NodePath, res.Data = paths.Node(host), pub
	return res, nil
}

// checkFileName refuses key file names that are not a plain name in the
// keys directory, or that configuration readers would take for their own.
func checkFileName(name string) error {
	if strings.ContainsAny(name, "/\\") || name == "." || name == ".." || strings.HasPrefix(name, ".") {
		return fmt.Errorf("invalid key file name %q: give a plain file name such as release.gpg (no path separator, not hidden)", name)
	}
	lower := strings.ToLower(name)
	for _, ext := range []string{".json", ".yaml", ".yml"} {
		if strings.HasSuffix(lower, ext) {
			return fmt.Errorf("invalid key file name %q: a name ending in %s looks like a configuration file (policy.json, registries.d); name key files like release.gpg", name, ext)
		}
	}
	return nil
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func firstUID(k KeyInfo) string {
	if len(k.UserIDs) > 0 {
		return k.UserIDs[0]
	}
	return "no user ID"
}

var (
	emailRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`<([^>]+)>`) })
	unsafeRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^a-z0-9._-]+`) })
	repeatsRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`-{2,}`) })
)

// FileName derives a readable file name: the user ID's e-mail (or name)
// and the last 8 hex digits of the fingerprint, e.g.
// "release-example.com-23e8dd43.gpg".
func FileName(k KeyInfo) string {
	base := "key"
	if len(k.UserIDs) > 0 {
		uid := k.UserIDs[0]
		if m := emailRE().FindStringSubmatch(uid); m != nil {
			uid = m[1]
		}
		uid = strings.ReplaceAll(strings.ToLower(uid), "@", "-")
		uid = repeatsRE().ReplaceAllString(unsafeRE().ReplaceAllString(uid, "-"), "-")
		if uid = strings.Trim(uid, "-."); uid != "" {
			base = uid
		}
	}
	fpr := strings.ToLower(k.Fingerprint)
	return fmt.Sprintf("%s-%s.gpg", base, fpr[max(0, len(fpr)-8):])
}

// ReferencedError refuses to remove a key the policy still uses.
type ReferencedError struct {
	File   string
	UsedBy []string
}

func (e *ReferencedError) Error() string {
	return fmt.Sprintf("%s is still used by %s; remove those rules first, or pass --drop-references (rules left without a key then reject everything)",
		e.File, strings.Join(e.UsedBy, ", "))
}

// removeKeyFile deletes a key file from the keys directory, with a backup,
// unless the policy still references it. Unexported: a node's key is
// removed through the workspace's change set (its review, widening and
// impact checks); this stays for the tests of the rule it keeps.
func removeKeyFile(paths node.Paths, pol *model.Policy, nodePath, auditLog string) error {
	if used := referencesTo(pol, nodePath); len(used) > 0 {
		return &ReferencedError{File: nodePath, UsedBy: used}
	}
	host := paths.Host(nodePath)
	sum, err := safefile.HashIn(paths.FS(), host)
	if err != nil {
		return err
	}
	if sum == safefile.ExpectAbsent {
		return fmt.Errorf("%s: %w", nodePath, ErrNotFound)
	}
	summary, backup := "remove key file "+nodePath, !holdsSecret(paths.FS(), host)
	if !backup {
		summary += " (no backup kept: it held private key material)"
	}
	_, err = safefile.Remove(host, safefile.Options{ExpectSHA256: sum, Backup: backup, AuditLog: auditLog, Summary: summary, FS: paths.FS()})
	return err
}

// holdsSecret: the file at host exists and holds private key material, so
// that a backup of it would be one more copy of a secret.
func holdsSecret(node nodefs.FS, host string) bool {
	data, err := node.ReadFile(host, nodefs.KeyFile)
	return err == nil && FindSecret(data) != nil
}

func referencesTo(pol *model.Policy, nodePath string) []string {
	var used []string
	if pol == nil {
		return nil
	}
	pol.EachList(func(ref model.ScopeRef, _ model.Pos, reqs model.Requirements) {
		for _, r := range reqs {
			for _, k := range r.KeyRefs() {
				if sameNodePath(k.Path, nodePath) {
					used = appendUnique(used, ref.String())
				}
			}
		}
	})
	return used
}

// DropReferences removes nodePath from every requirement of pol; a
// requirement left without any key becomes reject, so that dropping a key
// never widens trust.
func DropReferences(pol *model.Policy, nodePath string) {
	pol.EachList(func(_ model.ScopeRef, _ model.Pos, reqs model.Requirements) {
		for i, r := range reqs {
			if r.Type != model.SignedBy && r.Type != model.SigstoreSigned {
				continue
			}
			if r.KeyPath != "" && sameNodePath(r.KeyPath, nodePath) {
				r.KeyPath = ""
			}
			var kept []string
			for _, p := range r.KeyPaths {
				if !sameNodePath(p, nodePath) {
					kept = append(kept, p)
				}
			}
			if r.KeyPaths != nil {
				r.KeyPaths = kept
			}
			if len(r.KeyRefs()) == 0 {
				reqs[i] = &model.Requirement{Type: model.Reject}
			}
		}
	})
}

// sameNodePath compares node paths as the runtime opens them (and the
// inventory joins them): /etc/gpg/./k.gpg and /etc/gpg//k.gpg are
// /etc/gpg/k.gpg.
func sameNodePath(a, b string) bool {
	return filepath.Clean(a) == filepath.Clean(b)
}
