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
	setUsage(fs, "usage: imgtrust show [--json] [global flags]\n\nPrints the effective policy in plain words, one line per scope.\nErrors are counted as imgtrust lint --offline counts them; when the runtime\ncannot load policy.json, that is said first.\nExit 0: done; 1: lint --offline finds errors; 2: cannot run.")
	_, paths, code, ok := a.parseCommand("show", fs, &g, args, 0)
	if !ok {
		return code
	}
	det, _ := g.detectMechanism(paths)
	// The same diagnostics as lint --offline's (policy, key files,
	// registries.d, node facts, the node's images), so that both count
	// the same errors; show makes no network request.
	pf, diags, _, err := lintWithImages(paths, det, true)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust show:", errText(err))
		return exitUsage
	}
	nErr := diags.Count(model.Error)
	refused := pf.LoadedPolicy() == nil
	var rows []showRow
	if pf.Policy != nil {
		rows = showRows(pf.Policy, keyLabeler(paths))
	}
	if g.json {
		writeJSON(a.stdout, struct {
			Policy string `json:"policy"`
			// Loadable is false when the runtime refuses policy.json
			// (every pull fails); Rules then say what it would do
			// once repaired, as far as the file could be read.
			Loadable bool      `json:"loadable"`
			Rules    []showRow `json:"rules"`
			Errors   int       `json:"errors"`
		}{pf.Path, !refused, rows, nErr})
		if nErr > 0 {
			return exitFindings
		}
		return exitOK
	}
	// Said first: nothing below is in force while the runtime refuses the
	// file.
	switch {
	case !pf.Exists:
		fmt.Fprintf(a.stdout, "%s does not exist: the runtime refuses every pull. %s (imgtrust lint lists them).\n", termsafe.String(pf.Path), plural(nErr, "error"))
	case pf.Policy == nil:
		fmt.Fprintf(a.stdout, "the runtime cannot load %s: every pull fails. %s (imgtrust lint lists them); the file cannot be read as JSON, so there is no rule to show.\n", termsafe.String(pf.Path), plural(nErr, "error"))
	case refused:
		fmt.Fprintf(a.stdout, "the runtime cannot load %s: every pull fails. %s (imgtrust lint lists them); the rules below are what the file says, not in force until repaired.\n\n", termsafe.String(pf.Path), plural(nErr, "error"))
	}
	if len(rows) > 0 {
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
	if nErr > 0 {
		if !refused {
			fmt.Fprintf(a.stdout, "\n%s on the node (key files, registries.d, the node's images): imgtrust lint lists them.\n", plural(nErr, "error"))
		}
		return exitFindings
	}
	return exitOK
}

// plural is "1 error", "2 errors".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
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
