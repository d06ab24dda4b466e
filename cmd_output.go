package main

import (
	"errors"

	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/termsafe"
)

// Text output shows values from files, keys, servers and people through
// termsafe.String at the point where they are printed; errors keep their
// exact text (for --json and callers) and are escaped here, as they reach
// the terminal. Every command's stdout and stderr also pass through a
// termsafe.Writer (app.main) in case a value was missed.

// errText renders err for the terminal on one line: an error that wraps a
// registry's error body or a file name must not start a forged line. The
// multi-line errors imgtrust composes itself (one line per refused rule,
// each value already escaped) keep their lines.
func errText(err error) string {
	var invalid *policyio.InvalidError
	var weaken *policyio.WeakenError
	if errors.As(err, &invalid) || errors.As(err, &weaken) {
		return termsafe.Text(err.Error())
	}
	return termsafe.String(err.Error())
}
