package main

import (
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/termsafe"
)

// showRow is one line of `imgtrust show`: a requirement list in words.
type showRow struct {
	Transport string `json:"transport,omitempty"`
	Scope     string `json:"scope"`
	Default   bool   `json:"default,omitempty"`
	Rule      string `json:"rule"`
	Strength  string `json:"strength"`
	Position  string `json:"position,omitempty"`
}

func runShow(a *app, args []string) int {
	var g globalFlags
	fs := flag.NewFlagSet("imgtrust show", flag.ContinueOnError)
	g.register(fs)
	setUsage(fs, "usage: imgtrust show [--json] [global flags]\n\nPrints the effective policy in plain words, one line per scope.\nExit 0: done; 1: the policy has errors (the runtime refuses it); 2: cannot run.")
	_, paths, code, ok := a.parseCommand("show", fs, &g, args, 0)
	if !ok {
		return code
	}
	pf, err := policyio.LoadPolicyFrom(paths.FS(), paths.Policy)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust show:", errText(err))
		return exitUsage
	}
	if pf.Policy == nil {
		printDiagnostics(a.stderr, pf.Diags.Sorted())
		fmt.Fprintln(a.stderr, "imgtrust show: the policy cannot be read; run imgtrust lint")
		return exitFindings
	}
	rows := showRows(pf.Policy, keyLabeler(paths))
	if g.json {
		writeJSON(a.stdout, struct {
			Policy string    `json:"policy"`
			Rules  []showRow `json:"rules"`
			Errors int       `json:"errors"`
		}{pf.Path, rows, pf.Diags.Count(model.Error)})
	} else {
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TRANSPORT\tSCOPE\tRULE")
		for _, r := range rows {
			t, s := r.Transport, r.Scope
			if r.Default {
				t, s = "(any)", "default"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", termsafe.String(t), termsafe.String(s), termsafe.String(r.Rule))
		}
		tw.Flush()
	}
	if n := pf.Diags.Count(model.Error); n > 0 {
		fmt.Fprintf(a.stderr, "\nwarning: %s has %d error(s): the runtime refuses it and every pull fails (run imgtrust lint)\n", termsafe.String(pf.Path), n)
		return exitFindings
	}
	return exitOK
}

// keyLabeler names keys by fingerprint and user ID, reading key files
// under the root; a file that cannot be read is named by its path.
func keyLabeler(paths policyio.Paths) model.KeyLabeler {
	cache := map[string]string{}
	return func(k model.KeyRef) string {
		data := k.Data
		if !k.Inline() {
			if l, ok := cache[k.Path]; ok {
				return l
			}
			b, err := paths.FS().ReadFile(paths.Host(k.Path), nodefs.KeyFile)
			if err != nil {
				cache[k.Path] = k.Path + " (missing)"
				return cache[k.Path]
			}
			data = b
		}
		label := ""
		if kr, err := gpg.ParseKeyring(data); err == nil {
			label = kr.Label()
		}
		if !k.Inline() {
			cache[k.Path] = label
		}
		return label
	}
}

func showRows(p *model.Policy, label model.KeyLabeler) []showRow {
	var rows []showRow
	p.EachList(func(ref model.ScopeRef, pos model.Pos, reqs model.Requirements) {
		scope := ref.Scope
		if scope == "" && !ref.IsDefault {
			scope = `"" (rest of ` + ref.Transport + `)`
		}
		rows = append(rows, showRow{
			Transport: ref.Transport, Scope: scope, Default: ref.IsDefault,
			Rule: reqs.DescribeList(label), Strength: policyio.Strength(reqs).String(), Position: pos.String(),
		})
	})
	return rows
}
