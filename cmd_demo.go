package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/verify"
	"github.com/opencontainers/go-digest"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/kios/imgtrust/demo"
)

// runDemo builds a scratch node (policy, registries.d, keys, crio.conf)
// with an in-process registry and look-aside server on loopback, then
// opens the TUI on it; with --serve it only runs the servers for scripts.
func runDemo(a *app, args []string) int {
	fs := flag.NewFlagSet("imgtrust demo", flag.ContinueOnError)
	var g globalFlags
	g.register(fs)
	keep := fs.String("keep", "", "create the scratch root in `DIR` (new or empty) and keep it afterwards")
	serve := fs.Bool("serve", false, "only start the servers, print how to use them, and run until SIGINT/SIGTERM")
	setUsage(fs, "usage: imgtrust demo [--keep DIR] [--serve]\n\nOpens the TUI on a scratch node with a local registry and look-aside server.")
	pos, err := a.parseFlags(fs, args)
	if err == errHelp {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(pos) > 0 {
		fmt.Fprintf(a.stderr, "imgtrust demo: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	nodeFlag := ""
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "root", "policy", "registries.d", "keys-dir":
			nodeFlag = f.Name
		}
	})
	if nodeFlag != "" {
		// The demo never looks at a real node; say so rather than ignore it.
		fmt.Fprintf(a.stderr, "imgtrust demo: --%s does not apply: the demo makes its own scratch node (use --keep DIR to choose and keep it)\n", nodeFlag)
		return exitUsage
	}

	now := time.Now()
	trusted, trustedPub, err := demo.GenerateKey("imgtrust demo signer", now)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust demo:", errText(err))
		return exitIncomplete
	}
	unknown, _, err := demo.GenerateKey("someone else", now)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust demo:", errText(err))
		return exitIncomplete
	}

	// SIGINT/SIGTERM stop --serve; in TUI mode the TUI owns ctrl+c, and
	// SIGTERM still ends the wait below through the same context.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := demo.Start(ctx, demo.Options{
		Dir:              *keep,
		Keep:             *keep != "",
		Trusted:          demoSigner(trusted),
		Unknown:          demoSigner(unknown),
		TrustedPublicKey: trustedPub,
	})
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust demo:", errText(err))
		return exitIncomplete
	}
	defer func() {
		if err := d.Close(); err != nil {
			fmt.Fprintln(a.stderr, "imgtrust demo: stopping:", errText(err))
		}
		if *keep != "" {
			fmt.Fprintf(a.stdout, "scratch node kept in %s (imgtrust %s)\n", d.Root, d.Flags())
		}
	}()

	fmt.Fprint(a.stdout, d.Summary(g.ascii || a.getenv("TERM") == "linux"))
	if *serve {
		fmt.Fprintln(a.stdout)
		fmt.Fprint(a.stdout, d.Instructions())
		fmt.Fprintln(a.stdout, "\nserving; stop with ctrl+c or SIGTERM")
		<-ctx.Done()
		fmt.Fprintln(a.stdout, "stopping the demo servers")
		return exitOK
	}
	fmt.Fprint(a.stdout, d.Tour())
	if f, ok := a.stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(a.stdout, "press Enter to open the trust manager (nothing here touches the real node) ")
		line := make(chan struct{})
		go func() {
			_, _ = bufio.NewReader(f).ReadString('\n')
			close(line)
		}()
		select {
		case <-line:
		case <-ctx.Done():
			return exitOK
		}
	}
	tuiArgs := []string{"--root", d.Root, "--tls-verify=false"}
	if g.ascii {
		tuiArgs = append(tuiArgs, "--ascii")
	}
	var recent []string
	for _, im := range d.Images {
		recent = append(recent, im.Ref)
	}
	return openTUI(a, tuiArgs, func(deps *ui.Deps) {
		deps.Tour = d.TourSteps()
		// Newest last: ↑ in the Verify view starts from the first image.
		slices.Reverse(recent)
		deps.Recent = recent
	})
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// demoSigner adapts a demo key to demo.Signer: a simple-signing payload
// (verify.MarshalPayload) signed with gpg.Sign, as skopeo would sign it.
func demoSigner(e *openpgp.Entity) demo.Signer { return entitySigner{e} }

type entitySigner struct{ e *openpgp.Entity }

func (s entitySigner) Sign(identity string, d v1.Hash) ([]byte, error) {
	return gpg.Sign(s.e, verify.MarshalPayload(identity, digest.Digest(d.String())))
}
