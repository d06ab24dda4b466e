package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/termsafe"
	"github.com/kios/imgtrust/workspace"
)

const keysUsage = `usage: imgtrust keys list [--json]
       imgtrust keys show FILE|-|NAME|FINGERPRINT [--json]
       imgtrust keys import [FILE|-] [--name NAME] [--force] [--reference SCOPE [--identity TYPE]] [CHANGE FLAGS]
       imgtrust keys remove FILE|FINGERPRINT [--drop-references] [CHANGE FLAGS]

Change flags: --dry-run (print, write nothing), --json, --allow-weaken, --allow-lockout, --offline.
import and remove print the diff (a key file as its keys), how the change widens
trust and its impact on the node's images, then write every file atomically
with a backup, unless refused.

Public OpenPGP keys in the keys directory (--keys-dir, default /etc/gpg under --root),
joined with the policy rules that use them. Private keys are always refused.
show FILE or - (stdin) describes keys before import, with the node mechanism's
verdict; a NAME in the keys directory or a FINGERPRINT (8+ hex digits) shows an
imported key. import prints the same details first and refuses keys the node's
mechanism cannot use unless --force. list prints full fingerprints unless stdout
is a terminal (then the 16-digit long key ID; --json always has them whole).
Exit 0: done; 1: refused or problems found; 2: usage.`

func runKeys(a *app, args []string) int {
	return a.runVerbs("keys", keysUsage, keysVerbs(), args)
}

func keysVerbs() []verb {
	return []verb{
		{"list", 0, 0, func(fs *flag.FlagSet, g *globalFlags) func(*app, node.Paths, []string) int {
			return func(a *app, paths node.Paths, _ []string) int { return keysList(a, g, paths) }
		}},
		{"show", 1, 1, func(fs *flag.FlagSet, g *globalFlags) func(*app, node.Paths, []string) int {
			return func(a *app, paths node.Paths, pos []string) int { return keysShow(a, g, paths, pos[0]) }
		}},
		{"import", 0, 1, func(fs *flag.FlagSet, g *globalFlags) func(*app, node.Paths, []string) int {
			var o importFlags
			fs.StringVar(&o.name, "name", "", "file name in the keys directory (default: from the key's user ID and fingerprint)")
			fs.BoolVar(&o.force, "force", false, "replace a different key file of the same name (a backup is kept), and import keys the node's mechanism cannot use")
			fs.StringVar(&o.reference, "reference", "", "also require signatures by this key for the docker `SCOPE` in policy.json")
			fs.StringVar(&o.identity, "identity", string(model.MatchRepoDigestOrExact), "signedIdentity type for --reference")
			fs.BoolVar(&o.allowWeaken, "allow-weaken", false, "allow an import that widens trust beyond the imported keys for --reference (a key file a rule uses replaced, a --reference file holding other keys)")
			fs.BoolVar(&o.allowLockout, "allow-lockout", false, "allow an import whose --reference rule makes the node's pause image unpullable (no new pod could start)")
			fs.BoolVar(&o.offline, "offline", false, "make no network request for the lockout check: images that need one are not checked")
			fs.BoolVar(&o.dryRun, "dry-run", false, "print the change and its reports; write nothing")
			return func(a *app, paths node.Paths, pos []string) int {
				src := "-"
				if len(pos) == 1 {
					src = pos[0]
				}
				return keysImport(a, g, paths, src, o)
			}
		}},
		{"remove", 1, 1, func(fs *flag.FlagSet, g *globalFlags) func(*app, node.Paths, []string) int {
			drop := fs.Bool("drop-references", false, "also remove the key from policy rules; a rule left without keys becomes reject")
			var cf changeFlags
			cf.registerApply(fs)
			return func(a *app, paths node.Paths, pos []string) int {
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
func loadInventory(g *globalFlags, paths node.Paths) (*gpg.Inventory, *policyio.PolicyFile, gpg.Detection, error) {
	det, err := g.detectMechanism(paths)
	if err != nil {
		return nil, nil, det, err
	}
	pf, err := policyio.LoadPolicyFrom(paths.FS(), paths.Policy)
	if err != nil {
		return nil, nil, det, err
	}
	inv, err := gpg.BuildInventory(paths, pf.Policy, det.Mechanism, time.Now())
	if err == nil {
		for _, o := range workspace.OtherPolicies(paths, "") {
			inv.AddUses(o.Policy, o.Node)
		}
	}
	return inv, pf, det, err
}

func keysList(a *app, g *globalFlags, paths node.Paths) int {
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
		// A person at a terminal reads the 16-digit long key ID (keys show
		// gives the rest); a script or a pasted log gets all 40 digits,
		// since a shorter ID can be matched by a made-up key.
		head := "FINGERPRINT"
		if a.stdoutTTY {
			head = "KEY ID"
		}
		fmt.Fprintln(tw, head+"\tUSER ID\tEXPIRES\tSTATUS\tFILE\tUSED BY")
		for _, k := range inv.Keys {
			short := k.Fingerprint
			if a.stdoutTTY {
				short = gpg.ShortFingerprint(k.Fingerprint)
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

func keysShow(a *app, g *globalFlags, paths node.Paths, query string) int {
	inv, _, det, err := loadInventory(g, paths)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys show:", errText(err))
		return exitUsage
	}
	// A key file not on the node (or stdin) is shown before any import;
	// a name of the keys directory keeps meaning that file. A bare name
	// that is both is the node's: ./NAME reads the local one.
	found := inv.Find(query)
	if query == "-" || (len(found) == 0 || !inventoryFile(found, query)) && isHostFile(query) {
		return keysShowFile(a, g, inv, det, query)
	}
	if len(found) == 0 {
		fmt.Fprintf(a.stderr, "imgtrust keys show: no key matches %q (give a key file, - for stdin, a file name in %s or at least 8 hex digits of the fingerprint)\n", query, termsafe.String(paths.Node(paths.KeysDir)))
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
		printKeyDetail(a.stdout, k.KeyInfo, [][2]string{
			{"status", termsafe.String(k.Status)},
			{"file", termsafe.String(orDash(k.File))},
			{"used by", termsafe.String(orDash(strings.Join(k.UsedBy, ", ")))},
		})
	}
	return exitOK
}

// inventoryFile reports whether query named a key file of the keys
// directory (rather than matching a fingerprint or user ID).
func inventoryFile(found []gpg.InventoryKey, query string) bool {
	for _, k := range found {
		if k.File != "" && (k.File == query || filepath.Base(k.File) == query) {
			return true
		}
	}
	return false
}

// isHostFile reports whether path names a regular file on this machine
// (not under --root: keys to import come from the admin's side).
func isHostFile(path string) bool {
	st, err := nodefs.FS{}.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// readKeySource reads a key file given on the command line, or stdin for
// "-", bounded as every key file is.
func readKeySource(a *app, src string) ([]byte, error) {
	if src == "-" {
		// One byte past the cap tells a stdin that is too big from one
		// that fits: cut silently, the keys past the cap were not shown
		// (or imported) and nothing said so.
		data, err := io.ReadAll(io.LimitReader(a.stdin, nodefs.KeyFile.Max+1))
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		if int64(len(data)) > nodefs.KeyFile.Max {
			return nil, &nodefs.TooLargeError{Path: "stdin", Kind: nodefs.KeyFile, Size: -1}
		}
		return data, nil
	}
	return nodefs.FS{}.ReadFile(src, nodefs.KeyFile)
}

// keysShowFile describes the keys of a file or stdin that is not (or not
// yet) on the node, with the node mechanism's verdict on them once
// imported. Private key material is refused by gpg.Inspect: nothing of it
// is printed.
func keysShowFile(a *app, g *globalFlags, inv *gpg.Inventory, det gpg.Detection, src string) int {
	data, err := readKeySource(a, src)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys show:", errText(err))
		return exitUsage
	}
	keys, err := gpg.Inspect(data, det.Mechanism, time.Now())
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys show:", errText(err))
		return exitFindings
	}
	source := src
	if src == "-" {
		source = "stdin"
	}
	if g.json {
		type shown struct {
			gpg.InspectedKey
			// OnNode lists the node's key files that hold the key already.
			OnNode []string `json:"on_node"`
		}
		out := struct {
			Source    string        `json:"source"`
			Detection gpg.Detection `json:"detection"`
			Keys      []shown       `json:"keys"`
		}{Source: source, Detection: det, Keys: []shown{}}
		for _, k := range keys {
			out.Keys = append(out.Keys, shown{k, onNode(inv, k.Fingerprint)})
		}
		writeJSON(a.stdout, out)
		return exitOK
	}
	fmt.Fprintf(a.stdout, "source       %s (not read from the keys directory)\nmechanism    %s (%s)\n", termsafe.String(source), det.Mechanism, termsafe.String(det.Reason))
	for _, k := range keys {
		fmt.Fprintln(a.stdout)
		printKeyDetail(a.stdout, k.KeyInfo, inspectedLines(inv, det, k))
	}
	return exitOK
}

// inspectedLines are the verdict lines of a key not on the node (keys
// show FILE, keys import): the node mechanism's, the other mechanisms',
// and where the node holds it already.
func inspectedLines(inv *gpg.Inventory, det gpg.Detection, k gpg.InspectedKey) [][2]string {
	// Status is the verdict on the file the import writes; the input
	// itself can differ (openpgp-xcrypto reads one armored block only).
	lines := [][2]string{{"status", termsafe.String(k.Status)}}
	if k.StatusAsGiven != "" {
		lines = append(lines, [2]string{"as given", termsafe.String(k.StatusAsGiven) + " (if this file itself were a key file; imported, the status above)"})
	}
	var others []string
	for _, m := range gpg.Mechanisms {
		if m != det.Mechanism {
			others = append(others, string(m)+": "+termsafe.String(k.Mechanisms[m]))
		}
	}
	lines = append(lines, [2]string{"others", strings.Join(others, "; ")})
	where := "not on the node"
	if files := onNode(inv, k.Fingerprint); len(files) > 0 {
		where = termsafe.String(strings.Join(files, ", "))
	}
	return append(lines, [2]string{"on the node", where})
}

// onNode lists the node's key files that hold fingerprint fpr.
func onNode(inv *gpg.Inventory, fpr string) []string {
	files := []string{}
	if inv == nil {
		return files
	}
	for _, k := range inv.Keys {
		if k.Fingerprint == fpr && k.File != "" && !slices.Contains(files, k.File) {
			files = append(files, k.File)
		}
	}
	return files
}

// printKeyDetail prints one key, the same way for keys on the node and
// keys about to be imported: the full fingerprint, user IDs, algorithm,
// dates, revocation, then the caller's lines, then the subkeys.
func printKeyDetail(w io.Writer, k gpg.KeyInfo, extra [][2]string) {
	fmt.Fprintf(w, "fingerprint  %s\nkey ID       %s\n", gpg.GroupFingerprint(k.Fingerprint), k.KeyID)
	for _, u := range k.UserIDs {
		fmt.Fprintf(w, "user ID      %s\n", termsafe.String(u))
	}
	if len(k.UserIDs) == 0 {
		fmt.Fprintln(w, "user ID      - (none)")
	}
	revoked := "no"
	if k.Revoked {
		revoked = "yes"
	}
	fmt.Fprintf(w, "algorithm    %s\ncreated      %s\nexpires      %s\nrevoked      %s\n", k.AlgorithmText(), k.Created.Format("2006-01-02"), expiry(k.Expires), revoked)
	for _, l := range extra {
		fmt.Fprintf(w, "%-12s %s\n", l[0], l[1])
	}
	for _, s := range k.Subkeys {
		fmt.Fprintf(w, "subkey       %s %s [%s] expires %s\n", s.KeyID, s.AlgorithmText(), strings.Join(s.Flags(), ","), expiry(s.Expires))
	}
}

func keysImport(a *app, g *globalFlags, paths node.Paths, src string, o importFlags) int {
	data, err := readKeySource(a, src)
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
	// The details go to the terminal; --json prints the change alone.
	da := a
	if g.json {
		quiet := *a
		quiet.stdout = io.Discard
		da = &quiet
	}
	if code, ok := importDetails(da, g, paths, data, o.force); !ok {
		if code == exitFindings && g.json {
			// Refused (stderr says why): stdout still has the report.
			return a.notStaged(g, "keys import", "import keys", paths, errors.New("refused, nothing was written: the key material cannot be imported (see stderr)"), "")
		}
		return code
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
		return a.notStaged(g, "keys import", "import keys", paths, err, "")
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
		widen: func(rev *workspace.Review) ([]policyio.Weakening, error) {
			wk, err := importWidenings(ws, data, plan, o.reference, idType)
			// The other policy files (namespace policies) get no consent
			// from --reference: the review's report on them stands.
			for _, w := range rev.Widenings {
				if w.File != "" {
					wk = append(wk, w)
				}
			}
			return wk, err
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

// importDetails prints what is about to be trusted (full fingerprint,
// user IDs, algorithm, expiry, and whether the node's mechanism can use
// each key) and refuses, unless force, keys the mechanism cannot use: a
// rule naming them would reject every image. ok is false when the import
// must stop, with code the exit code.
func importDetails(a *app, g *globalFlags, paths node.Paths, data []byte, force bool) (code int, ok bool) {
	det, err := g.detectMechanism(paths)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys import:", errText(err))
		return exitUsage, false
	}
	keys, err := gpg.Inspect(data, det.Mechanism, time.Now())
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys import:", errText(err))
		return exitFindings, false
	}
	// Only to say where the node holds a key already; an unreadable keys
	// directory is reported by the import itself.
	inv, _ := gpg.BuildInventory(paths, nil, det.Mechanism, time.Now())
	var unusable []string
	for i, k := range keys {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		printKeyDetail(a.stdout, k.KeyInfo, inspectedLines(inv, det, k))
		if !k.Usable {
			unusable = append(unusable, gpg.GroupFingerprint(k.Fingerprint)+": "+termsafe.String(k.Status))
		}
	}
	fmt.Fprintln(a.stdout)
	if len(unusable) == 0 {
		return exitOK, true
	}
	if !force {
		fmt.Fprintf(a.stderr, "imgtrust keys import: refused, nothing was written: the node's mechanism (%s) cannot verify signatures with:\n", det.Mechanism)
		for _, u := range unusable {
			fmt.Fprintln(a.stderr, "  -", u)
		}
		fmt.Fprintln(a.stderr, "a rule using only these keys rejects every image; repeat with --force to import anyway")
		return exitFindings, false
	}
	fmt.Fprintf(a.stdout, "importing anyway (--force): %s cannot use %d of these keys\n", det.Mechanism, len(unusable))
	return exitOK, true
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

func keysRemove(a *app, g *globalFlags, paths node.Paths, query string, drop bool, cf changeFlags) int {
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
		return a.notStaged(g, "keys remove", "remove key file "+file, paths, err, "")
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
	if rv := reflect.ValueOf(v); rv.IsValid() {
		v = emptyLists(rv).Interface()
	}
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
