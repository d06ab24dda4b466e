package main

import "fmt"

// runTUI is being built; until it lands the command says so and exits 2.
func runTUI(a *app, args []string) int {
	fmt.Fprintln(a.stderr, "imgtrust tui: not available in this build yet")
	return exitUsage
}
