package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/termsafe"
	"github.com/kios/imgtrust/verify"
)

const verifyUsage = `usage: imgtrust verify [global flags] [--tls-verify=false] [--authfile FILE] [--creds USER:PASS]
                      [--platform OS/ARCH] [--timeout D] [--short-name-mode MODE] [--namespace NS] [--json] IMAGE
       imgtrust verify --from FILE|- [--jobs N] [--json] ...

Tells whether the node's runtime would accept IMAGE (docker://REF, REF or dir:PATH), and why.
Mirrors and blocked registries come from registries.conf (--registries-conf); a short name
(nginx, team/app) is resolved as CRI-O does and every candidate is checked.
With --namespace, for a pod in that Kubernetes namespace: CRI-O then uses
<signature_policy_dir>/NS.json if it exists, else the global policy.
Exit 0: accepted; 1: rejected; 2: the policy or registries.d is invalid, or bad arguments;
3: the check could not finish (registry or look-aside unreachable, timeout).`

type verifyFlags struct {
	tlsVerify             bool
	authfile, creds, plat string
	from                  string
	namespace             string
	jobs                  int
	timeout               time.Duration
	shortNameMode         string
}

func runVerify(a *app, args []string) int {
	var g globalFlags
	var o verifyFlags
	fs := flag.NewFlagSet("imgtrust verify", flag.ContinueOnError)
	g.register(fs)
	fs.BoolVar(&o.tlsVerify, "tls-verify", true, "verify registry TLS certificates and require https (false: allow plain http and self-signed)")
	fs.StringVar(&o.authfile, "authfile", "", "registry credentials file (containers auth.json or docker config.json)")
	fs.StringVar(&o.creds, "creds", "", "registry credentials `USER:PASSWORD`")
	fs.StringVar(&o.plat, "platform", "", "platform of an image index to check, `OS/ARCH` (default: this machine's)")
	fs.StringVar(&o.from, "from", "", "check every reference in `FILE` (one a line, - for stdin)")
	fs.IntVar(&o.jobs, "jobs", 8, "how many images --from checks at once")
	fs.StringVar(&o.namespace, "namespace", "", "check as CRI-O pulls for a pod in Kubernetes namespace `NS` (its policy in crio.conf's signature_policy_dir, if any)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "limit for each network step")
	fs.StringVar(&o.shortNameMode, "short-name-mode", "", "CRI-O's short_name_mode, `enforcing` or `disabled` (default: crio.conf's under --root)")
	setUsage(fs, verifyUsage)
	rest, paths, code, ok := a.parseCommand("verify", fs, &g, args, 1)
	if !ok {
		return code
	}
	if (o.from == "") == (len(rest) == 0) {
		fmt.Fprintln(a.stderr, verifyUsage)
		return exitUsage
	}
	det, err := g.detectMechanism(paths)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust verify:", errText(err))
		return exitUsage
	}
	mech := det.Mechanism
	if g.mechanism == "" || g.mechanism == "auto" {
		mech = "" // verify detects it and reports how
	}
	opts := verify.Options{
		Paths: paths, Mechanism: mech, TLSVerify: o.tlsVerify, AuthFile: o.authfile, Creds: o.creds,
		Platform: o.plat, Timeout: o.timeout, RuntimeVersion: g.runtimeVersion,
	}
	if o.namespace != "" {
		if err := namespaceOptions(&opts, o.namespace, g.policy != ""); err != nil {
			fmt.Fprintln(a.stderr, "imgtrust verify --namespace:", errText(err))
			return exitUsage
		}
	}
	v, err := verify.New(opts)
	var inv *verify.InvalidConfigError
	if errors.As(err, &inv) {
		printDiagnostics(a.stderr, inv.Diags.Sorted())
		if o.namespace != "" {
			// The file is the namespace's: only its pods' pulls fail.
			fmt.Fprintf(a.stderr, "imgtrust verify: the policy CRI-O uses for namespace %s is invalid (%d error(s)): every pull for its pods fails; run imgtrust lint\n",
				termsafe.String(o.namespace), inv.Diags.Count(model.Error))
			return exitUsage
		}
		fmt.Fprintln(a.stderr, "imgtrust verify:", errText(err))
		return exitUsage
	}
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust verify:", errText(err))
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if o.from != "" {
		return verifyBatch(ctx, a, &g, v, o)
	}
	if verify.IsShortName(rest[0]) {
		return verifyShortName(ctx, a, &g, v, paths, o, rest[0])
	}
	res, err := v.Verify(ctx, rest[0])
	if errors.As(err, &inv) {
		printDiagnostics(a.stderr, inv.Diags.Sorted())
	}
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust verify:", errText(err))
		return exitUsage
	}
	if g.json {
		writeJSON(a.stdout, res)
	} else {
		verify.RenderText(a.stdout, res, g.ascii || asciiTerminal(a))
	}
	return verdictCode(res)
}

func verdictCode(res *verify.Result) int {
	switch {
	case res.Incomplete:
		return exitIncomplete
	case res.Accepted:
		return exitOK
	}
	return exitFindings
}

// asciiTerminal reports a console that cannot draw the Unicode marks.
func asciiTerminal(a *app) bool { return a.getenv("TERM") == "linux" }

// batchRow is one line of `verify --from`.
type batchRow struct {
	Image   string         `json:"image"`
	Verdict string         `json:"verdict"`
	Summary string         `json:"summary"`
	Result  *verify.Result `json:"result,omitempty"`
}

func verifyBatch(ctx context.Context, a *app, g *globalFlags, v *verify.Verifier, o verifyFlags) int {
	var r io.Reader = a.stdin
	if o.from != "-" {
		f, err := os.Open(o.from)
		if err != nil {
			fmt.Fprintln(a.stderr, "imgtrust verify --from:", errText(err))
			return exitUsage
		}
		defer f.Close()
		r = f
	}
	var images []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			images = append(images, line)
		}
	}
	if err := sc.Err(); err != nil {
		// A line the scanner cannot hold ends the list early: checking only
		// the lines before it would report a partial batch as complete.
		fmt.Fprintln(a.stderr, "imgtrust verify --from:", errText(err))
		return exitUsage
	}
	rows := make([]batchRow, len(images))
	sem := make(chan struct{}, max(o.jobs, 1))
	var wg sync.WaitGroup
	for i, img := range images {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, img string) {
			defer func() { <-sem; wg.Done() }()
			rows[i] = batchRow{Image: img}
			res, err := v.Verify(ctx, img)
			switch {
			case err != nil:
				rows[i].Verdict, rows[i].Summary = "invalid", err.Error()
			case res.Incomplete:
				rows[i].Verdict, rows[i].Summary = "incomplete", res.Summary
			case res.Accepted:
				rows[i].Verdict, rows[i].Summary = "accepted", res.Summary
			default:
				rows[i].Verdict, rows[i].Summary = "rejected", res.Summary
			}
			if g.json {
				rows[i].Result = res
			}
		}(i, img)
	}
	wg.Wait()
	counts := map[string]int{}
	for _, row := range rows {
		counts[row.Verdict]++
	}
	if g.json {
		writeJSON(a.stdout, rows)
	} else {
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERDICT\tIMAGE\tWHY")
		for _, row := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", row.Verdict, termsafe.String(row.Image), termsafe.String(row.Summary))
		}
		tw.Flush()
		fmt.Fprintf(a.stdout, "\n%d accepted, %d rejected, %d incomplete, %d invalid\n", counts["accepted"], counts["rejected"], counts["incomplete"], counts["invalid"])
	}
	switch {
	case counts["rejected"] > 0:
		return exitFindings
	case counts["incomplete"] > 0:
		return exitIncomplete
	case counts["invalid"] > 0:
		return exitUsage
	}
	return exitOK
}

// namespaceOptions points opts at the policy CRI-O uses for a pod in
// namespace (node.ChoosePolicy) and says why in every trace.
func namespaceOptions(opts *verify.Options, namespace string, explicit bool) error {
	cfg, err := node.ReadCrioConfig(opts.Paths)
	if err != nil {
		return err
	}
	ch, err := node.ChoosePolicy(opts.Paths, cfg, namespace, explicit)
	if err != nil {
		return err
	}
	opts.Paths.Policy = ch.Host
	opts.PolicyLabel = fmt.Sprintf("%s for namespace %s", ch.Node, namespace)
	opts.Notes = append(opts.Notes, ch.Rule)
	if ch.RecheckAtCreate {
		opts.Notes = append(opts.Notes, "CRI-O 1.31 and later check this policy again when a container is created from the stored image")
	}
	return nil
}

// verifyShortName checks every candidate CRI-O resolves a short name to,
// in the mode crio.conf sets (or --short-name-mode).
func verifyShortName(ctx context.Context, a *app, g *globalFlags, v *verify.Verifier, paths node.Paths, o verifyFlags, name string) int {
	mode, source := o.shortNameMode, "--short-name-mode"
	switch mode {
	case "":
		cfg, err := node.ReadCrioConfig(paths)
		if err != nil {
			fmt.Fprintln(a.stderr, "imgtrust verify:", errText(err))
			return exitUsage
		}
		mode, source = cfg.ShortNameMode, "CRI-O's default"
		if len(cfg.Sources) > 0 {
			source = "crio.conf " + paths.Node(cfg.Sources[len(cfg.Sources)-1])
		}
		if mode == "" {
			source += ", short_name_mode unset"
		}
	case "enforcing", "disabled":
	default:
		// pkg/config: ImageConfig.Validate.
		fmt.Fprintf(a.stderr, "imgtrust verify: invalid short name mode %q: want enforcing or disabled\n", mode)
		return exitUsage
	}
	sr, err := v.VerifyShortName(ctx, name, mode, source)
	if err != nil {
		fmt.Fprintln(a.stderr, "imgtrust verify:", errText(err))
		return exitUsage
	}
	if g.json {
		writeJSON(a.stdout, sr)
	} else {
		verify.RenderShortName(a.stdout, sr, g.ascii || asciiTerminal(a))
	}
	switch {
	case sr.Incomplete:
		return exitIncomplete
	case sr.Accepted:
		return exitOK
	}
	return exitFindings
}
