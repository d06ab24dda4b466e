package workspace

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
)

// OpenNamespace opens a workspace on namespace's CRI-O policy file
// (<signature_policy_dir>/<namespace>.json, which need not exist yet):
// edits, problems and saves then go to that file through the same
// pipeline as the global policy's.
func OpenNamespace(paths node.Paths, namespace string) (*Workspace, error) {
	if err := node.ValidNamespace(namespace); err != nil {
		return nil, err
	}
	cfg, err := node.ReadCrioConfig(paths)
	if err != nil {
		return nil, err
	}
	global := paths.Policy
	paths.Policy = paths.Host(filepath.Join(cfg.SignaturePolicyDir, namespace+".json"))
	w, err := Open(paths)
	if err != nil {
		return nil, err
	}
	w.Namespace, w.globalPolicy = namespace, global
	return w, nil
}

// GlobalPaths are the paths with the global policy: Paths itself, or for
// a namespace's workspace the global policy it was opened beside.
func (w *Workspace) GlobalPaths() node.Paths {
	p := w.Paths
	if w.globalPolicy != "" {
		p.Policy = w.globalPolicy
	}
	return p
}

// globalChoice is the global policy CRI-O falls back to for the pods of
// the namespace this workspace edits.
func (w *Workspace) globalChoice() (node.PolicyChoice, node.CrioImageConfig, error) {
	cfg, err := node.ReadCrioConfig(w.Paths)
	if err != nil {
		return node.PolicyChoice{}, cfg, err
	}
	paths := w.Paths
	if w.globalPolicy != "" {
		paths.Policy = w.globalPolicy
	}
	ch, err := node.ChoosePolicy(paths, cfg, "", false)
	return ch, cfg, err
}

// BaselinePolicy is the policy pods see before a save: the file on disk
// as the runtime loads it (nil when the node's release refuses it); for a namespace whose file does not exist yet,
// the global policy CRI-O falls back to (contextForNamespace). nil: the
// runtime refuses every pull.
func (w *Workspace) BaselinePolicy() *model.Policy {
	if w.Namespace == "" || w.policyFile.Exists {
		// A file whose keys the node's release does not know is refused
		// as a whole: today it lets nothing in.
		if lib := w.Runtime.Library; lib.Version != "" && policyio.CheckPolicyFeatures(w.policyFile.Path, w.policyFile.Raw, lib).HasErrors() {
			return nil
		}
		return w.policyFile.LoadedPolicy()
	}
	ch, _, err := w.globalChoice()
	if err != nil {
		return nil
	}
	pf, err := policyio.LoadPolicyFrom(w.Paths.FS(), ch.Host)
	if err != nil {
		return nil
	}
	return pf.LoadedPolicy()
}

// ImagesFor keeps the node images a change to this workspace's policy can
// affect: a namespace policy never judges the pause image, which CRI-O
// pulls with the server's own SystemContext, never a namespace's
// (server/sandbox_run_linux.go: RunPodSandbox → CreatePodSandbox with
// s.config.SystemContext).
func (w *Workspace) ImagesFor(imgs []node.NodeImage) []node.NodeImage {
	if w.Namespace == "" {
		return imgs
	}
	out := make([]node.NodeImage, 0, len(imgs))
	for _, img := range imgs {
		if img.Role != node.RolePause {
			out = append(out, img)
		}
	}
	return out
}

// OtherPolicy is one of the node's policy files other than the one a
// workspace edits.
type OtherPolicy struct {
	Node   string
	Policy *model.Policy
}

// otherPolicies are the node's policy files other than this workspace's.
func (w *Workspace) otherPolicies() []OtherPolicy {
	return OtherPolicies(w.GlobalPaths(), w.policyFile.Path)
}

// OtherPolicies are the node's policy files that exist and parse, but
// own (a host path; "" is paths.Policy): the global policy paths names,
// the global policy CRI-O uses (crio.conf signature_policy), and every
// namespace policy. A change set edits one policy file, but its key
// files are shared with these.
func OtherPolicies(paths node.Paths, own string) []OtherPolicy {
	if own == "" {
		own = paths.Policy
	}
	hosts := []string{paths.Policy}
	if cfg, err := node.ReadCrioConfig(paths); err == nil {
		if ch, err := node.ChoosePolicy(paths, cfg, "", false); err == nil {
			hosts = append(hosts, ch.Host)
		}
		if nss, err := node.NamespacePolicies(paths, cfg); err == nil {
			for _, ns := range nss {
				hosts = append(hosts, ns.Host)
			}
		}
	}
	// The same file under two names (signature_policy naming the target
	// of the policy.json link) is one file.
	same := func(h string) string {
		if r, err := paths.FS().Resolve(h); err == nil {
			return r
		}
		return filepath.Clean(h)
	}
	var out []OtherPolicy
	seen := map[string]bool{same(own): true}
	for _, h := range hosts {
		if seen[same(h)] {
			continue
		}
		seen[same(h)] = true
		pf, err := policyio.LoadPolicyFrom(paths.FS(), h)
		if err != nil || !pf.Exists || pf.Policy == nil {
			// An unreadable policy already rejects every pull.
			continue
		}
		out = append(out, OtherPolicy{Node: paths.Node(h), Policy: pf.Policy})
	}
	return out
}

// otherReferences lists the rules of the other policy files that name
// the key file nodePath: removing it would leave them naming a missing
// key.
func (w *Workspace) otherReferences(nodePath string) []string {
	var out []string
	for _, o := range w.otherPolicies() {
		for _, scope := range referencesTo(o.Policy, nodePath) {
			out = append(out, o.Node+": "+scope)
		}
	}
	return out
}

// otherWidenings is how the staged key files widen the other policy
// files' trust (a key file one of them names replaced by other keys).
func (w *Workspace) otherWidenings(keys policyio.KeyFiles) []policyio.Weakening {
	var out []policyio.Weakening
	for _, o := range w.otherPolicies() {
		for _, wk := range policyio.Widenings(policyio.TrustState{Policy: o.Policy, Keys: w.Keys}, policyio.TrustState{Policy: o.Policy, Keys: keys}, w.CompareKeys) {
			wk.File = o.Node
			out = append(out, wk)
		}
	}
	return out
}

// UsedElsewhereError refuses to remove a key file another policy file of
// the node still uses.
type UsedElsewhereError struct {
	File   string
	UsedBy []string
}

func (e *UsedElsewhereError) Error() string {
	return fmt.Sprintf("%s is still used by other policy files (%s); remove it from them first (imgtrust policy --namespace NS, or the global policy): removing it would leave them naming a missing key",
		e.File, strings.Join(e.UsedBy, ", "))
}
