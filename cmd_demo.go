package main

import "fmt"

// runDemo is being built; until it lands the command says so and exits 2.
func runDemo(a *app, args []string) int {
	fmt.Fprintln(a.stderr, "imgtrust demo: not available in this build yet")
	return exitUsage
}
