package main

import (
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
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
	namespace := fs.String("namespace", "", "show the policy CRI-O uses for pods in Kubernetes namespace `NS`")
	setUsage(fs, "usage: imgtrust show [--namespace NS] [--json] [global flags]\n\nPrints the effective policy in plain words, one line per scope, then each\nper-namespace policy of CRI-O (crio.conf signature_policy_dir), which replaces\nit for pods in that namespace.\nErrors are counted as imgtrust lint --offline counts them; when the runtime\ncannot load policy.json, that is said first.\nExit 0: done; 1: lint --offline finds errors; 2: cannot run.")
	_, paths, code, ok := a.parseCommand("show", fs, &g, args, 0)
	if !ok {
		return code
	}
	det, _ := g.detectMechanism(paths)
	global := paths
	rule, inNamespace := "", ""
	if *namespace != "" {
		cfg, err := node.ReadCrioConfig(paths)
		if err != nil {
			fmt.Fprintln(a.stderr, "imgtrust show:", errText(err))
			return exitUsage
		}
		ch, err := node.ChoosePolicy(paths, cfg, *namespace, g.policy != "")
		if err != nil {
			fmt.Fprintln(a.stderr, "imgtrust show:", errText(err))
			return exitUsage
		}
		rule, paths.Policy = ch.Rule, ch.Host
		if ch.NamespaceFile {
			inNamespace = *namespace
		}
	}
	// The same diagnostics as lint --offline's (policy, key files,
	// registries.d, node facts, the node's images), so that both count
	// the same errors; show makes no network request. For a namespace's
	// own file: that file's, compared with the global policy.
	var pf *policyio.PolicyFile
	var diags model.Diagnostics
	var err error
	if inNamespace != "" {
		pf, diags, err = lintNamespace(global, det, inNamespace)
	} else {
		pf, diags, _, err = lintWithImages(paths, det, true)
	}
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust show:", errText(err))
		return exitUsage
	}
	var namespaces []showedNamespace
	if *namespace == "" {
		namespaces = showNamespaces(paths)
	}
	nErr := diags.Count(model.Error)
	refused := pf.LoadedPolicy() == nil
	var rows []showRow
	label := keyLabeler(paths)
	if pf.Policy != nil {
		rows = showRows(pf.Policy, label)
	}
	for i := range namespaces {
		if p := namespaces[i].policy; p != nil {
			namespaces[i].Rules = showRows(p, label)
		}
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
			// Namespaces are CRI-O's per-namespace policies, each of
			// which replaces this one for its namespace's pods.
			Namespaces []showedNamespace `json:"namespaces,omitempty"`
		}{pf.Path, !refused, rows, nErr, namespaces})
		if nErr > 0 {
			return exitFindings
		}
		return exitOK
	}
	if rule != "" {
		fmt.Fprintln(a.stdout, termsafe.String(rule))
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
	printShowRows(a, rows)
	for _, ns := range namespaces {
		fmt.Fprintf(a.stdout, "\nnamespace %s: %s (replaces the policy above for its pods)\n", termsafe.String(ns.Namespace), termsafe.String(ns.Policy))
		if !ns.Loadable {
			fmt.Fprintln(a.stdout, "  the runtime cannot load it: every pull for its pods fails (imgtrust lint lists why)")
		}
		printShowRows(a, ns.Rules)
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
func keyLabeler(paths node.Paths) model.KeyLabeler {
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

// showedNamespace is one CRI-O namespace policy in `imgtrust show`; its
// errors are in show's count (lint's namespace checks).
type showedNamespace struct {
	Namespace string    `json:"namespace"`
	Policy    string    `json:"policy"`
	Loadable  bool      `json:"loadable"`
	Rules     []showRow `json:"rules"`
	policy    *model.Policy
}

// showNamespaces reads each namespace policy for show.
func showNamespaces(paths node.Paths) []showedNamespace {
	cfg, err := node.ReadCrioConfig(paths)
	if err != nil {
		return nil // lint's node facts say why
	}
	list, _ := node.NamespacePolicies(paths, cfg)
	var out []showedNamespace
	for _, ns := range list {
		row := showedNamespace{Namespace: ns.Namespace, Policy: ns.Node}
		if pf, err := policyio.LoadPolicyFrom(paths.FS(), ns.Host); err == nil {
			row.policy, row.Loadable = pf.Policy, pf.LoadedPolicy() != nil
		}
		out = append(out, row)
	}
	return out
}

// printShowRows writes show's table; nothing for no rows.
func printShowRows(a *app, rows []showRow) {
	if len(rows) == 0 {
		return
	}
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
