package main

import "fmt"

// runLookaside is being built; until it lands the command says so and exits 2.
func runLookaside(a *app, args []string) int {
	fmt.Fprintln(a.stderr, "imgtrust lookaside: not available in this build yet")
	return exitUsage
}
