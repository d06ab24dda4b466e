package workspace

import (
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/policyio"
)

// parseStaged parses a text of the staged policy (its rendering, or what
// a raw edit staged) for its problems at their staged positions. The
// previous text's scopes are kept (policyio.ParseCache): an edit changes
// a scope or two, and only those are decoded again. Apart from the time,
// it is policyio.ParsePolicy of the text.
func (w *Workspace) parseStaged(data []byte) (*model.Policy, model.Diagnostics) {
	if w.validation == nil {
		w.validation = &policyio.ParseCache{}
	}
	return w.validation.Parse(w.stagedLabel(), data)
}
