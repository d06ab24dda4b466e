package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/termsafe"
	"github.com/kios/imgtrust/workspace"
)

const keysUsage = `usage: imgtrust keys list [--json]
       imgtrust keys show FILE|FINGERPRINT [--json]
       imgtrust keys import [FILE|-] [--name NAME] [--force] [--reference SCOPE [--identity TYPE]] [CHANGE FLAGS]
       imgtrust keys remove FILE|FINGERPRINT [--drop-references] [CHANGE FLAGS]

Change flags: --dry-run (print, write nothing), --json, --allow-weaken, --allow-lockout, --offline.
import and remove print the diff (a key file as its keys), how the change widens
trust and its impact on the node's images, then write every file atomically
with a backup, unless refused.

Public OpenPGP keys in the keys directory (--keys-dir, default /etc/gpg under --root),
joined with the policy rules that use them. Private keys are always refused.
Exit 0: done; 1: refused or problems found; 2: usage.`

func runKeys(a *app, args []string) int {
	return a.runVerbs("keys", keysUsage, keysVerbs(), args)
}

func keysVerbs() []verb {
	return []verb{
		{"list", 0, 0, func(fs *flag.FlagSet, g *globalFlags) func(*app, policyio.Paths, []string) int {
			return func(a *app, paths policyio.Paths, _ []string) int { return keysList(a, g, paths) }
		}},
		{"show", 1, 1, func(fs *flag.FlagSet, g *globalFlags) func(*app, policyio.Paths, []string) int {
			return func(a *app, paths policyio.Paths, pos []string) int { return keysShow(a, g, paths, pos[0]) }
		}},
		{"import", 0, 1, func(fs *flag.FlagSet, g *globalFlags) func(*app, policyio.Paths, []string) int {
			var o importFlags
			fs.StringVar(&o.name, "name", "", "file name in the keys directory (default: from the key's user ID and fingerprint)")
			fs.BoolVar(&o.force, "force", false, "replace a different key file of the same name (a backup is kept)")
			fs.StringVar(&o.reference, "reference", "", "also require signatures by this key for the docker `SCOPE` in policy.json")
			fs.StringVar(&o.identity, "identity", string(model.MatchRepoDigestOrExact), "signedIdentity type for --reference")
			fs.BoolVar(&o.allowWeaken, "allow-weaken", false, "allow an import that widens trust beyond the imported keys for --reference (a key file a rule uses replaced, a --reference file holding other keys)")
			fs.BoolVar(&o.allowLockout, "allow-lockout", false, "allow an import whose --reference rule makes the node's pause image unpullable (no new pod could start)")
			fs.BoolVar(&o.offline, "offline", false, "make no network request for the lockout check: images that need one are not checked")
			fs.BoolVar(&o.dryRun, "dry-run", false, "print the change and its reports; write nothing")
			return func(a *app, paths policyio.Paths, pos []string) int {
				src := "-"
				if len(pos) == 1 {
					src = pos[0]
				}
				return keysImport(a, g, paths, src, o)
			}
		}},
		{"remove", 1, 1, func(fs *flag.FlagSet, g *globalFlags) func(*app, policyio.Paths, []string) int {
			drop := fs.Bool("drop-references", false, "also remove the key from policy rules; a rule left without keys becomes reject")
			var cf changeFlags
			cf.registerApply(fs)
			return func(a *app, paths policyio.Paths, pos []string) int {
				return keysRemove(a, g, paths, pos[0], *drop, cf)
			}
		}},
	}
}

type importFlags struct {
	name, reference, identity string
	force, allowWeaken        bool
	allowLockout, offline     bool
	dryRun                    bool
}

// loadInventory reads the policy (if any) and the keys under the node's
// mechanism.
func loadInventory(g *globalFlags, paths policyio.Paths) (*gpg.Inventory, *policyio.PolicyFile, gpg.Detection, error) {
	det, err := g.detectMechanism(paths)
	if err != nil {
		return nil, nil, det, err
	}
	pf, err := policyio.LoadPolicyFrom(paths.FS(), paths.Policy)
	if err != nil {
		return nil, nil, det, err
	}
	inv, err := gpg.BuildInventory(paths, pf.Policy, det.Mechanism, time.Now())
	return inv, pf, det, err
}

func keysList(a *app, g *globalFlags, paths policyio.Paths) int {
	inv, _, det, err := loadInventory(g, paths)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys list:", errText(err))
		return exitUsage
	}
	if g.json {
		writeJSON(a.stdout, struct {
			Detection gpg.Detection `json:"detection"`
			*gpg.Inventory
		}{det, inv})
	} else {
		fmt.Fprintf(a.stdout, "mechanism: %s (%s)\n\n", det.Mechanism, termsafe.String(det.Reason))
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FINGERPRINT\tUSER ID\tEXPIRES\tSTATUS\tFILE\tUSED BY")
		ascii := g.ascii || asciiTerminal(a)
		for _, k := range inv.Keys {
			short := gpg.ShortFingerprint(k.Fingerprint)
			if ascii {
				short = strings.ReplaceAll(short, "…", "...")
			}
			file := k.File
			if file == "" {
				file = "(keyData in policy.json)"
			}
			used := strings.Join(k.UsedBy, ", ")
			if used == "" {
				used = "- (unused)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", short, termsafe.String(firstOr(k.UserIDs, "-")), expiry(k.Expires), termsafe.String(k.Status), termsafe.String(file), termsafe.String(used))
		}
		tw.Flush()
		if len(inv.Keys) == 0 {
			fmt.Fprintf(a.stdout, "no keys in %s; import one with: imgtrust keys import FILE\n", termsafe.String(paths.Node(paths.KeysDir)))
		}
		printDiagnostics(a.stdout, inv.Problems)
	}
	if inv.Problems.HasErrors() {
		return exitFindings
	}
	return exitOK
}

func keysShow(a *app, g *globalFlags, paths policyio.Paths, query string) int {
	inv, _, _, err := loadInventory(g, paths)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys show:", errText(err))
		return exitUsage
	}
	found := inv.Find(query)
	if len(found) == 0 {
		fmt.Fprintf(a.stderr, "imgtrust keys show: no key matches %q (give a file name or at least 8 hex digits of the fingerprint)\n", query)
		return exitFindings
	}
	if g.json {
		writeJSON(a.stdout, found)
		return exitOK
	}
	for i, k := range found {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		fmt.Fprintf(a.stdout, "fingerprint  %s\nkey ID       %s\n", gpg.GroupFingerprint(k.Fingerprint), k.KeyID)
		for _, u := range k.UserIDs {
			fmt.Fprintf(a.stdout, "user ID      %s\n", termsafe.String(u))
		}
		fmt.Fprintf(a.stdout, "algorithm    %s %d\ncreated      %s\nexpires      %s\nstatus       %s\nfile         %s\nused by      %s\n",
			k.Algorithm, k.Bits, k.Created.Format("2006-01-02"), expiry(k.Expires), termsafe.String(k.Status), termsafe.String(orDash(k.File)), termsafe.String(orDash(strings.Join(k.UsedBy, ", "))))
		for _, s := range k.Subkeys {
			fmt.Fprintf(a.stdout, "subkey       %s %s %d [%s] expires %s\n", s.KeyID, s.Algorithm, s.Bits, strings.Join(s.Flags(), ","), expiry(s.Expires))
		}
	}
	return exitOK
}

func keysImport(a *app, g *globalFlags, paths policyio.Paths, src string, o importFlags) int {
	var data []byte
	var err error
	if src == "-" {
		data, err = io.ReadAll(io.LimitReader(a.stdin, 16<<20))
	} else {
		data, err = nodefs.FS{}.ReadFile(src, nodefs.KeyFile)
	}
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys import:", errText(err))
		return exitUsage
	}
	// Check the policy edit first, so that a bad --reference writes nothing.
	if o.reference != "" {
		if msg := policyio.CheckIdentity(model.Identity{Type: model.IdentityType(o.identity)}); msg != "" || !validIdentityType(o.identity) {
			fmt.Fprintf(a.stderr, "imgtrust keys import: --identity %q: use matchRepoDigestOrExact, matchRepository or matchExact\n", o.identity)
			return exitUsage
		}
	}
	// The workspace is needed without --reference too: a key file that
	// policy.json names changes what the node trusts when it is written.
	ws, err := openChange(g, paths)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys import:", errText(err))
		return exitUsage
	}
	if o.reference != "" {
		if ws.PolicyFile().Exists && ws.Policy() == nil {
			fmt.Fprintln(a.stderr, "imgtrust keys import: policy.json cannot be read (run imgtrust lint); nothing was written")
			return exitFindings
		}
		// The rewrite would copy private material held elsewhere in the
		// policy; refuse before the key file is staged too.
		if finds := policyio.FindPrivate(ws.Policy()); len(finds) > 0 {
			fmt.Fprintln(a.stderr, "imgtrust keys import:", errText(&policyio.PrivateKeyError{Path: paths.Node(paths.Policy), Finds: finds}))
			return exitFindings
		}
	}
	plan, err := ws.StageKeyImport(data, gpg.ImportOptions{Name: o.name, Force: o.force})
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys import:", errText(err))
		return exitFindings
	}
	printKeys := func(w io.Writer) {
		for _, k := range plan.Keys {
			fmt.Fprintf(w, "%s  %s  %s\n", gpg.GroupFingerprint(k.Fingerprint), termsafe.String(firstOr(k.UserIDs, "(no user ID)")), k.Algorithm)
		}
	}
	if plan.AlreadyIn != "" && o.reference == "" {
		if g.json {
			writeJSON(a.stdout, changeReport{Change: "import keys", Policy: paths.Node(paths.Policy), Files: []reportFile{}, Widenings: []policyio.Weakening{}})
			return exitOK
		}
		printKeys(a.stdout)
		fmt.Fprintf(a.stdout, "already in %s: nothing written\n", termsafe.String(plan.AlreadyIn))
		return exitOK
	}
	idType := model.IdentityType(o.identity)
	created := ws.PolicyFile() == nil || !ws.PolicyFile().Exists
	summary := fmt.Sprintf("import key %s to %s", plan.Keys[0].Fingerprint, plan.NodePath)
	if o.reference != "" {
		summary = fmt.Sprintf("require signatures by %s for %s", plan.NodePath, o.reference)
		ws.Edit(summary, func(p *model.Policy) {
			if p.Default == nil {
				p.Default = model.Requirements{{Type: model.Reject}}
			}
			p.SetScope(model.TransportDocker, o.reference, model.Requirements{referenceRule(plan.NodePath, nil, idType)})
		})
		if plan.AlreadyIn == "" {
			summary = fmt.Sprintf("import key %s to %s; %s", plan.Keys[0].Fingerprint, plan.NodePath, summary)
		}
	}
	r := &changeRun{a: a, g: g, name: "keys import", paths: paths, ws: ws, summary: summary,
		cf:          changeFlags{dryRun: o.dryRun, allowWeaken: o.allowWeaken, allowLockout: o.allowLockout, offline: o.offline},
		refusedNote: alreadyNote(plan),
		widen: func(*workspace.Review) ([]policyio.Weakening, error) {
			return importWidenings(ws, data, plan, o.reference, idType)
		},
		done: func(w io.Writer) {
			printKeys(w)
			if plan.AlreadyIn != "" {
				fmt.Fprintf(w, "the key was already in %s\n", termsafe.String(plan.AlreadyIn))
			} else {
				fmt.Fprintf(w, "imported to %s\n", termsafe.String(plan.NodePath))
			}
			if o.reference == "" {
				return
			}
			fmt.Fprintf(w, "policy.json: docker scope %q now requires a signature by this key\n", o.reference)
			if created {
				// Reject is no stricter than a missing policy.json (the
				// runtime refuses every pull then), but the admin must
				// know about it.
				fmt.Fprintln(w, "policy.json did not exist: created it with the default \"reject\", so every other image is refused;")
				fmt.Fprintln(w, "  run imgtrust and press w (guided setup) to decide what else the node may pull, the pause image first")
			}
		},
	}
	return r.run()
}

func alreadyNote(plan *gpg.ImportResult) string {
	if plan.AlreadyIn == "" {
		return ""
	}
	return "the key was already in " + plan.AlreadyIn
}

// referenceRule is the signedBy rule --reference writes: by the key file
// at nodePath, or (for the consent check) by inline key data.
func referenceRule(nodePath string, keyData []byte, idType model.IdentityType) *model.Requirement {
	req := &model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: nodePath, KeyData: keyData}
	if keyData != nil {
		req.KeyPath = ""
	}
	if idType != model.MatchRepoDigestOrExact {
		req.SignedIdentity = &model.Identity{Type: idType}
	}
	return req
}

// importWidenings says how an import (the key file it writes, the
// --reference rule it adds) widens trust beyond what the admin asked for.
// Asking for --reference is consent to trust exactly the imported keys for
// that scope; the comparison starts from the policy with that consent
// applied, with the imported keys inline. So a scope pointed at a file that
// holds other keys too, or a key file replaced under a rule that uses it,
// is reported.
func importWidenings(ws *workspace.Workspace, data []byte, plan *gpg.ImportResult, reference string, idType model.IdentityType) ([]policyio.Weakening, error) {
	replaced := map[string][]byte{}
	if plan.Data != nil {
		replaced[filepath.Clean(plan.NodePath)] = plan.Data
	}
	base := ws.PolicyFile().LoadedPolicy()
	if reference != "" {
		kr, err := gpg.ParseKeyring(data)
		if err != nil {
			return nil, err
		}
		pub, err := kr.PublicBytes()
		if err != nil {
			return nil, err
		}
		if base == nil {
			// The runtime refuses every pull today (no policy.json, or one
			// it cannot load): the consent covers this one scope only.
			base = &model.Policy{Default: model.Requirements{{Type: model.Reject}}}
		} else {
			base = base.Clone()
		}
		base.SetScope(model.TransportDocker, reference, model.Requirements{referenceRule("", pub, idType)})
	}
	cur := ws.Policy()
	if reference == "" {
		cur = ws.PolicyFile().LoadedPolicy() // no policy edit
	}
	return ws.WideningsFrom(base, cur, replaced), nil
}

func validIdentityType(s string) bool {
	switch model.IdentityType(s) {
	case model.MatchRepoDigestOrExact, model.MatchRepository, model.MatchExact:
		return true
	}
	return false
}

func keysRemove(a *app, g *globalFlags, paths policyio.Paths, query string, drop bool, cf changeFlags) int {
	inv, _, _, err := loadInventory(g, paths)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys remove:", errText(err))
		return exitUsage
	}
	files := map[string]bool{}
	for _, k := range inv.Find(query) {
		if k.File != "" {
			files[k.File] = true
		}
	}
	if len(files) != 1 {
		fmt.Fprintf(a.stderr, "imgtrust keys remove: %q matches %d key files; name one file\n", query, len(files))
		return exitFindings
	}
	var file string
	for f := range files {
		file = f
	}
	ws, err := openChange(g, paths)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys remove:", errText(err))
		return exitUsage
	}
	if drop && ws.PolicyFile().Exists && ws.Policy() == nil {
		fmt.Fprintln(a.stderr, "imgtrust keys remove: policy.json cannot be read (run imgtrust lint); nothing was written")
		return exitFindings
	}
	if err := ws.StageKeyRemove(file, drop); err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys remove:", errText(err))
		return exitFindings
	}
	r := &changeRun{a: a, g: g, name: "keys remove", paths: paths, ws: ws, summary: ws.Edits()[0], cf: cf}
	return r.run()
}

// writeJSON prints v as indented JSON with the exact values, and with the
// runes encoding/json leaves raw that a terminal would interpret (C1 and
// bidi controls, DEL) written as \u escapes (termsafe.JSON).
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(termsafe.JSON(buf.Bytes()))
	return err
}

func firstOr(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return list[0]
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func expiry(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.Format("2006-01-02")
}
