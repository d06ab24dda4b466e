package main

import (
	"context"
	"errors"

	"github.com/kios/imgtrust/impact"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/ui"
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
