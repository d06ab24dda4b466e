package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kios/imgtrust/gpg"
	"github.com/kios/imgtrust/impact"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/termsafe"
	"github.com/kios/imgtrust/ui"
	"github.com/kios/imgtrust/workspace"
)

// tuiImpact is the wizard's impact check: the impact package judges each
// node image under the proposed policy. What the policy decides alone
// needs no network; an image it could not check comes back as an error,
// which the wizard shows as not checked, never as rejected.
type tuiImpact struct{ checker *impact.Checker }

func (t tuiImpact) Verify(ctx context.Context, p *model.Policy, ref string) (ui.VerifyResult, error) {
	v := t.checker.CheckOne(ctx, impact.Config{Policy: p, Label: "proposed"}, ref)
	out := ui.VerifyResult{Ref: ref, Accepted: v.Status == impact.Pullable, Scope: v.Scope, Summary: v.Reason}
	if v.Status == impact.NotChecked {
		return out, errors.New("not checked: " + v.Reason)
	}
	return out, nil
}

// lintImageTimeout bounds each network step of lint's signature checks:
// lint must stay quick on a node that cannot reach its registries.
const lintImageTimeout = 10 * time.Second

// nodeImageReport judges every image the node depends on under cfg (lint:
// the saved policy; the TUI: the staged one with its staged keys): what
// the policy decides alone without the network, the rest online unless
// offline.
func nodeImageReport(ctx context.Context, paths node.Paths, det gpg.Detection, cfg impact.Config, offline bool) ([]imageVerdict, error) {
	imgs, err := node.ReadNodeImages(paths)
	c := impact.NewChecker(impact.Options{Paths: paths, Mechanism: det.Mechanism, Offline: offline, TLSVerify: true, Timeout: lintImageTimeout})
	verdicts := c.Check(ctx, cfg, imgs)
	out := make([]imageVerdict, len(imgs))
	for i := range imgs {
		out[i] = imageVerdict{Image: imgs[i], Verdict: verdicts[i]}
	}
	return out, err
}

// tuiImageProblems is the TUI's Deps.NodeImageProblems: it takes the
// staged policy and key files now and returns lint's diagnostics of the
// node's own images under them, decided offline (the save review's
// online impact check is the one that fetches signatures), so that a
// staged or saved policy that locks the node out is an error in the
// header, the Overview and Problems as it is in lint.
func tuiImageProblems(paths node.Paths, det gpg.Detection, ws *workspace.Workspace) func() model.Diagnostics {
	// A policy the runtime cannot load is already an error (lint).
	pol := ws.Policy()
	if len(ws.Edits()) == 0 {
		pol = ws.PolicyFile().LoadedPolicy()
	}
	if pol == nil {
		return func() model.Diagnostics { return nil }
	}
	cfg := impact.Config{Policy: pol, Keys: ws.StagedKeys(), Label: "staged"}
	return func() model.Diagnostics {
		images, err := nodeImageReport(context.Background(), paths, det, cfg, true)
		return imageDiagnostics(images, err)
	}
}

// imageVerdict is one node image in lint's --json report.
type imageVerdict struct {
	Image   node.NodeImage `json:"image"`
	Verdict impact.Verdict `json:"verdict"`
}

// imageDiagnostics turns lint's image verdicts into diagnostics: an error
// when the pause image is rejected (no new pod can start), a warning per
// other image whose next pull is rejected, and one note for the images
// that could not be checked.
func imageDiagnostics(verdicts []imageVerdict, listErr error) model.Diagnostics {
	var out model.Diagnostics
	if listErr != nil {
		out = append(out, model.Diagnostic{Severity: model.Warning, Code: "node-images-unreadable", Message: listErr.Error(),
			Fix: "imgtrust cannot tell every image this node depends on; the images it read are checked"})
	}
	var unchecked []string
	for _, iv := range verdicts {
		pos := model.Pos{File: iv.Image.Source}
		what := iv.Image.Ref
		if iv.Image.Role == node.RolePause && iv.Image.Source == "" {
			what += " (CRI-O's default: crio.conf sets no pause_image)"
		}
		switch {
		case iv.Verdict.Status == impact.NotChecked:
			unchecked = append(unchecked, iv.Image.Ref+" ("+iv.Verdict.Reason+")")
		case iv.Verdict.Status != impact.Rejected:
		case iv.Image.Role == node.RolePause:
			out = append(out, model.Diagnostic{Severity: model.Error, Code: "pause-image-rejected", Pos: pos,
				Message: fmt.Sprintf("the policy rejects the pause image %s: no new pod can start on this node (%s, under %s)", what, iv.Verdict.Reason, iv.Verdict.Scope),
				Fix:     "allow it: imgtrust policy set " + repository(iv.Image.Ref) + " --signed-by KEY (or --accept)"})
		case iv.Image.Role == node.RoleOwn:
			out = append(out, model.Diagnostic{Severity: model.Error, Code: "own-image-rejected", Pos: pos,
				Message: fmt.Sprintf("the policy rejects %s, the image imgtrust runs in: a new debug pod from it could not start on this node (%s, under %s)", iv.Image.Ref, iv.Verdict.Reason, iv.Verdict.Scope),
				Fix:     "allow it: imgtrust policy set " + repository(iv.Image.Ref) + " --signed-by KEY (or --accept)"})
		default:
			out = append(out, model.Diagnostic{Severity: model.Warning, Code: "node-image-rejected", Pos: pos,
				Message: fmt.Sprintf("the node uses %s (%s image), and its next pull would be rejected: %s (under %s)", iv.Image.Ref, iv.Image.Role, iv.Verdict.Reason, iv.Verdict.Scope),
				Fix:     "allow its repository in the policy, or stop using the image"})
		}
	}
	if len(unchecked) > 0 {
		out = append(out, model.Diagnostic{Severity: model.Info, Code: "node-images-not-checked",
			Message: fmt.Sprintf("%d node image(s) not checked: %s", len(unchecked), strings.Join(unchecked, "; "))})
	}
	return out
}

// repository is ref without its tag or digest, for a suggested scope.
func repository(ref string) string {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	return ref
}

// printImpact writes what a change does to the node's images: every
// image whose verdict changes or may change, then a count of the rest.
func printImpact(w io.Writer, rep *impact.Report) {
	if rep.ImagesError != "" {
		fmt.Fprintln(w, "impact: the node's image list is incomplete:", termsafe.String(rep.ImagesError))
	}
	unchanged := 0
	var lines []string
	for _, row := range rep.Rows {
		name := termsafe.String(row.Image.Ref)
		switch row.Image.Role {
		case node.RolePause:
			name += " (pause image)"
		case node.RoleOwn:
			name += " (the image imgtrust runs in: your way in)"
		}
		switch row.Change {
		case impact.Lockout:
			lines = append(lines, fmt.Sprintf("  LOCKOUT  %s: would be rejected: %s (under %s)", name, termsafe.String(row.Candidate.Reason), termsafe.String(row.Candidate.Scope)))
		case impact.Widening:
			lines = append(lines, fmt.Sprintf("  WIDENS   %s: would become pullable: %s (under %s)", name, termsafe.String(row.Candidate.Reason), termsafe.String(row.Candidate.Scope)))
		case impact.Unknown:
			lines = append(lines, fmt.Sprintf("  UNKNOWN  %s: now %s, after the change %s: %s", name, row.Current.Status, row.Candidate.Status, termsafe.String(unknownReason(row))))
		default:
			unchanged++
		}
	}
	if len(lines) == 0 {
		fmt.Fprintf(w, "impact: none of the node's %d image(s) changes\n", unchanged)
		return
	}
	fmt.Fprintln(w, "impact on the node's images:")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	if unchanged > 0 {
		fmt.Fprintf(w, "  %d other image(s) unchanged\n", unchanged)
	}
}

func unknownReason(row impact.Row) string {
	if row.Candidate.Status == impact.NotChecked {
		return row.Candidate.Reason
	}
	return row.Current.Reason
}

// lockoutRefused reports whether a change must be refused because it
// makes the pause image, or the image imgtrust runs in, unpullable
// without --allow-lockout, and says so.
func lockoutRefused(w io.Writer, cmd string, rep *impact.Report, allow bool) bool {
	var msgs []string
	if row := rep.PauseLockout(); row != nil {
		msgs = append(msgs, fmt.Sprintf("the pause image %s would be rejected (%s, under %s): no new pod could start on this node",
			termsafe.String(row.Image.Ref), termsafe.String(row.Candidate.Reason), termsafe.String(row.Candidate.Scope)))
	}
	if row := rep.OwnLockout(); row != nil {
		msgs = append(msgs, fmt.Sprintf("the image imgtrust runs in, %s, would be rejected (%s, under %s): a new debug pod from it could not start to undo this",
			termsafe.String(row.Image.Ref), termsafe.String(row.Candidate.Reason), termsafe.String(row.Candidate.Scope)))
	}
	if len(msgs) == 0 {
		return false
	}
	msg := strings.Join(msgs, "; ")
	if allow {
		fmt.Fprintf(w, "%s: --allow-lockout: %s\n", cmd, msg)
		return false
	}
	fmt.Fprintf(w, "%s: refused, nothing was written: %s\nrepeat with --allow-lockout if this is intended\n", cmd, msg)
	return true
}

// ownImageNote asks, once, for the image imgtrust runs in when it cannot
// be found: without it a change could reject the admin's own debug image
// unnoticed. The answer (--own-image) is remembered.
func ownImageNote(a *app, paths node.Paths) {
	own, err := node.FindOwnImageHere(paths)
	if err != nil || own.Ref != "" || own.None {
		return
	}
	fmt.Fprintln(a.stdout, "note: imgtrust cannot tell which image its pod runs (not found from /proc/self/cgroup and the node's container store):")
	fmt.Fprintln(a.stdout, "      give it once with --own-image REF (or --own-image none when not in a pod) so that no change locks you out")
}
