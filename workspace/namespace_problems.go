package workspace

import (
	"fmt"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
)

// NamespaceProblems checks CRI-O's per-namespace policies as the runtime
// loads them for a pull in that namespace (each replaces the global policy
// entirely, cri-o-and-tools.md §1.2): parse errors, key files, keys the
// node's containers/image release does not know; and warns where one
// accepts images the global policy rejects.
//
// When the workspace edits the global policy, every namespace policy is
// compared with the staged global one. When it edits a namespace policy
// (Namespace set), that one is compared with the global policy on disk,
// and the others are not listed again.
func (w *Workspace) NamespaceProblems() model.Diagnostics {
	cfg, err := node.ReadCrioConfig(w.Paths)
	if err != nil {
		return nil // node.NodeDiagnostics reports an unreadable crio.conf
	}
	if w.Namespace != "" {
		ch, _, err := w.globalChoice()
		if err != nil {
			return nil
		}
		global, gerr := policyio.LoadPolicyFrom(w.Paths.FS(), ch.Host)
		if gerr != nil {
			return nil
		}
		if w.Runtime.Library.Version != "" {
			label, text := w.stagedText()
			if policyio.CheckPolicyFeatures(label, text, w.Runtime.Library).HasErrors() {
				return nil // the node refuses the file: nothing gets in
			}
		}
		return w.widerThanGlobal(w.Namespace, w.Paths.Policy, w.stagedLoadable(), global.LoadedPolicy(), ch.Node, cfg)
	}
	list, err := node.NamespacePolicies(w.Paths, cfg)
	if err != nil {
		return model.Diagnostics{{Severity: model.Warning, Code: "namespace-policies-unreadable", Message: err.Error(),
			Fix: "imgtrust cannot tell which policy pods in each namespace use"}}
	}
	global := w.stagedLoadable()
	var out model.Diagnostics
	for _, ns := range list {
		if ns.Host == w.Paths.Policy {
			continue // the file this workspace edits: Problems has it
		}
		pf, err := policyio.LoadPolicyFrom(w.Paths.FS(), ns.Host)
		if err != nil {
			out = append(out, model.Diagnostic{Severity: model.Error, Code: "namespace-policy-unreadable", Pos: model.Pos{File: ns.Host},
				Message: fmt.Sprintf("namespace %s: %v: every pull for its pods fails", ns.Namespace, err)})
			continue
		}
		out = append(out, pf.Diags...)
		loaded := pf.LoadedPolicy()
		if w.Runtime.Library.Version != "" {
			fd := policyio.CheckPolicyFeatures(pf.Path, pf.Raw, w.Runtime.Library)
			if fd.HasErrors() {
				loaded = nil // the node refuses the file: nothing gets in
			}
			out = append(out, fd...)
		}
		out = append(out, policyio.CheckKeyFiles(pf.Policy, w.Paths, w.Inspect)...)
		out = append(out, w.widerThanGlobal(ns.Namespace, ns.Host, loaded, global, w.Paths.Node(w.Paths.Policy), cfg)...)
	}
	return out
}

// stagedLoadable is the staged policy when the runtime could load it as
// it would be written, else nil (every pull refused).
func (w *Workspace) stagedLoadable() *model.Policy {
	if !w.policyEdited() || w.staged == nil {
		return w.policyFile.LoadedPolicy()
	}
	r := w.render()
	if r.err != nil || r.diags.HasErrors() {
		return nil
	}
	return r.pol
}

// widerThanGlobal warns for each group of images the namespace policy ns
// accepts and the global policy rejects (policyio.Widenings, global as
// the old state). CRI-O assumes this never happens
// (server/container_create.go: verifyImageSignature, "SignaturePolicyPath
// set specifically for the namespace is never less restrictive than the
// default system-wide policy"): an image pulled for this namespace is
// stored on the node, and a pod elsewhere that uses it without a pull
// (imagePullPolicy IfNotPresent) is only checked again at creation when
// an explicit policy applies to that pod (a namespace file, or
// signature_policy).
func (w *Workspace) widerThanGlobal(ns, file string, nsPol, global *model.Policy, globalNode string, cfg node.CrioImageConfig) model.Diagnostics {
	if nsPol == nil {
		return nil
	}
	wide := policyio.Widenings(policyio.TrustState{Policy: global, Keys: w.Keys}, policyio.TrustState{Policy: nsPol, Keys: w.Keys}, w.CompareKeys)
	risk := "CRI-O assumes a namespace policy is never less restrictive than the global one: an image pulled for this namespace stays on the node, and a pod in a namespace without its own policy that uses it with imagePullPolicy IfNotPresent starts it unchecked"
	if cfg.SignaturePolicy != "" {
		risk = "CRI-O assumes a namespace policy is never less restrictive than the global one (with signature_policy set, CRI-O 1.31 and later re-check at container creation; older ones start a stored image unchecked)"
	}
	var out model.Diagnostics
	for _, wk := range wide {
		out = append(out, model.Diagnostic{
			Severity: model.Warning, Code: "namespace-wider", Pos: model.Pos{File: file},
			Message: fmt.Sprintf("namespace %s's policy accepts what the global policy %s rejects: %s", ns, globalNode, wk),
			Fix:     risk + "; make the namespace policy at least as strict, or use the global policy for it (remove the file)",
		})
	}
	return out
}
