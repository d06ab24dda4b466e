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
	setUsage(fs, "usage: imgtrust show [--namespace NS] [--json] [global flags]\n\nPrints the effective policy in plain words, one line per scope, then each\nper-namespace policy of CRI-O (crio.conf signature_policy_dir), which replaces\nit for pods in that namespace.\nExit 0: done; 1: a policy has errors (the runtime refuses it); 2: cannot run.")
	_, paths, code, ok := a.parseCommand("show", fs, &g, args, 0)
	if !ok {
		return code
	}
	var namespaces []node.NamespacePolicy
	cfg, cfgErr := node.ReadCrioConfig(paths)
	switch {
	case *namespace != "":
		if cfgErr != nil {
			fmt.Fprintln(a.stderr, "imgtrust show:", errText(cfgErr))
			return exitUsage
		}
		ch, err := node.ChoosePolicy(paths, cfg, *namespace, g.policy != "")
		if err != nil {
			fmt.Fprintln(a.stderr, "imgtrust show:", errText(err))
			return exitUsage
		}
		paths.Policy = ch.Host
		if !g.json {
			fmt.Fprintln(a.stdout, termsafe.String(ch.Rule))
		}
	case cfgErr == nil:
		namespaces, _ = node.NamespacePolicies(paths, cfg)
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
	label := keyLabeler(paths)
	rows := showRows(pf.Policy, label)
	nsShown := showNamespaces(a, paths, namespaces, label)
	if g.json {
		writeJSON(a.stdout, struct {
			Policy     string            `json:"policy"`
			Rules      []showRow         `json:"rules"`
			Errors     int               `json:"errors"`
			Namespaces []namespaceShowed `json:"namespaces,omitempty"`
		}{pf.Path, rows, pf.Diags.Count(model.Error), nsShown})
	} else {
		printShowRows(a, rows)
		for _, ns := range nsShown {
			fmt.Fprintf(a.stdout, "\nnamespace %s: %s (replaces the policy above for its pods)\n", termsafe.String(ns.Namespace), termsafe.String(ns.Policy))
			if ns.Rules == nil {
				fmt.Fprintln(a.stdout, "  cannot be read: every pull for its pods fails (run imgtrust lint)")
				continue
			}
			printShowRows(a, ns.Rules)
		}
	}
	code = exitOK
	if n := pf.Diags.Count(model.Error); n > 0 {
		fmt.Fprintf(a.stderr, "\nwarning: %s has %d error(s): the runtime refuses it and every pull fails (run imgtrust lint)\n", termsafe.String(pf.Path), n)
		code = exitFindings
	}
	for _, ns := range nsShown {
		if ns.Errors > 0 {
			fmt.Fprintf(a.stderr, "warning: %s has %d error(s): every pull for pods in namespace %s fails (run imgtrust lint)\n", termsafe.String(ns.Policy), ns.Errors, termsafe.String(ns.Namespace))
			code = exitFindings
		}
	}
	return code
}

// namespaceShowed is one per-namespace policy in `imgtrust show`.
type namespaceShowed struct {
	Namespace string    `json:"namespace"`
	Policy    string    `json:"policy"`
	Rules     []showRow `json:"rules"`
	Errors    int       `json:"errors"`
}

// showNamespaces reads each namespace policy for show; one that cannot be
// parsed has no rules and counts its errors.
func showNamespaces(a *app, paths policyio.Paths, list []node.NamespacePolicy, label model.KeyLabeler) []namespaceShowed {
	var out []namespaceShowed
	for _, ns := range list {
		row := namespaceShowed{Namespace: ns.Namespace, Policy: ns.Node}
		pf, err := policyio.LoadPolicyFrom(paths.FS(), ns.Host)
		switch {
		case err != nil:
			row.Errors = 1
		case pf.Policy != nil:
			row.Rules = showRows(pf.Policy, label)
			row.Errors = pf.Diags.Count(model.Error)
		default:
			row.Errors = max(1, pf.Diags.Count(model.Error))
		}
		out = append(out, row)
	}
	return out
}

func printShowRows(a *app, rows []showRow) {
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
