package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/workspace"
)

const keysUsage = `usage: imgtrust keys list [--json]
       imgtrust keys show FILE|FINGERPRINT [--json]
       imgtrust keys import [FILE|-] [--name NAME] [--force] [--reference SCOPE [--identity TYPE]] [--allow-weaken]
       imgtrust keys remove FILE|FINGERPRINT [--drop-references]

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
			fs.BoolVar(&o.allowWeaken, "allow-weaken", false, "allow a --reference change that widens trust")
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
			return func(a *app, paths policyio.Paths, pos []string) int { return keysRemove(a, g, paths, pos[0], *drop) }
		}},
	}
}

type importFlags struct {
	name, reference, identity string
	force, allowWeaken        bool
}

// loadInventory reads the policy (if any) and the keys under the node's
// mechanism.
func loadInventory(g *globalFlags, paths policyio.Paths) (*gpg.Inventory, *policyio.PolicyFile, gpg.Detection, error) {
	det, err := g.detectMechanism(paths)
	if err != nil {
		return nil, nil, det, err
	}
	pf, err := policyio.LoadPolicy(paths.Policy)
	if err != nil {
		return nil, nil, det, err
	}
	inv, err := gpg.BuildInventory(paths, pf.Policy, det.Mechanism, time.Now())
	return inv, pf, det, err
}

func keysList(a *app, g *globalFlags, paths policyio.Paths) int {
	inv, _, det, err := loadInventory(g, paths)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys list:", err)
		return exitUsage
	}
	if g.json {
		writeJSON(a.stdout, struct {
			Detection gpg.Detection `json:"detection"`
			*gpg.Inventory
		}{det, inv})
	} else {
		fmt.Fprintf(a.stdout, "mechanism: %s (%s)\n\n", det.Mechanism, det.Reason)
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FINGERPRINT\tUSER ID\tEXPIRES\tSTATUS\tFILE\tUSED BY")
		for _, k := range inv.Keys {
			file := k.File
			if file == "" {
				file = "(keyData in policy.json)"
			}
			used := strings.Join(k.UsedBy, ", ")
			if used == "" {
				used = "- (unused)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", gpg.ShortFingerprint(k.Fingerprint), firstOr(k.UserIDs, "-"), expiry(k.Expires), k.Status, file, used)
		}
		tw.Flush()
		if len(inv.Keys) == 0 {
			fmt.Fprintf(a.stdout, "no keys in %s; import one with: imgtrust keys import FILE\n", paths.Node(paths.KeysDir))
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
		fmt.Fprintln(a.stderr, "imgtrust keys show:", err)
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
			fmt.Fprintf(a.stdout, "user ID      %s\n", u)
		}
		fmt.Fprintf(a.stdout, "algorithm    %s %d\ncreated      %s\nexpires      %s\nstatus       %s\nfile         %s\nused by      %s\n",
			k.Algorithm, k.Bits, k.Created.Format("2006-01-02"), expiry(k.Expires), k.Status, orDash(k.File), orDash(strings.Join(k.UsedBy, ", ")))
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
		data, err = os.ReadFile(src)
	}
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys import:", err)
		return exitUsage
	}
	// Check the policy edit first, so that a bad --reference writes nothing.
	var ws *workspace.Workspace
	if o.reference != "" {
		if msg := policyio.CheckIdentity(model.Identity{Type: model.IdentityType(o.identity)}); msg != "" || !validIdentityType(o.identity) {
			fmt.Fprintf(a.stderr, "imgtrust keys import: --identity %q: use matchRepoDigestOrExact, matchRepository or matchExact\n", o.identity)
			return exitUsage
		}
		if ws, err = workspace.Open(paths); err != nil {
			fmt.Fprintln(a.stderr, "imgtrust keys import:", err)
			return exitUsage
		}
		if ws.PolicyFile().Exists && ws.Policy() == nil {
			fmt.Fprintln(a.stderr, "imgtrust keys import: policy.json cannot be read (run imgtrust lint); nothing was written")
			return exitFindings
		}
	}
	res, err := gpg.Import(data, paths, gpg.ImportOptions{Name: o.name, Force: o.force, AuditLog: paths.Host(workspace.DefaultAuditLog)})
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys import:", err)
		return exitFindings
	}
	for _, k := range res.Keys {
		fmt.Fprintf(a.stdout, "%s  %s  %s\n", gpg.GroupFingerprint(k.Fingerprint), firstOr(k.UserIDs, "(no user ID)"), k.Algorithm)
	}
	if res.AlreadyIn != "" {
		fmt.Fprintf(a.stdout, "already imported in %s: nothing written\n", res.AlreadyIn)
	} else {
		fmt.Fprintf(a.stdout, "imported to %s\n", res.NodePath)
	}
	if ws == nil {
		return exitOK
	}
	idType := model.IdentityType(o.identity)
	created := ws.PolicyFile() == nil || !ws.PolicyFile().Exists
	ws.Edit(fmt.Sprintf("require signatures by %s for %s", res.NodePath, o.reference), func(p *model.Policy) {
		if p.Default == nil {
			p.Default = model.Requirements{{Type: model.Reject}}
		}
		req := &model.Requirement{Type: model.SignedBy, KeyType: model.KeyTypeGPGKeys, KeyPath: res.NodePath}
		if idType != model.MatchRepoDigestOrExact {
			req.SignedIdentity = &model.Identity{Type: idType}
		}
		p.SetScope(model.TransportDocker, o.reference, model.Requirements{req})
	})
	// Asking for --reference is consent to trust this key for that scope;
	// any other widening still needs --allow-weaken.
	allow := o.allowWeaken
	if ch, err := ws.PolicyChange(); err == nil && ch != nil && !allow {
		allow = true
		for _, w := range ch.Weakenings {
			if w.List != (model.ScopeRef{Transport: model.TransportDocker, Scope: o.reference}) {
				allow = false
			}
		}
	}
	if err := ws.Save("", allow); err != nil {
		fmt.Fprintf(a.stderr, "imgtrust keys import: the key is imported, but policy.json was not changed: %v\n", err)
		var we *policyio.WeakenError
		if errors.As(err, &we) {
			fmt.Fprintln(a.stderr, "repeat with --allow-weaken if this is intended")
		}
		return exitFindings
	}
	fmt.Fprintf(a.stdout, "policy.json: docker scope %q now requires a signature by this key\n", o.reference)
	if created {
		// Reject is no stricter than a missing policy.json (the runtime
		// refuses every pull then), but the admin must know about it.
		fmt.Fprintln(a.stdout, "policy.json did not exist: created it with the default \"reject\", so every other image is refused;")
		fmt.Fprintln(a.stdout, "  run imgtrust and press w (guided setup) to decide what else the node may pull, the pause image first")
	}
	return exitOK
}

func validIdentityType(s string) bool {
	switch model.IdentityType(s) {
	case model.MatchRepoDigestOrExact, model.MatchRepository, model.MatchExact:
		return true
	}
	return false
}

func keysRemove(a *app, g *globalFlags, paths policyio.Paths, query string, drop bool) int {
	inv, pf, _, err := loadInventory(g, paths)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys remove:", err)
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
	audit := paths.Host(workspace.DefaultAuditLog)
	if drop && pf.Policy != nil {
		ws, err := workspace.Open(paths)
		if err != nil {
			fmt.Fprintln(a.stderr, "imgtrust keys remove:", err)
			return exitUsage
		}
		ws.Edit("drop references to "+file, func(p *model.Policy) { gpg.DropReferences(p, file) })
		if err := ws.Save("", false); err != nil {
			fmt.Fprintln(a.stderr, "imgtrust keys remove: policy.json not changed, key kept:", err)
			return exitFindings
		}
		pf = ws.PolicyFile()
	}
	if err := gpg.RemoveKeyFile(paths, pf.Policy, file, audit); err != nil {
		fmt.Fprintln(a.stderr, "imgtrust keys remove:", err)
		return exitFindings
	}
	fmt.Fprintf(a.stdout, "removed %s (backup kept next to it)\n", file)
	return exitOK
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
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
