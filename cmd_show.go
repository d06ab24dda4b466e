package main

import "fmt"

// runShow is being built; until it lands the command says so and exits 2.
func runShow(a *app, args []string) int {
	fmt.Fprintln(a.stderr, "imgtrust show: not available in this build yet")
	return exitUsage
}
