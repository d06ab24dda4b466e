package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/workspace"
)

// runTUI opens the interactive trust manager on the node's files.
func runTUI(a *app, args []string) int {
	var g globalFlags
	fs := flag.NewFlagSet("imgtrust tui", flag.ContinueOnError)
	g.register(fs)
	rest, ok := a.parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	if len(rest) > 0 {
		fmt.Fprintf(a.stderr, "imgtrust: unexpected argument %q\n", rest[0])
		return exitUsage
	}
	if g.json {
		fmt.Fprintln(a.stderr, "imgtrust: --json needs a command (lint, show, keys, lookaside, verify)")
		return exitUsage
	}
	paths, err := g.paths()
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust:", err)
		return exitUsage
	}
	// Bubble Tea would open /dev/tty when stdout is a pipe; a script that
	// runs plain `imgtrust` must get an error instead of a hung TUI.
	if !term.IsTerminal(os.Stdout.Fd()) || !term.IsTerminal(os.Stdin.Fd()) {
		fmt.Fprintln(a.stderr, "imgtrust: the trust manager needs a terminal; use a command (imgtrust help) in scripts")
		return exitUsage
	}
	ws, err := workspace.Open(paths)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust:", err)
		return exitUsage
	}
	deps := ui.Deps{
		Paths:  paths,
		Policy: ws,
		// Keys, Lookaside and Verifier are wired here as the gpg, policyio
		// look-aside and verify packages land.
		NodeImages: func() []string { return nodeImages(paths.Root) },
		ASCII:      g.ascii || a.getenv("TERM") == "linux",
	}
	p := tea.NewProgram(ui.New(deps))
	if _, err := p.Run(); err != nil {
		fmt.Fprintln(a.stderr, "imgtrust:", err)
		return exitUsage
	}
	return exitOK
}

// defaultPauseImage is what kiOS's CRI-O uses when crio.conf sets none.
const defaultPauseImage = "registry.k8s.io/pause"

// nodeImages lists the images a node relies on for the setup wizard's
// impact check: the pause image first (crio.conf, then the drop-ins in
// name order, the last setting winning, as CRI-O reads them).
func nodeImages(root string) []string {
	pause := defaultPauseImage
	files := []string{filepath.Join(root, "etc/crio/crio.conf")}
	drop, _ := filepath.Glob(filepath.Join(root, "etc/crio/crio.conf.d/*.conf"))
	sort.Strings(drop)
	for _, f := range append(files, drop...) {
		if v := pauseImageIn(f); v != "" {
			pause = v
		}
	}
	return []string{pause}
}

// pauseImageIn reads `pause_image = "…"` from a crio TOML file; a full TOML
// parser is not needed for one string key.
func pauseImageIn(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	found := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) != "pause_image" {
			continue
		}
		v = strings.TrimSpace(v)
		if i := strings.Index(v, " #"); i > 0 {
			v = strings.TrimSpace(v[:i])
		}
		if s, err := strconv.Unquote(v); err == nil {
			found = s
		} else if strings.HasPrefix(v, "'") && strings.HasSuffix(v, "'") && len(v) >= 2 {
			found = v[1 : len(v)-1]
		}
	}
	return found
}
