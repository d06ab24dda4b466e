package verify

import (
	"errors"
	"fmt"
)

// ReasonKind classifies why a requirement or a signature did not accept
// the image, so that callers (the CLI, the TUI, tests) can tell a missing
// signature from a wrong key or an unreadable trust root without parsing
// the runtime's message.
type ReasonKind string

// The kinds of rejection. The texts stay the runtime's: the kind only
// says which family a message belongs to.
const (
	// KindRejected: the policy rejects the image outright (reject).
	KindRejected ReasonKind = "rejected"
	// KindUnimplemented: the runtime does not implement the requirement
	// or one of its options (signedBaseLayer, a keyType other than GPGKeys).
	KindUnimplemented ReasonKind = "unimplemented"
	// KindNoSignature: a signature was required and none that counts exists.
	KindNoSignature ReasonKind = "no-signature"
	// KindUnreadable: the image or its signatures could not be read (the
	// check did not finish).
	KindUnreadable ReasonKind = "unreadable"
	// KindTrustRoot: a key file, certificate authority or Rekor key of
	// the requirement cannot be read or used.
	KindTrustRoot ReasonKind = "trust-root"
	// KindInvalidSignature: a signature does not parse, does not verify,
	// or its certificate does not chain to the trust root.
	KindInvalidSignature ReasonKind = "invalid-signature"
	// KindDigestMismatch: a valid signature for another manifest.
	KindDigestMismatch ReasonKind = "digest-mismatch"
	// KindIdentityMismatch: a valid signature for another identity.
	KindIdentityMismatch ReasonKind = "identity-mismatch"
	// KindNoneAccepted: several signatures, none accepted; the errors of
	// each are wrapped.
	KindNoneAccepted ReasonKind = "none-accepted"
)

// RequirementError is why a requirement, or one signature under it, did
// not accept the image: a kind and the runtime's message, wrapping the
// error underneath (PolicyRequirementError and InvalidSignatureError in
// containers/image). Error is Err's text unchanged: the kind never shows.
type RequirementError struct {
	Kind ReasonKind
	Err  error
}

func (e *RequirementError) Error() string { return e.Err.Error() }

func (e *RequirementError) Unwrap() error { return e.Err }

// reqErr makes a RequirementError from a formatted message; a %w verb in
// format is wrapped.
func reqErr(kind ReasonKind, format string, a ...any) error {
	return &RequirementError{Kind: kind, Err: fmt.Errorf(format, a...)}
}

// asKind wraps err in a RequirementError of kind unless it already is one.
func asKind(kind ReasonKind, err error) error {
	var re *RequirementError
	if err == nil || errors.As(err, &re) {
		return err
	}
	return &RequirementError{Kind: kind, Err: err}
}

// KindOf is the kind of err, "" when it is not a RequirementError.
func KindOf(err error) ReasonKind {
	var re *RequirementError
	if errors.As(err, &re) {
		return re.Kind
	}
	return ""
}

// signatureErrors are the errors of several signatures, none accepted.
type signatureErrors []error

func (s signatureErrors) Error() string {
	msg := "None of the signatures were accepted, reasons: "
	for i, e := range s {
		if i > 0 {
			msg += "; "
		}
		msg += e.Error()
	}
	return msg
}

func (s signatureErrors) Unwrap() []error { return s }

// noneAccepted combines the errors of several signatures as the runtime
// does; a single error is returned as it is.
func noneAccepted(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return &RequirementError{Kind: KindNoneAccepted, Err: signatureErrors(errs)}
}
