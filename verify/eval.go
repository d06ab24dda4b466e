package verify

import (
	"github.com/kios/imgtrust/model"
)

// evalContext is what every evaluator sees for one image: the image, its
// manifest and the signatures the runtime read for it. The manifest and
// signatures are read once, before the requirements, and only when one
// of them needs signatures (policy_eval.go reads them lazily; the result
// is the same).
type evalContext struct {
	v    *Verifier
	img  *Image
	m    *manifest
	sigs signatures
}

// evaluator decides one requirement type, as a PolicyRequirement's
// isRunningImageAllowed does in containers/image (one file per type:
// eval_simple.go, eval_signedby.go, eval_sigstore.go, eval_baselayer.go).
// It returns why the image is accepted, or an error, a *RequirementError,
// saying why not; checks are the signatures it looked at, in order.
type evaluator interface {
	evaluate(ec *evalContext) (why string, checks []SignatureCheck, err error)
	// needsSignatures says whether evaluate reads ec.m and ec.sigs.
	needsSignatures() bool
}

// evaluatorFor is the evaluator of a requirement of the flat
// model.Requirement (the form policy.json is read and written in).
func evaluatorFor(r *model.Requirement) evaluator {
	switch r.Type {
	case model.InsecureAcceptAnything:
		return prInsecureAcceptAnything{}
	case model.Reject:
		return prReject{}
	case model.SignedBaseLayer:
		return prSignedBaseLayer{}
	case model.SignedBy:
		return prSignedBy{r}
	case model.SigstoreSigned:
		return prSigstoreSigned{r}
	}
	return prUnknown{r.Type}
}

// prUnknown stands for a type the policy reader would have refused; a
// policy built in memory may still carry one.
type prUnknown struct{ typ model.RequirementType }

func (p prUnknown) needsSignatures() bool { return false }

func (p prUnknown) evaluate(*evalContext) (string, []SignatureCheck, error) {
	return "", nil, reqErr(KindUnimplemented, "unknown policy requirement type %q", p.typ)
}

// errNoSignature is the runtime's message when nothing could be checked.
func errNoSignature() error {
	return reqErr(KindNoSignature, "A signature was required, but no signature exists")
}

// evaluateRequirement runs one requirement's evaluator and records the
// outcome; fetchErr is the error reading the signatures, if any.
func evaluateRequirement(ec *evalContext, i int, r *model.Requirement, fetchErr error) (rr RequirementResult, incomplete bool) {
	rr = RequirementResult{Index: i, Type: string(r.Type), Description: r.Describe(nil)}
	ev := evaluatorFor(r)
	var why string
	var err error
	if ev.needsSignatures() && fetchErr != nil {
		err, incomplete = asKind(KindUnreadable, fetchErr), unfinished(fetchErr)
	} else {
		why, rr.Signatures, err = ev.evaluate(ec)
	}
	rr.setOutcome(why, err)
	return rr, incomplete
}

// setOutcome fills Accepted, Reason and Err: the error's text is the
// reason shown, its kind stays for callers.
func (rr *RequirementResult) setOutcome(why string, err error) {
	rr.Accepted, rr.Reason, rr.Err = err == nil, why, err
	if err != nil {
		rr.Reason = err.Error()
	}
}

func (sc *SignatureCheck) setOutcome(why string, err error) {
	sc.Accepted, sc.Reason, sc.Err = err == nil, why, err
	if err != nil {
		sc.Reason = err.Error()
	}
}
