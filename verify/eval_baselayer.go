package verify

// prSignedBaseLayer is signedBaseLayer, which the runtime accepts in
// policy.json but does not implement: every image is rejected
// (policy_eval_baselayer.go).
type prSignedBaseLayer struct{}

func (prSignedBaseLayer) needsSignatures() bool { return false }

func (prSignedBaseLayer) evaluate(*evalContext) (string, []SignatureCheck, error) {
	return "", nil, reqErr(KindUnimplemented, "signedBaseLayer not implemented yet!")
}
