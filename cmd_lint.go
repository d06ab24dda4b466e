package main

import "fmt"

// runLint is being built; until it lands the command says so and exits 2.
func runLint(a *app, args []string) int {
	fmt.Fprintln(a.stderr, "imgtrust lint: not available in this build yet")
	return exitUsage
}
