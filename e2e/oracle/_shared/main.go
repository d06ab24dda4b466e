// Command oracle does what a pull does, with containers/image itself: it
// copies docker://IMAGE into a temporary dir: under the policy and the
// registries.d it is given, and exits 0 when the library accepted the
// image, 1 when it refused (printing the library's own error), 2 when the
// oracle itself could not run.
//
// It is the e2e suite's reference for imgtrust's verdicts under each
// OpenPGP mechanism. The one source is built against several library
// versions (e2e/oracle/v5.38, e2e/oracle/v5.42 link this file); the
// mechanism is chosen by build tags, so nothing here depends on it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/directory"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/types"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		policy    = flag.String("policy", "", "policy.json to load with signature.NewPolicyFromFile (required)")
		regd      = flag.String("registries.d", "", "registries.d directory (look-aside configuration)")
		regConf   = flag.String("registries-conf", "", "registries.conf (mirrors); default: none, not the host's")
		regConfD  = flag.String("registries-conf-d", "", "registries.conf.d directory; default: none, not the host's")
		tlsVerify = flag.Bool("tls-verify", true, "verify the registry's TLS certificate (false also allows plain HTTP)")
		timeout   = flag.Duration("timeout", 2*time.Minute, "give up after this long")
		info      = flag.Bool("version", false, "print the containers/image version and OpenPGP library linked, then exit")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s --policy FILE [--registries.d DIR] [--tls-verify=false] IMAGE\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if *info {
		fmt.Println(linked())
		return 0
	}
	if *policy == "" || flag.NArg() != 1 {
		flag.Usage()
		return 2
	}
	image := strings.TrimPrefix(flag.Arg(0), "docker://")

	tmp, err := os.MkdirTemp("", "imgtrust-oracle-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		return 2
	}
	defer os.RemoveAll(tmp)

	// Only the files we are given: the host's registries.conf, auth files
	// and blob-info cache would make the verdict depend on the machine. A
	// path set explicitly must exist, so the defaults are empty ones.
	emptyDir := filepath.Join(tmp, "empty.d")
	emptyConf := filepath.Join(tmp, "empty.conf")
	if err := os.Mkdir(emptyDir, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		return 2
	}
	if err := os.WriteFile(emptyConf, nil, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		return 2
	}
	sys := &types.SystemContext{
		SignaturePolicyPath: *policy,
		// No registries.d given: an empty one, the built-in default look-aside.
		RegistriesDirPath:           orDefault(*regd, emptyDir),
		SystemRegistriesConfPath:    orDefault(*regConf, emptyConf),
		SystemRegistriesConfDirPath: orDefault(*regConfD, emptyDir),
		AuthFilePath:                filepath.Join(tmp, "auth.json"),
		BlobInfoCacheDir:            filepath.Join(tmp, "cache"),
		DockerInsecureSkipTLSVerify: types.NewOptionalBool(!*tlsVerify),
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := pull(ctx, sys, image, filepath.Join(tmp, "image")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// pull is the runtime's path: the policy from its file, a policy context,
// and copy.Image from the registry into a local destination, which checks
// the policy and then copies the image's signatures along.
func pull(ctx context.Context, sys *types.SystemContext, image, dest string) error {
	pol, err := signature.NewPolicyFromFile(sys.SignaturePolicyPath)
	if err != nil {
		return fmt.Errorf("loading policy: %w", err)
	}
	pc, err := signature.NewPolicyContext(pol)
	if err != nil {
		return fmt.Errorf("policy context: %w", err)
	}
	defer func() { _ = pc.Destroy() }()

	src, err := docker.ParseReference("//" + image)
	if err != nil {
		return fmt.Errorf("parsing %q: %w", image, err)
	}
	dst, err := directory.NewReference(dest)
	if err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	_, err = copy.Image(ctx, pc, dst, src, &copy.Options{SourceCtx: sys, DestinationCtx: sys})
	return err
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// linked names the containers/image version and the OpenPGP code built in,
// from the binary's own build information (what `go version -m` shows).
func linked() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "no build information"
	}
	image, pgp := "?", "gpgme (GnuPG through cgo)"
	for _, m := range bi.Deps {
		switch m.Path {
		case "go.podman.io/image/v5":
			image = m.Version
		case "github.com/ProtonMail/go-crypto":
			if tagged(bi, "containers_image_openpgp") {
				pgp = "ProtonMail/go-crypto " + m.Version
			}
		case "golang.org/x/crypto":
			if tagged(bi, "containers_image_openpgp") && !strings.HasPrefix(pgp, "ProtonMail") {
				pgp = "x/crypto " + m.Version
			}
		}
	}
	return fmt.Sprintf("containers/image %s, OpenPGP: %s", image, pgp)
}

func tagged(bi *debug.BuildInfo, tag string) bool {
	for _, s := range bi.Settings {
		if s.Key == "-tags" {
			for _, t := range strings.Split(s.Value, ",") {
				if t == tag {
					return true
				}
			}
		}
	}
	return false
}
