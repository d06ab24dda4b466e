package main

import "fmt"

// runKeys is being built; until it lands the command says so and exits 2.
func runKeys(a *app, args []string) int {
	fmt.Fprintln(a.stderr, "imgtrust keys: not available in this build yet")
	return exitUsage
}
