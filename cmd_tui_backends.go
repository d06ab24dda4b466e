package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/termsafe"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/verify"
	"github.com/kios/imgtrust/workspace"
)

// The adapters below connect the TUI's small interfaces to the domain
// packages; they translate, they do not decide.

// tuiKeys is ui.KeyBackend over gpg.
type tuiKeys struct {
	paths policyio.Paths
	ws    *workspace.Workspace
	mech  gpg.Mechanism
}

func (k tuiKeys) List() ([]ui.KeyInfo, error) {
	inv, err := gpg.BuildInventory(k.paths, k.ws.Policy(), k.mech, time.Now())
	if err != nil {
		return nil, err
	}
	out := make([]ui.KeyInfo, 0, len(inv.Keys))
	for _, key := range inv.Keys {
		out = append(out, keyInfo(key))
	}
	return out, nil
}

func keyInfo(k gpg.InventoryKey) ui.KeyInfo {
	ki := ui.KeyInfo{
		Fingerprint: k.Fingerprint, UserID: firstOr(k.UserIDs, ""), Algorithm: k.AlgorithmText(),
		Status: k.Status, Path: k.File, UsedBy: k.UsedBy,
	}
	if k.Expires != nil {
		ki.Expires = *k.Expires
	}
	var b strings.Builder
	fmt.Fprintf(&b, "fingerprint %s\nkey ID %s\ncreated %s\n", gpg.GroupFingerprint(k.Fingerprint), k.KeyID, k.Created.Format("2006-01-02"))
	for _, u := range k.UserIDs {
		// One line per user ID: a newline in one must not forge another.
		fmt.Fprintf(&b, "user ID %s\n", termsafe.String(u))
	}
	for _, s := range k.Subkeys {
		fmt.Fprintf(&b, "subkey %s %s [%s]\n", s.KeyID, s.AlgorithmText(), strings.Join(s.Flags(), ","))
	}
	ki.Details = strings.TrimSpace(b.String())
	return ki
}

// Inspect describes keys before import with the node mechanism's
// verdict on the file the import would write (gpg.Inspect).
func (k tuiKeys) Inspect(data []byte) ([]ui.KeyInfo, error) {
	keys, err := gpg.Inspect(data, k.mech, time.Now())
	if err != nil {
		return nil, err
	}
	out := make([]ui.KeyInfo, 0, len(keys))
	for _, key := range keys {
		ki := keyInfo(gpg.InventoryKey{KeyInfo: key.KeyInfo, Status: key.Status})
		if key.Usable {
			ki.Verdict = fmt.Sprintf("%s (this node) can verify signatures with it: %s", k.mech, termsafe.String(key.Status))
		} else {
			ki.Verdict = fmt.Sprintf("%s (this node) CANNOT verify signatures with it: %s", k.mech, termsafe.String(key.Status))
		}
		ki.Unusable = !key.Usable
		out = append(out, ki)
	}
	return out, nil
}

func (k tuiKeys) Import(data []byte) (ui.KeyInfo, error) {
	if err := trialBusy(k.paths); err != nil {
		return ui.KeyInfo{}, err
	}
	opts := gpg.ImportOptions{AuditLog: k.paths.Host(workspace.DefaultAuditLog)}
	plan, err := gpg.Import(data, k.paths, gpg.ImportOptions{DryRun: true})
	if err != nil {
		return ui.KeyInfo{}, err
	}
	if plan.Data != nil {
		// A file the saved policy names (missing until now) changes what
		// the node trusts the moment it is written; the TUI has no consent
		// step for imports, so such an import is refused.
		pf, err := policyio.LoadPolicy(k.paths.Policy)
		if err != nil {
			return ui.KeyInfo{}, err
		}
		if widen := k.ws.WideningsFrom(pf.LoadedPolicy(), pf.LoadedPolicy(), map[string][]byte{filepath.Clean(plan.NodePath): plan.Data}); len(widen) > 0 {
			var b strings.Builder
			fmt.Fprintf(&b, "refused, nothing written: policy.json uses %s, so writing it widens trust:", termsafe.String(plan.NodePath))
			for _, w := range widen {
				b.WriteString("\n  " + termsafe.String(w.String()))
			}
			b.WriteString("\nif this is intended: imgtrust keys import --allow-weaken")
			return ui.KeyInfo{}, errors.New(b.String())
		}
	}
	res, err := gpg.Import(data, k.paths, opts)
	if err != nil {
		return ui.KeyInfo{}, err
	}
	inv, err := gpg.BuildInventory(k.paths, k.ws.Policy(), k.mech, time.Now())
	if err != nil {
		return ui.KeyInfo{}, err
	}
	for _, key := range inv.Keys {
		if key.File == res.NodePath {
			ki := keyInfo(key)
			ki.AlreadyThere = res.AlreadyIn != ""
			return ki, nil
		}
	}
	return ui.KeyInfo{Fingerprint: res.Keys[0].Fingerprint, Path: res.NodePath, AlreadyThere: res.AlreadyIn != ""}, nil
}

func (k tuiKeys) Remove(fingerprint string, p *model.Policy) error {
	if err := trialBusy(k.paths); err != nil {
		return err
	}
	inv, err := gpg.BuildInventory(k.paths, p, k.mech, time.Now())
	if err != nil {
		return err
	}
	for _, key := range inv.Keys {
		if key.Fingerprint == fingerprint && key.File != "" {
			return gpg.RemoveKeyFile(k.paths, p, key.File, k.paths.Host(workspace.DefaultAuditLog))
		}
	}
	return fmt.Errorf("key %s is not in a file of the keys directory", gpg.ShortFingerprint(fingerprint))
}

// tuiLookaside is ui.LookasideBackend over policyio's registries.d code.
type tuiLookaside struct {
	paths policyio.Paths
	ws    *workspace.Workspace
}

// registries loads registries.d as the node's runtime reads it.
func (l tuiLookaside) registries() (*policyio.RegistriesD, model.Diagnostics) {
	var rt policyio.RegistriesRuntime
	if l.ws != nil {
		rt = l.ws.Runtime
	}
	return policyio.LoadRegistriesDFor(l.paths.FS(), l.paths.RegistriesD, rt)
}

func (l tuiLookaside) List() ([]ui.LookasideEntry, model.Diagnostics, error) {
	rd, diags := l.registries()
	diags = append(diags, policyio.CheckLookasides(rd, l.ws.Policy(), l.paths)...)
	entries := append([]*model.LookasideEntry{}, rd.Entries...)
	if rd.Default != nil {
		entries = append(entries, rd.Default)
	}
	out := make([]ui.LookasideEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, ui.LookasideEntry{
			Scope: e.Scope, URL: e.ReadURL(), Staging: e.LookasideStaging,
			Sigstore: e.UseSigstoreAttachments != nil && *e.UseSigstoreAttachments, File: e.Pos.String(),
		})
	}
	return out, diags.Sorted(), nil
}

func (l tuiLookaside) Explain(image string) ([]string, error) {
	rd, diags := l.registries()
	if diags.HasErrors() {
		return nil, fmt.Errorf("registries.d is invalid (see Problems): the runtime fails every pull")
	}
	ex, err := rd.Explain(image, "", 1)
	if err != nil {
		return nil, err
	}
	lines := []string{"section: " + orDash(ex.Scope), ex.Why, "base URL: " + ex.BaseURL, "first signature: " + ex.URLs[0]}
	if ex.Placeholder {
		lines = append(lines, "(the zeros stand for the manifest digest: explain IMAGE@sha256:... for the real URL)")
	}
	lines = append(lines, "tried: "+strings.Join(ex.Tried, ", "))
	if ex.UseSigstoreAttachments {
		lines = append(lines, "also reads sigstore attachments (sha256-<hex>.sig) from the registry")
	}
	return lines, nil
}

func (l tuiLookaside) Set(e ui.LookasideEntry) error {
	if err := trialBusy(l.paths); err != nil {
		return err
	}
	rd, diags := l.registries()
	if diags.HasErrors() {
		return fmt.Errorf("registries.d has errors; fix them first (Problems view)")
	}
	url, staging := e.URL, false
	if url == "" && e.Staging != "" {
		url, staging = e.Staging, true
	}
	changes, err := rd.Set(e.Scope, url, policyio.SetOptions{Staging: staging})
	if err != nil {
		return err
	}
	return policyio.ApplyChanges(changes, l.paths.Host(workspace.DefaultAuditLog), fmt.Sprintf("lookaside %s -> %s", e.Scope, url))
}

func (l tuiLookaside) Remove(scope string) error {
	if err := trialBusy(l.paths); err != nil {
		return err
	}
	rd, _ := l.registries()
	changes, err := rd.Remove(scope)
	if err != nil {
		return err
	}
	return policyio.ApplyChanges(changes, l.paths.Host(workspace.DefaultAuditLog), "remove lookaside "+scope)
}

// tuiVerifier is ui.Verifier over verify, against the policy the TUI
// gives (usually the staged one).
type tuiVerifier struct {
	paths     policyio.Paths
	ws        *workspace.Workspace
	mech      gpg.Mechanism
	tlsVerify bool
	ascii     bool // the matched scope's mark in the trace
}

func (t tuiVerifier) Verify(ctx context.Context, p *model.Policy, image string) (ui.VerifyResult, error) {
	label := "saved"
	if len(t.ws.Edits()) > 0 {
		label = "staged"
	}
	v, err := verify.New(verify.Options{Paths: t.paths, Policy: p, PolicyLabel: label, Mechanism: t.mech, TLSVerify: t.tlsVerify, Timeout: 15 * time.Second})
	if err != nil {
		return ui.VerifyResult{}, err
	}
	res, err := v.Verify(ctx, image)
	if err != nil {
		return ui.VerifyResult{}, err
	}
	out := ui.VerifyResult{Ref: res.Image, Accepted: res.Accepted, Scope: res.Trace.Scope.List.String(), Summary: res.Summary}
	for _, st := range res.Steps(t.ascii) {
		text := st.Text
		if st.Label != "" {
			text = st.Label + " " + text
		}
		out.Trace = append(out.Trace, ui.TraceStep{OK: st.Status == verify.StepOK, Failed: st.Status == verify.StepFailed,
			Detail: st.Status == verify.StepPlain, Depth: st.Depth, Text: text})
	}
	if res.Incomplete {
		return out, fmt.Errorf("could not finish: %s", res.Summary)
	}
	return out, nil
}
