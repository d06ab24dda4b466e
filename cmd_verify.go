package main

import "fmt"

// runVerify is being built; until it lands the command says so and exits 2.
func runVerify(a *app, args []string) int {
	fmt.Fprintln(a.stderr, "imgtrust verify: not available in this build yet")
	return exitUsage
}
