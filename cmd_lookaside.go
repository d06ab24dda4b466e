package main

import (
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/termsafe"
	"github.com/opencontainers/go-digest"
)

const lookasideUsage = `usage: imgtrust lookaside list [--json]
       imgtrust lookaside explain IMAGE [--digest sha256:HEX] [--count N] [--json]
       imgtrust lookaside set SCOPE URL [--file NAME.yaml] [--staging] [CHANGE FLAGS]
       imgtrust lookaside remove SCOPE [CHANGE FLAGS]

Look-aside signature servers from registries.d (--registries.d, default
/etc/containers/registries.d under --root). SCOPE is a registry, namespace or
repository as in policy.json, or default-docker.
Change flags: --dry-run (print, write nothing), --json, --allow-weaken, --allow-lockout, --offline.
set and remove print the diff, the widening and the impact on the node's images
(an image whose signatures move is checked again), then write atomically with a backup.
Exit 0: done; 1: refused or problems found; 2: usage.`

func runLookaside(a *app, args []string) int {
	return a.runVerbs("lookaside", lookasideUsage, lookasideVerbs(), args)
}

func lookasideVerbs() []verb {
	edit := func(name string, n int) verb {
		return verb{name, n, n, func(fs *flag.FlagSet, g *globalFlags) func(*app, node.Paths, []string) int {
			file := fs.String("file", "", "file for a new section (default: named after the registry)")
			staging := fs.Bool("staging", false, "set lookaside-staging (for signing hosts) instead of lookaside")
			var cf changeFlags
			cf.registerApply(fs)
			return func(a *app, paths node.Paths, pos []string) int {
				return lookasideEdit(a, g, paths, name, pos, policyio.SetOptions{File: *file, Staging: *staging}, cf)
			}
		}}
	}
	return []verb{
		{"list", 0, 0, func(fs *flag.FlagSet, g *globalFlags) func(*app, node.Paths, []string) int {
			return func(a *app, paths node.Paths, _ []string) int { return lookasideList(a, g, paths) }
		}},
		{"explain", 1, 1, func(fs *flag.FlagSet, g *globalFlags) func(*app, node.Paths, []string) int {
			dg := fs.String("digest", "", "manifest digest to build the signature URLs for (default: a placeholder)")
			count := fs.Int("count", 3, "how many signature URLs to print")
			return func(a *app, paths node.Paths, pos []string) int {
				return lookasideExplain(a, g, paths, pos[0], *dg, *count)
			}
		}},
		edit("set", 2),
		edit("remove", 1),
	}
}

func loadLookasides(a *app, paths node.Paths) (*policyio.RegistriesD, model.Diagnostics) {
	rd, diags := policyio.LoadRegistriesDFrom(paths.FS(), paths.RegistriesD)
	pf, err := policyio.LoadPolicyFrom(paths.FS(), paths.Policy)
	if err == nil {
		diags = append(diags, policyio.CheckLookasides(rd, pf.Policy, paths)...)
	}
	return rd, diags.Sorted()
}

func lookasideList(a *app, g *globalFlags, paths node.Paths) int {
	rd, diags := loadLookasides(a, paths)
	entries := append([]*model.LookasideEntry{}, rd.Entries...)
	if rd.Default != nil {
		entries = append(entries, rd.Default)
	}
	if g.json {
		writeJSON(a.stdout, struct {
			Dir         string                  `json:"dir"`
			Entries     []*model.LookasideEntry `json:"entries"`
			Diagnostics model.Diagnostics       `json:"diagnostics"`
		}{paths.RegistriesD, entries, nonNil(diags)})
	} else {
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SCOPE\tLOOKASIDE\tATTACHMENTS\tFILE")
		for _, e := range entries {
			att := "-"
			if e.UseSigstoreAttachments != nil {
				att = fmt.Sprint(*e.UseSigstoreAttachments)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", termsafe.String(e.Scope), termsafe.String(orDash(e.ReadURL())), att, termsafe.String(e.Pos.String()))
		}
		tw.Flush()
		if len(entries) == 0 {
			fmt.Fprintf(a.stdout, "no look-aside configured: the runtime reads signatures from %s\n", model.BuiltinLookaside)
		}
		printDiagnostics(a.stdout, diags)
	}
	if diags.HasErrors() {
		return exitFindings
	}
	return exitOK
}

func nonNil(d model.Diagnostics) model.Diagnostics {
	if d == nil {
		return model.Diagnostics{}
	}
	return d
}

func lookasideExplain(a *app, g *globalFlags, paths node.Paths, image, dg string, count int) int {
	rd, diags := loadLookasides(a, paths)
	if diags.HasErrors() {
		printDiagnostics(a.stderr, diags)
		fmt.Fprintln(a.stderr, "imgtrust lookaside explain: registries.d is invalid: the runtime fails every pull")
		return exitUsage
	}
	ex, err := rd.Explain(image, digest.Digest(dg), count)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust lookaside explain:", errText(err))
		return exitUsage
	}
	ref, m, d, urls, placeholder := ex.Ref, ex.LookasideMatch, ex.Digest, ex.URLs, ex.Placeholder
	if g.json {
		writeJSON(a.stdout, struct {
			Image string `json:"image"`
			policyio.LookasideMatch
			Digest string   `json:"digest"`
			URLs   []string `json:"urls"`
		}{ref.String(), m, d.String(), urls})
		return exitOK
	}
	fmt.Fprintf(a.stdout, "image      %s\nidentity   %s\nsection    %s\nwhy        %s\nbase URL   %s\ntried      %s\n",
		termsafe.String(ref.String()), termsafe.String(policyio.DockerIdentity(ref)), termsafe.String(orDash(m.Scope)), termsafe.String(m.Why), termsafe.String(m.BaseURL), termsafe.String(strings.Join(m.Tried, ", ")))
	if m.UseSigstoreAttachments {
		fmt.Fprintln(a.stdout, "also reads sigstore attachments (sha256-<hex>.sig) from the registry")
	}
	if placeholder {
		fmt.Fprintln(a.stdout, "\nsignature URLs (give --digest, or explain IMAGE@sha256:..., for the real manifest digest):")
	} else {
		fmt.Fprintf(a.stdout, "\nsignature URLs for %s:\n", termsafe.String(d.String()))
	}
	for _, u := range urls {
		fmt.Fprintln(a.stdout, "  "+termsafe.String(u))
	}
	fmt.Fprintln(a.stdout, "the runtime reads them in order and stops at the first one that does not exist")
	return exitOK
}

func lookasideEdit(a *app, g *globalFlags, paths node.Paths, verb string, pos []string, opt policyio.SetOptions, cf changeFlags) int {
	name := "lookaside " + verb
	ws, err := openChange(g, paths)
	if err != nil {
		fmt.Fprintf(a.stderr, "imgtrust %s: %s\n", name, errText(err))
		return exitUsage
	}
	if _, diags := ws.StagedRegistries(); diags.HasErrors() {
		printDiagnostics(a.stderr, diags)
		fmt.Fprintf(a.stderr, "imgtrust %s: fix registries.d first; nothing was written\n", name)
		return exitFindings
	}
	summary := "remove lookaside " + pos[0]
	if verb == "set" {
		summary = fmt.Sprintf("lookaside %s -> %s", pos[0], pos[1])
	}
	if err := ws.StageRegistries(summary, func(rd *policyio.RegistriesD) ([]policyio.FileChange, error) {
		if verb == "set" {
			return rd.Set(pos[0], pos[1], opt)
		}
		return rd.Remove(pos[0])
	}); err != nil {
		return a.notStaged(g, name, summary, paths, err, "")
	}
	r := &changeRun{a: a, g: g, name: name, paths: paths, ws: ws, summary: summary, cf: cf,
		nothing: "registries.d already says this: nothing to do"}
	return r.run()
}
