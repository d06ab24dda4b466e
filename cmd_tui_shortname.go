package main

import (
	"context"
	"fmt"

	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/verify"
)

// traceSteps are res's trace steps for the TUI, nested depth deeper.
func traceSteps(res *verify.Result, ascii bool, depth int) []ui.TraceStep {
	var out []ui.TraceStep
	for _, st := range res.Steps(ascii) {
		text := st.Text
		if st.Label != "" {
			text = st.Label + " " + text
		}
		out = append(out, ui.TraceStep{OK: st.Status == verify.StepOK, Failed: st.Status == verify.StepFailed,
			Detail: st.Status == verify.StepPlain, Depth: depth + st.Depth, Text: text})
	}
	return out
}

// verifyShortName is the Verify view's answer for a short name: what
// CRI-O does with it in crio.conf's short_name_mode, then each candidate
// with its own trace (verify.VerifyShortName).
func (t tuiVerifier) verifyShortName(ctx context.Context, v *verify.Verifier, image string) (ui.VerifyResult, error) {
	cfg, err := node.ReadCrioConfig(t.paths)
	if err != nil {
		return ui.VerifyResult{}, err
	}
	source := "CRI-O's default"
	if len(cfg.Sources) > 0 {
		source = "crio.conf " + t.paths.Node(cfg.Sources[len(cfg.Sources)-1])
	}
	sr, err := v.VerifyShortName(ctx, image, cfg.ShortNameMode, source)
	if err != nil {
		return ui.VerifyResult{}, err
	}
	out := ui.VerifyResult{Ref: image + " (short name)", Accepted: sr.Accepted, Summary: "CRI-O reports: " + sr.Reported}
	if sr.Accepted {
		out.Summary = "CRI-O pulls it as " + sr.PulledAs
	}
	detail := func(format string, a ...any) {
		out.Trace = append(out.Trace, ui.TraceStep{Detail: true, Text: fmt.Sprintf(format, a...)})
	}
	detail("short_name_mode %s (%s)", sr.Mode, sr.ModeSource)
	if sr.Rationale != "" {
		detail("candidates from %s (%s)", sr.Rationale, sr.Origin)
	}
	for i, c := range sr.Candidates {
		why, accepted := c.Error, false
		if c.Result != nil {
			why, accepted = c.Result.Summary, c.Result.Accepted
		}
		if !c.Tried {
			why = "not tried by CRI-O; " + why
		}
		out.Trace = append(out.Trace, ui.TraceStep{OK: accepted, Failed: !accepted, Text: fmt.Sprintf("%d. %s: %s", i+1, c.Reference, why)})
		if c.Result != nil {
			out.Trace = append(out.Trace, traceSteps(c.Result, t.ascii, 1)...)
		}
	}
	if len(sr.Hidden) > 0 {
		detail("the policy rejected %v, but the kubelet sees only the last candidate's error", sr.Hidden)
	}
	if sr.Incomplete {
		return out, fmt.Errorf("could not finish: %s", sr.Reported)
	}
	return out, nil
}
