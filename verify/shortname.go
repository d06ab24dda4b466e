package verify

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kios/imgtrust/registriesconf"
	"github.com/kios/imgtrust/termsafe"
)

// IsShortName reports whether the runtime resolves s through
// registries.conf before pulling: a reference with no transport and no
// registry in its first component (pkg/shortnames: IsShortName). The
// kubelet passes image names so; "docker://nginx" never reaches CRI-O.
func IsShortName(s string) bool {
	if strings.Contains(s, "://") || strings.HasPrefix(s, "dir:") {
		return false
	}
	return registriesconf.IsShortName(s)
}

// Candidate is one fully qualified name a short name resolved to, and
// the verdict for it.
type Candidate struct {
	Reference string  `json:"reference"`
	Result    *Result `json:"result,omitempty"`
	// Tried is false for candidates CRI-O never reaches (an earlier one
	// was pulled, or resolution failed).
	Tried bool   `json:"tried"`
	Error string `json:"error,omitempty"`
}

// ShortNameResult is what CRI-O does with a short name: the candidates
// in its order, each one's verdict, and what the kubelet is told.
type ShortNameResult struct {
	Input string `json:"input"`
	// Mode is CRI-O's short-name mode (crio.conf short_name_mode: all but
	// "disabled" is enforcing); ModeSource says where it came from.
	Mode       string      `json:"mode"`
	ModeSource string      `json:"mode_source"`
	Rationale  string      `json:"rationale,omitempty"`
	Origin     string      `json:"origin,omitempty"`
	Candidates []Candidate `json:"candidates"`
	// ResolveError is resolution's own failure (ambiguous in enforcing
	// mode, no search registries, a bad alias): nothing is pulled.
	ResolveError string `json:"resolve_error,omitempty"`
	Accepted     bool   `json:"accepted"`
	Incomplete   bool   `json:"incomplete,omitempty"`
	// PulledAs is the candidate CRI-O pulls; Reported the error the
	// kubelet gets when none is (only the last candidate's).
	PulledAs string `json:"pulled_as,omitempty"`
	Reported string `json:"reported,omitempty"`
	// Hidden lists earlier candidates that the policy rejected while a
	// later one's failure is what is reported.
	Hidden []string `json:"hidden,omitempty"`
}

// VerifyShortName resolves name as CRI-O does under mode and checks each
// candidate under its fully qualified name. CRI-O pulls the candidates in
// turn; the first that succeeds wins; when all fail, only the last
// error is returned (server/image_pull.go: pullImage).
func (v *Verifier) VerifyShortName(ctx context.Context, name, mode, modeSource string) (*ShortNameResult, error) {
	cache, diags := registriesconf.LoadAliasCache(v.opts.Paths.FS(), v.opts.Paths.Host(registriesconf.AliasCachePath), registriesconf.AliasCachePath)
	sr := &ShortNameResult{Input: name, Mode: registriesconf.CRIOMode(mode), ModeSource: modeSource}
	var res registriesconf.Resolution
	if diags.HasErrors() {
		res = registriesconf.Resolution{Input: name, Err: fmt.Errorf("%s", diags[0].Message)}
	} else {
		res = v.opts.RegistriesConf.Resolve(cache, name, sr.Mode)
	}
	sr.Rationale, sr.Origin = res.Rationale, res.Origin
	for _, c := range res.Candidates {
		cand := Candidate{Reference: c.String()}
		r, err := v.Verify(ctx, c.String())
		if err != nil {
			cand.Error = err.Error()
		}
		cand.Result = r
		sr.Candidates = append(sr.Candidates, cand)
	}
	if res.Err != nil {
		sr.ResolveError = res.Err.Error()
		sr.Reported = sr.ResolveError
		return sr, nil
	}
	var rejected []string
	for i := range sr.Candidates {
		c := &sr.Candidates[i]
		c.Tried = true
		switch {
		case c.Result != nil && c.Result.Accepted:
			sr.Accepted, sr.PulledAs = true, c.Reference
			return sr, nil
		case c.Result != nil && c.Result.Incomplete:
			// This machine could not finish; the node may get further.
			sr.Incomplete = true
			sr.Reported = c.Result.Summary
			return sr, nil
		case c.Result != nil:
			sr.Reported = c.Result.Summary
			if i < len(sr.Candidates)-1 {
				rejected = append(rejected, c.Reference)
			}
		default:
			sr.Reported = c.Error
		}
	}
	if len(rejected) > 0 {
		sr.Hidden = rejected
	}
	return sr, nil
}

// RenderShortName writes the candidates, their verdicts and CRI-O's
// outcome, then each candidate's trace. Every value goes through
// termsafe (names come from the user and the node's files).
func RenderShortName(w io.Writer, sr *ShortNameResult, ascii bool) {
	safe := termsafe.String
	g := glyphSet(ascii)
	verdict, mark := "REJECTED", g.fail
	switch {
	case sr.Incomplete:
		verdict = "COULD NOT FINISH"
	case sr.Accepted:
		verdict, mark = "ACCEPTED", g.ok
	}
	fmt.Fprintf(w, "%s %s  %s (short name)\n", mark, verdict, safe(sr.Input))
	switch {
	case sr.Accepted:
		fmt.Fprintf(w, "  CRI-O pulls it as %s\n", safe(sr.PulledAs))
	default:
		fmt.Fprintf(w, "  CRI-O reports: %s\n", safe(sr.Reported))
	}
	fmt.Fprintf(w, "  short_name_mode %s (%s)\n", safe(sr.Mode), safe(sr.ModeSource))
	if sr.Rationale != "" {
		fmt.Fprintf(w, "  candidates from %s%s\n", safe(sr.Rationale), parens(safe(sr.Origin)))
	}
	for i, c := range sr.Candidates {
		m, what := g.fail, c.Error
		if r := c.Result; r != nil {
			what = r.Summary
			if r.Accepted {
				m = g.ok
			}
		}
		tried := ""
		if !c.Tried {
			tried = " (not tried by CRI-O)"
		}
		fmt.Fprintf(w, "    %d. %s %s%s\n       %s\n", i+1, m, safe(c.Reference), tried, safe(what))
	}
	if len(sr.Hidden) > 0 {
		fmt.Fprintf(w, "  %s the policy rejected %s, but the kubelet sees only the last candidate's error\n", g.info, safe(strings.Join(sr.Hidden, ", ")))
	}
	for _, c := range sr.Candidates {
		if c.Result != nil {
			fmt.Fprintln(w)
			RenderText(w, c.Result, ascii)
		}
	}
}
