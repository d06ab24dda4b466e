package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
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
	paths node.Paths
	ws    *workspace.Workspace
	mech  gpg.Mechanism
}

func (k tuiKeys) List() ([]ui.KeyRow, error) {
	inv, err := gpg.BuildInventory(k.paths, k.ws.Policy(), k.mech, time.Now())
	if err != nil {
		return nil, err
	}
	own := k.ws.GlobalPaths().Policy
	if pf := k.ws.PolicyFile(); pf != nil {
		own = pf.Path
	}
	// A key file only another policy file (a namespace's) uses is not
	// unused: removing it breaks that file.
	for _, o := range workspace.OtherPolicies(k.ws.GlobalPaths(), own) {
		inv.AddUses(o.Policy, o.Node)
	}
	staged := k.ws.StagedFiles()
	out := make([]ui.KeyRow, 0, len(inv.Keys))
	for _, key := range inv.Keys {
		ki := keyRow(key)
		if f, ok := staged[k.paths.Host(key.File)]; ok && f.Remove {
			ki.Status = "rm (staged)"
		}
		out = append(out, ki)
	}
	// Keys staged for import are listed as the save would write them.
	for host, f := range staged {
		if f.Kind != workspace.KindKey || f.Remove {
			continue
		}
		kr, err := gpg.ParseKeyring(f.Data)
		if err != nil {
			continue
		}
		for _, key := range kr.Keys {
			ki := keyRow(gpg.InventoryKey{KeyInfo: key, File: k.paths.Node(host)})
			ki.Status = "new (staged)"
			out = append(out, ki)
		}
	}
	return out, nil
}

func keyRow(k gpg.InventoryKey) ui.KeyRow {
	ki := ui.KeyRow{
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
func (k tuiKeys) Inspect(data []byte) ([]ui.KeyRow, error) {
	keys, err := gpg.Inspect(data, k.mech, time.Now())
	if err != nil {
		return nil, err
	}
	out := make([]ui.KeyRow, 0, len(keys))
	for _, key := range keys {
		ki := keyRow(gpg.InventoryKey{KeyInfo: key.KeyInfo, Status: key.Status})
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

// Import stages the key file in the change set: the save review shows
// its keys, the node mechanism's verdict, the widening (a file the policy
// names changes what the node trusts) and the impact, and the save
// writes it with the other staged changes.
func (k tuiKeys) Import(data []byte) (ui.KeyRow, error) {
	if err := trialBusy(k.paths); err != nil {
		return ui.KeyRow{}, err
	}
	plan, err := k.ws.StageKeyImport(data, gpg.ImportOptions{})
	if err != nil {
		return ui.KeyRow{}, err
	}
	ki := ui.KeyRow{Fingerprint: plan.Keys[0].Fingerprint, UserID: firstOr(plan.Keys[0].UserIDs, ""), Algorithm: plan.Keys[0].Algorithm,
		Path: plan.NodePath, AlreadyThere: plan.AlreadyIn != ""}
	return ki, nil
}

// Remove stages the removal of the key file holding fingerprint; the
// workspace refuses a file the staged policy still uses.
func (k tuiKeys) Remove(fingerprint string, p *model.Policy) error {
	if err := trialBusy(k.paths); err != nil {
		return err
	}
	// A key staged for import only: removing it drops it from the change.
	for host, f := range k.ws.StagedFiles() {
		if f.Kind != workspace.KindKey || f.Remove {
			continue
		}
		if kr, err := gpg.ParseKeyring(f.Data); err == nil {
			for _, key := range kr.Keys {
				if key.Fingerprint == fingerprint {
					return k.ws.StageKeyRemove(k.paths.Node(host), false)
				}
			}
		}
	}
	inv, err := gpg.BuildInventory(k.paths, p, k.mech, time.Now())
	if err != nil {
		return err
	}
	for _, key := range inv.Keys {
		if key.Fingerprint == fingerprint && key.File != "" {
			return k.ws.StageKeyRemove(key.File, false)
		}
	}
	return fmt.Errorf("key %s is not in a file of the keys directory", gpg.ShortFingerprint(fingerprint))
}

// tuiLookaside is ui.LookasideBackend over policyio's registries.d code.
type tuiLookaside struct {
	paths node.Paths
	ws    *workspace.Workspace
}

// registries is registries.d as the node's runtime would read it once
// the staged change is saved.
func (l tuiLookaside) registries() (*policyio.RegistriesD, model.Diagnostics) {
	if l.ws == nil {
		return policyio.LoadRegistriesDFrom(l.paths.FS(), l.paths.RegistriesD)
	}
	return l.ws.StagedRegistries()
}

func (l tuiLookaside) List() ([]ui.LookasideRow, model.Diagnostics, error) {
	rd, diags := l.registries()
	diags = append(diags, policyio.CheckLookasides(rd, l.ws.Policy(), l.paths)...)
	entries := append([]*model.LookasideEntry{}, rd.Entries...)
	if rd.Default != nil {
		entries = append(entries, rd.Default)
	}
	out := make([]ui.LookasideRow, 0, len(entries))
	for _, e := range entries {
		out = append(out, ui.LookasideRow{
			Scope: e.Scope, URL: e.ReadURL(), Staging: e.LookasideStaging,
			UseSigstoreAttachments: e.UseSigstoreAttachments != nil && *e.UseSigstoreAttachments, File: e.Pos.String(),
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

// Set stages the look-aside edit in the change set; the save writes it.
func (l tuiLookaside) Set(e ui.LookasideRow) error {
	if err := trialBusy(l.paths); err != nil {
		return err
	}
	if _, diags := l.registries(); diags.HasErrors() {
		return fmt.Errorf("registries.d has errors; fix them first (Problems view)")
	}
	url, staging := e.URL, false
	if url == "" && e.Staging != "" {
		url, staging = e.Staging, true
	}
	return l.ws.StageRegistries(fmt.Sprintf("lookaside %s -> %s", e.Scope, url), func(rd *policyio.RegistriesD) ([]policyio.FileChange, error) {
		return rd.Set(e.Scope, url, policyio.SetOptions{Staging: staging})
	})
}

// Remove stages the removal of scope's look-aside section.
func (l tuiLookaside) Remove(scope string) error {
	if err := trialBusy(l.paths); err != nil {
		return err
	}
	return l.ws.StageRegistries("remove lookaside "+scope, func(rd *policyio.RegistriesD) ([]policyio.FileChange, error) {
		return rd.Remove(scope)
	})
}

// tuiVerifier is ui.Verifier over verify, against the policy the TUI
// gives (usually the staged one).
type tuiVerifier struct {
	paths node.Paths
	// global are the paths of the global policy (paths may be a
	// namespace's), from which a namespace's choice is made.
	global    node.Paths
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
	if verify.IsShortName(image) {
		return t.verifyShortName(ctx, v, image)
	}
	return t.result(ctx, v, image, "")
}

// VerifyInNamespace checks a pull for a pod in namespace: under the
// policy CRI-O picks there (node.ChoosePolicy), the staged one when
// that is the file this session edits, else the file on disk.
func (t tuiVerifier) VerifyInNamespace(ctx context.Context, staged *model.Policy, namespace, image string) (ui.VerifyResult, error) {
	cfg, err := node.ReadCrioConfig(t.global)
	if err != nil {
		return ui.VerifyResult{}, err
	}
	ch, err := node.ChoosePolicy(t.global, cfg, namespace, false)
	if err != nil {
		return ui.VerifyResult{}, err
	}
	opts := verify.Options{Paths: t.paths, Mechanism: t.mech, TLSVerify: t.tlsVerify, Timeout: 15 * time.Second, Notes: []string{ch.Rule}}
	opts.Paths.Policy = ch.Host
	label := ch.Node
	if ch.Host == t.ws.Paths.Policy {
		opts.Policy = staged
		if len(t.ws.Edits()) > 0 {
			label += " (staged)"
		}
	}
	opts.PolicyLabel = label
	v, err := verify.New(opts)
	if err != nil {
		return ui.VerifyResult{}, err
	}
	if verify.IsShortName(image) {
		return t.verifyShortName(ctx, v, image)
	}
	return t.result(ctx, v, image, label)
}

func (t tuiVerifier) result(ctx context.Context, v *verify.Verifier, image, policy string) (ui.VerifyResult, error) {
	res, err := v.Verify(ctx, image)
	if err != nil {
		return ui.VerifyResult{}, err
	}
	out := ui.VerifyResult{Ref: res.Image, Accepted: res.Accepted, Scope: res.Trace.Scope.List.String(), Summary: res.Summary, Policy: policy}
	out.Trace = traceSteps(res, t.ascii, 0)
	if res.Incomplete {
		// The Verify view heads the error with "could not finish", as
		// the summary does: hand on the reason alone, once.
		reason := strings.TrimPrefix(strings.TrimPrefix(res.Summary, "could not finish"), ": ")
		if reason == "" {
			reason = "the check was incomplete"
		}
		return out, errors.New(reason)
	}
	return out, nil
}
