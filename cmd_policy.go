package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/termsafe"
)

const policyUsage = `usage: imgtrust policy default reject|accept|signed-by|sigstore-signed|signed-base-layer [RULE FLAGS] [CHANGE FLAGS]
       imgtrust policy set SCOPE RULE FLAGS [--transport T] [CHANGE FLAGS]
       imgtrust policy remove SCOPE [--transport T] [CHANGE FLAGS]

Rule (exactly one kind):
  --reject | --accept (insecureAcceptAnything)
  --signed-by KEY (repeatable: several keys become keyPaths; --embed writes keyData)
  sigstoreSigned: --sigstore-key FILE (repeatable) | --fulcio-ca FILE --oidc-issuer URL --subject-email E
                  | --pki-roots FILE [--pki-intermediates FILE] [--pki-subject-email E] [--pki-subject-hostname H]
                  [--rekor-key FILE]
  --signed-base-layer (with --identity for its baseLayerIdentity)
Identity (signedBy, sigstoreSigned, signedBaseLayer):
  --identity matchRepoDigestOrExact|matchRepository|matchExact
  --identity exactReference --identity-ref REF
  --identity exactRepository --identity-repo REPO
  --identity remapIdentity --prefix P --signed-prefix S
Change flags: --dry-run (print, write nothing), --json, --allow-weaken, --allow-lockout, --offline,
  --namespace NS (CRI-O's policy for pods in namespace NS instead of the global one)

Every change prints its diff, how it widens trust and its impact on the node's
images, then writes policy.json atomically with a backup, unless it widens trust
(needs --allow-weaken) or makes the pause image unpullable (needs --allow-lockout).
Exit 0: applied or nothing to do; 1: refused or invalid result; 2: usage.`

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// ruleFlags describe one requirement.
type ruleFlags struct {
	reject, accept, embed, baseLayer                   bool
	signedBy, sigstoreKeys                             stringList
	identity, identityRef, identityRepo, prefix, sPref string
	fulcioCA, oidcIssuer, subjectEmail, rekorKey       string
	pkiRoots, pkiInter, pkiEmail, pkiHost              string
}

func (r *ruleFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&r.reject, "reject", false, "reject every image")
	fs.BoolVar(&r.accept, "accept", false, "accept every image without a signature check (insecureAcceptAnything)")
	fs.Var(&r.signedBy, "signed-by", "require an OpenPGP signature by the key in this node `FILE` (repeatable)")
	fs.BoolVar(&r.embed, "embed", false, "write the --signed-by keys into policy.json (keyData) instead of their paths")
	fs.BoolVar(&r.baseLayer, "signed-base-layer", false, "signedBaseLayer (the runtime rejects every image under it)")
	fs.Var(&r.sigstoreKeys, "sigstore-key", "sigstoreSigned: public key `FILE` (repeatable)")
	fs.StringVar(&r.fulcioCA, "fulcio-ca", "", "sigstoreSigned: Fulcio CA `FILE`")
	fs.StringVar(&r.oidcIssuer, "oidc-issuer", "", "sigstoreSigned with Fulcio: OIDC issuer URL")
	fs.StringVar(&r.subjectEmail, "subject-email", "", "sigstoreSigned with Fulcio: subject email")
	fs.StringVar(&r.rekorKey, "rekor-key", "", "sigstoreSigned: Rekor public key `FILE`")
	fs.StringVar(&r.pkiRoots, "pki-roots", "", "sigstoreSigned with PKI: CA roots `FILE`")
	fs.StringVar(&r.pkiInter, "pki-intermediates", "", "sigstoreSigned with PKI: CA intermediates `FILE`")
	fs.StringVar(&r.pkiEmail, "pki-subject-email", "", "sigstoreSigned with PKI: subject email")
	fs.StringVar(&r.pkiHost, "pki-subject-hostname", "", "sigstoreSigned with PKI: subject hostname")
	fs.StringVar(&r.identity, "identity", "", "signedIdentity `TYPE` (default matchRepoDigestOrExact)")
	fs.StringVar(&r.identityRef, "identity-ref", "", "exactReference: the dockerReference")
	fs.StringVar(&r.identityRepo, "identity-repo", "", "exactRepository: the dockerRepository")
	fs.StringVar(&r.prefix, "prefix", "", "remapIdentity: prefix")
	fs.StringVar(&r.sPref, "signed-prefix", "", "remapIdentity: signedPrefix")
}

func (r *ruleFlags) sigstore() bool {
	return len(r.sigstoreKeys) > 0 || r.fulcioCA != "" || r.pkiRoots != "" || r.oidcIssuer != "" || r.subjectEmail != "" ||
		r.rekorKey != "" || r.pkiInter != "" || r.pkiEmail != "" || r.pkiHost != ""
}

// kinds lists the rule kinds the flags ask for.
func (r *ruleFlags) kinds() []model.RequirementType {
	var out []model.RequirementType
	add := func(on bool, t model.RequirementType) {
		if on {
			out = append(out, t)
		}
	}
	add(r.reject, model.Reject)
	add(r.accept, model.InsecureAcceptAnything)
	add(len(r.signedBy) > 0, model.SignedBy)
	add(r.sigstore(), model.SigstoreSigned)
	add(r.baseLayer, model.SignedBaseLayer)
	return out
}

// identity builds the signedIdentity the flags ask for; nil for the
// default. The error is a usage error.
func (r *ruleFlags) identityValue() (*model.Identity, error) {
	if r.identity == "" {
		if r.identityRef != "" || r.identityRepo != "" || r.prefix != "" || r.sPref != "" {
			return nil, fmt.Errorf("--identity-ref, --identity-repo, --prefix and --signed-prefix need --identity")
		}
		return nil, nil
	}
	id := &model.Identity{Type: model.IdentityType(r.identity)}
	known := false
	for _, t := range model.IdentityTypes {
		known = known || t == id.Type
	}
	if !known {
		return nil, fmt.Errorf("--identity %q: one of %v", r.identity, model.IdentityTypes)
	}
	want := map[model.IdentityType][]string{model.ExactReference: {"identity-ref"}, model.ExactRepository: {"identity-repo"}, model.RemapIdentity: {"prefix", "signed-prefix"}}
	given := map[string]string{"identity-ref": r.identityRef, "identity-repo": r.identityRepo, "prefix": r.prefix, "signed-prefix": r.sPref}
	for name, v := range given {
		needed := false
		for _, w := range want[id.Type] {
			needed = needed || w == name
		}
		if needed && v == "" {
			return nil, fmt.Errorf("--identity %s needs --%s", id.Type, name)
		}
		if !needed && v != "" {
			return nil, fmt.Errorf("--%s does not apply to --identity %s", name, id.Type)
		}
	}
	id.DockerReference, id.DockerRepository, id.Prefix, id.SignedPrefix = r.identityRef, r.identityRepo, r.prefix, r.sPref
	return id, nil
}

// requirement builds the one requirement the flags describe. A usage
// error (no kind, two kinds, a flag that does not apply) is errUsage; a
// key file that cannot be embedded is another error.
func (r *ruleFlags) requirement(paths node.Paths, word string) (*model.Requirement, error) {
	kinds := r.kinds()
	switch word {
	case "":
	case "reject":
		kinds = append(kinds, model.Reject)
		r.reject = true
	case "accept":
		kinds = append(kinds, model.InsecureAcceptAnything)
		r.accept = true
	case "signed-by", "sigstore-signed", "signed-base-layer":
		want := map[string]model.RequirementType{"signed-by": model.SignedBy, "sigstore-signed": model.SigstoreSigned, "signed-base-layer": model.SignedBaseLayer}[word]
		if word == "signed-base-layer" && !r.baseLayer {
			r.baseLayer = true
			kinds = append(kinds, model.SignedBaseLayer)
		}
		if len(kinds) != 1 || kinds[0] != want {
			return nil, usageErr("%s needs its flags (%s) and no other rule", word, map[string]string{"signed-by": "--signed-by KEY", "sigstore-signed": "--sigstore-key, --fulcio-ca or --pki-roots"}[word])
		}
	default:
		return nil, usageErr("unknown rule %q: reject, accept, signed-by, sigstore-signed or signed-base-layer", word)
	}
	if len(kinds) != 1 {
		return nil, usageErr("give exactly one rule (--reject, --accept, --signed-by, sigstore flags or --signed-base-layer), not %d", len(kinds))
	}
	id, err := r.identityValue()
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if r.embed && len(r.signedBy) == 0 {
		return nil, usageErr("--embed applies to --signed-by")
	}
	req := &model.Requirement{Type: kinds[0]}
	switch req.Type {
	case model.Reject, model.InsecureAcceptAnything:
		if id != nil {
			return nil, usageErr("--identity does not apply to --%s", map[bool]string{true: "reject", false: "accept"}[r.reject])
		}
	case model.SignedBy:
		req.KeyType, req.SignedIdentity = model.KeyTypeGPGKeys, id
		switch {
		case r.embed:
			// One keyData holds every key: a keyring may hold several.
			var data []byte
			for _, k := range r.signedBy {
				b, err := paths.FS().ReadFile(paths.Host(k), nodefs.KeyFile)
				if err != nil {
					return nil, fmt.Errorf("--embed %s: %w", k, err)
				}
				if err := gpg.FindSecret(b); err != nil {
					return nil, fmt.Errorf("--embed %s: %w", k, err)
				}
				data = append(data, b...)
			}
			req.KeyData = data
		case len(r.signedBy) == 1:
			req.KeyPath = r.signedBy[0]
		default:
			req.KeyPaths = append([]string(nil), r.signedBy...)
		}
	case model.SigstoreSigned:
		req.SignedIdentity = id
		switch len(r.sigstoreKeys) {
		case 0:
		case 1:
			req.KeyPath = r.sigstoreKeys[0]
		default:
			req.KeyPaths = append([]string(nil), r.sigstoreKeys...)
		}
		if r.fulcioCA != "" || r.oidcIssuer != "" || r.subjectEmail != "" {
			req.Fulcio = &model.Fulcio{CAPath: r.fulcioCA, OIDCIssuer: r.oidcIssuer, SubjectEmail: r.subjectEmail}
		}
		if r.pkiRoots != "" || r.pkiInter != "" || r.pkiEmail != "" || r.pkiHost != "" {
			req.PKI = &model.PKI{CARootsPath: r.pkiRoots, CAIntermediatesPath: r.pkiInter, SubjectEmail: r.pkiEmail, SubjectHostname: r.pkiHost}
		}
		req.RekorPublicKeyPath = r.rekorKey
	case model.SignedBaseLayer:
		if id == nil {
			return nil, usageErr("--signed-base-layer needs --identity for its baseLayerIdentity")
		}
		req.BaseLayerIdentity = id
	}
	return req, nil
}

// usageError is a command line that does not say one change (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// policyVerbs are the verbs of imgtrust policy (help and completion list
// them from here).
func policyVerbs() []string { return []string{"default", "set", "remove"} }

func runPolicy(a *app, args []string) int {
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprintln(a.stdout, policyUsage)
		return exitOK
	}
	verb, rest, ok := splitVerb(args)
	if !ok {
		fmt.Fprintln(a.stderr, policyUsage)
		return exitUsage
	}
	if verb == "help" || verb == "-h" || verb == "--help" {
		fmt.Fprintln(a.stdout, policyUsage)
		return exitOK
	}
	var g globalFlags
	var rf ruleFlags
	var cf changeFlags
	var try tryFlags
	fs := flag.NewFlagSet("imgtrust policy "+verb, flag.ContinueOnError)
	g.register(fs)
	cf.register(fs)
	fs.StringVar(&cf.namespace, "namespace", "", "change the CRI-O policy of Kubernetes namespace `NS` (<signature_policy_dir>/NS.json) instead of the global one")
	try.register(fs)
	if verb != "remove" {
		rf.register(fs)
	}
	setUsage(fs, policyUsage)
	name := "policy " + verb
	if !slices.Contains(policyVerbs(), verb) {
		fmt.Fprintf(a.stderr, "imgtrust policy: unknown subcommand %q%s\n\n%s\n", verb, didYouMean(verb, policyVerbs()), policyUsage)
		return exitUsage
	}
	pos, paths, code, ok := a.parseCommand(name, fs, &g, rest, 1)
	if !ok {
		return code
	}
	if verb != "default" && len(pos) != 1 {
		fmt.Fprintf(a.stderr, "imgtrust %s: SCOPE is required\n", name)
		return exitUsage
	}
	trialPaths := paths
	if cf.namespace != "" {
		// A trial reverts the namespace's file, the one written.
		ws, err := openWorkspace(paths, cf.namespace)
		if err != nil {
			fmt.Fprintf(a.stderr, "imgtrust %s: %s\n", name, errText(err))
			return exitUsage
		}
		trialPaths = ws.Paths
	}
	return a.withTrial(name, pos, trialPaths, try, func() int { return policyChange(a, &g, &rf, cf, verb, name, pos, paths) })
}

// policyChange stages, reports and applies one policy verb, on the global
// policy or (cf.namespace) a CRI-O namespace's.
func policyChange(a *app, g *globalFlags, rf *ruleFlags, cf changeFlags, verb, name string, pos []string, paths node.Paths) int {
	ws, err := openChangeIn(g, paths, cf.namespace)
	if err != nil {
		fmt.Fprintf(a.stderr, "imgtrust %s: %s\n", name, errText(err))
		return exitUsage
	}
	paths = ws.Paths
	det, _ := g.detectMechanism(paths)
	ws.Runtime = registriesRuntime(det)
	if ws.PolicyFile().Exists && ws.Policy() == nil {
		fmt.Fprintf(a.stderr, "imgtrust %s: policy.json cannot be read (run imgtrust lint); nothing was written\n", name)
		return exitFindings
	}
	var summary string
	switch verb {
	case "default", "set":
		word := ""
		if verb == "default" && len(pos) == 1 {
			word = pos[0]
		}
		req, err := rf.requirement(paths, word)
		if err != nil {
			fmt.Fprintf(a.stderr, "imgtrust %s: %s\n", name, errText(err))
			if _, usage := err.(*usageError); usage {
				return exitUsage
			}
			return exitFindings
		}
		desc := req.Describe(nil)
		if verb == "default" {
			summary = "default: " + desc
			ws.Edit(summary, func(p *model.Policy) { p.Default = model.Requirements{req} })
		} else {
			summary = fmt.Sprintf("%s:%s: %s", cf.transport, pos[0], desc)
			ws.Edit(summary, func(p *model.Policy) {
				if p.Default == nil {
					// A new policy.json: reject is no stricter than none.
					p.Default = model.Requirements{{Type: model.Reject}}
				}
				p.SetScope(cf.transport, pos[0], model.Requirements{req})
			})
		}
	case "remove":
		summary = fmt.Sprintf("remove %s:%s", cf.transport, pos[0])
		found := false
		ws.Edit(summary, func(p *model.Policy) { found = p.RemoveScope(cf.transport, pos[0]) })
		if !found {
			ws.Undo()
			return a.notStaged(g, name, summary, paths, nil, fmt.Sprintf("%s:%s is not in the policy: nothing to do", termsafe.String(cf.transport), termsafe.String(pos[0])))
		}
	}
	r := &changeRun{a: a, g: g, name: name, paths: paths, ws: ws, summary: summary, cf: cf,
		nothing: "policy.json already says this: nothing to do"}
	return r.run()
}
