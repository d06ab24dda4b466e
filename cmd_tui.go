package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/impact"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/workspace"
)

// runTUI opens the interactive trust manager on the node's files.
func runTUI(a *app, args []string) int { return openTUI(a, args) }

// openTUI opens the trust manager; extras adjust what the demo shows.
func openTUI(a *app, args []string, extras ...func(*ui.Deps)) int {
	var g globalFlags
	fs := flag.NewFlagSet("imgtrust tui", flag.ContinueOnError)
	g.register(fs)
	tlsVerify := fs.Bool("tls-verify", true, "verify registry TLS when checking images (false: allow plain http, as for the demo registry)")
	namespace := fs.String("namespace", "", "edit the CRI-O policy of Kubernetes namespace `NS` (<signature_policy_dir>/NS.json) instead of the global one (P switches in the TUI)")
	setUsage(fs, "usage: imgtrust [tui] [--tls-verify=false] [--namespace NS] [global flags]\n\nOpens the interactive trust manager on the node (the default command).")
	_, paths, code, ok := a.parseCommand("tui", fs, &g, args, 0)
	if !ok {
		return code
	}
	if g.json {
		fmt.Fprintln(a.stderr, "imgtrust: --json needs a command (lint, show, keys, lookaside, verify)")
		return exitUsage
	}
	// Bubble Tea would open /dev/tty when stdout is a pipe; a script that
	// runs plain `imgtrust` must get an error instead of a hung TUI.
	if !term.IsTerminal(os.Stdout.Fd()) || !term.IsTerminal(os.Stdin.Fd()) {
		fmt.Fprintln(a.stderr, "imgtrust: the trust manager needs a terminal; use a command (imgtrust help) in scripts")
		return exitUsage
	}
	// One session per policy file: the switcher (P) ends a session with
	// the file chosen, and the next one opens on it.
	ns := *namespace
	for {
		next, code, again := tuiSession(a, &g, paths, ns, *tlsVerify, extras)
		if !again {
			return code
		}
		ns = next
	}
}

// tuiSession runs the trust manager on one policy file: the global one,
// or namespace's CRI-O policy. again: the admin switched to the policy of
// next ("" for the global one).
func tuiSession(a *app, g *globalFlags, global node.Paths, namespace string, tlsVerify bool, extras []func(*ui.Deps)) (next string, code int, again bool) {
	ws, err := openWorkspace(global, namespace)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust:", errText(err))
		return "", exitUsage, false
	}
	paths := ws.Paths
	det, _ := g.detectMechanism(paths)
	deps := tuiDeps(paths, ws, det, tlsVerify, g.ascii || a.getenv("TERM") == "linux")
	for _, x := range extras {
		x(&deps)
	}
	p := tea.NewProgram(ui.New(deps))
	final, err := p.Run()
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust:", errText(err))
		return "", exitUsage, false
	}
	if m, ok := final.(*ui.Model); ok {
		if c, ok := m.SwitchTo(); ok {
			return c.Namespace, exitOK, true
		}
	}
	return "", exitOK, false
}

// tuiDeps wires the TUI to the domain packages over one workspace: the
// policy session and its change set, keys and look-aside staged into it,
// verification and the impact checks.
func tuiDeps(paths node.Paths, ws *workspace.Workspace, det gpg.Detection, tlsVerify, ascii bool) ui.Deps {
	ws.Inspect = keyInspector(det.Mechanism)
	ws.Runtime = registriesRuntime(det)
	ws.Mechanism = det.Mechanism
	global := ws.GlobalPaths()
	shadowRunner := tuiShadowRunner{paths: global, tlsVerify: tlsVerify}
	d := ui.Deps{
		Rules:     policyio.Rules{},
		Paths:     paths,
		Policy:    ws,
		Keys:      tuiKeys{paths: paths, ws: ws, mech: det.Mechanism},
		Lookaside: tuiLookaside{paths: paths, ws: ws},
		Verifier:  tuiVerifier{paths: paths, global: global, ws: ws, mech: det.Mechanism, tlsVerify: tlsVerify, ascii: ascii},
		Impact: tuiImpact{impact.NewChecker(impact.Options{Paths: paths, Mechanism: det.Mechanism,
			TLSVerify: tlsVerify, Timeout: 15 * time.Second})},
		// The save review's impact is decided without the network: what
		// the policy alone decides (a lockout by reject, a missing key) is
		// known at once; an image that needs its signatures is "not
		// checked", never a lockout.
		SaveImpact: func(rev *workspace.Review) *impact.Report {
			return reviewImpact(context.Background(), paths, det, ws, rev, true)
		},
		// Then the review fetches the signatures of the images the
		// offline check left open, in a tea.Cmd, with the same checker as
		// lint: rejected online is a lockout, unreachable stays not
		// checked.
		SaveImpactOnline: func(rev *workspace.Review) func(context.Context) *impact.Report {
			return reviewImpactCheck(paths, det, ws, rev, false, tlsVerify)
		},
		NodeImages: func() []string {
			// The pause image comes first even when the image list is
			// unreadable; the wizard checks what it has. A namespace
			// policy never judges it (workspace.ImagesFor).
			imgs, _ := node.ReadNodeImages(paths)
			var refs []string
			for _, img := range ws.ImagesFor(imgs) {
				if img.Role != node.RoleContainer {
					refs = append(refs, img.Ref)
				}
			}
			return refs
		},
		PolicyFiles: func() ([]ui.PolicyChoice, error) { return policyChoices(global, ws.Namespace) },
		ASCII:       ascii,
		KeyFiles:    tuiKeyFiles{paths: paths, mech: det.Mechanism},
		Shadow:      &tuiShadow{paths: paths, runner: shadowRunner},
		Trial:       tuiTrial{paths: paths},
	}
	// The shadow soaks a candidate in place of the node's global policy:
	// it has no namespace policies, so a namespace's is not offered.
	if ws.Namespace == "" {
		d.ShadowRunner = shadowRunner
		// As lint, a namespace policy judges no node image: the pause
		// image is pulled with the global policy, and which pods use the
		// others is not known.
		d.NodeImageProblems = func() func() model.Diagnostics { return tuiImageProblems(paths, det, ws) }
	}
	return d
}

// policyChoices lists the global policy and each CRI-O namespace policy
// for the TUI's switcher, marking the one edited (namespace).
func policyChoices(global node.Paths, namespace string) ([]ui.PolicyChoice, error) {
	cfg, err := node.ReadCrioConfig(global)
	if err != nil {
		return nil, err
	}
	list, err := node.NamespacePolicies(global, cfg)
	if err != nil {
		return nil, err
	}
	out := []ui.PolicyChoice{{File: global.Node(global.Policy), Current: namespace == ""}}
	for _, ns := range list {
		out = append(out, ui.PolicyChoice{Namespace: ns.Namespace, File: ns.Node, Current: ns.Namespace == namespace})
	}
	return out, nil
}
