package shadow

import (
	"context"

	"github.com/kios/imgtrust/verify"
)

// VerifierEvaluator judges with verify's evaluator, the one `imgtrust
// verify` runs: signatures fetched as the runtime would fetch them, and an
// image whose check could not finish is not checked, never rejected.
type VerifierEvaluator struct{ V *verify.Verifier }

// Evaluate implements Evaluator.
func (e VerifierEvaluator) Evaluate(ctx context.Context, ref string) (Verdict, string) {
	res, err := e.V.Verify(ctx, ref)
	switch {
	case err != nil:
		// An invalid configuration fails every pull in the runtime; a
		// reference verify cannot parse is one the runtime cannot pull.
		return Rejected, err.Error()
	case res.Incomplete:
		return NotChecked, res.Summary
	case res.Accepted:
		return Accepted, res.Summary
	}
	return Rejected, res.Summary
}
