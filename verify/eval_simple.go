package verify

// The requirements that look at no signature (policy_eval_simple.go).

// prInsecureAcceptAnything accepts every image.
type prInsecureAcceptAnything struct{}

func (prInsecureAcceptAnything) needsSignatures() bool { return false }

func (prInsecureAcceptAnything) evaluate(*evalContext) (string, []SignatureCheck, error) {
	return "accepts any image, signed or not", nil, nil
}

// prReject rejects every image.
type prReject struct{}

func (prReject) needsSignatures() bool { return false }

func (prReject) evaluate(ec *evalContext) (string, []SignatureCheck, error) {
	return "", nil, reqErr(KindRejected, "Running image %s is rejected by policy.", ec.img)
}
