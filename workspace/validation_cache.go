package workspace

import (
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// validationCache keeps what Problems computed that the next call can use
// again: the parse of the last staged text, and the scan of the file as
// read. Each edit of a large policy asks for its problems; most of what
// they are made of did not change (issue 15).
type validationCache struct {
	// parses keeps the last staged parse for the next (parseStaged).
	parses *policyio.ParseCache
	// renders keeps the text of each scope for the next rendering.
	renders policyio.RenderCache
	// lookasides keeps the words of the look-aside warnings.
	lookasides policyio.LookasideChecker
	// rawFor is the file read that raw holds the private-key scan of.
	rawFor *policyio.PolicyFile
	raw    model.Diagnostics
}

// parseStaged parses a text of the staged policy (its rendering, or what
// a raw edit staged) for its problems at their staged positions. The
// previous text's scopes are kept (policyio.ParseCache): an edit changes
// a scope or two, and only those are decoded again. Apart from the time,
// it is policyio.ParsePolicy of the text.
func (w *Workspace) parseStaged(data []byte) (*model.Policy, model.Diagnostics) {
	if w.validation.parses == nil {
		w.validation.parses = &policyio.ParseCache{}
	}
	return w.validation.parses.Parse(w.stagedLabel(), data)
}

// rawPrivate is policyio.RawPrivateDiagnostics of the file as read, once
// per read: the file does not change with the edits (scanning 2 MB for key
// material was 5% of an edit at 10,000 scopes).
func (w *Workspace) rawPrivate() model.Diagnostics {
	if w.validation.rawFor != w.policyFile || w.policyFile == nil {
		w.validation.raw = policyio.RawPrivateDiagnostics(w.policyFile)
		w.validation.rawFor = w.policyFile
	}
	return w.validation.raw
}
