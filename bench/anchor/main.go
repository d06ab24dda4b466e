// Command anchor is the comparison's other side: one process that reads
// a policy.json and loads it with containers/image's own parser, as a
// runtime does before its first pull. Exit 0: accepted; 1: refused.
package main

import (
	"fmt"
	"os"

	"go.podman.io/image/v5/signature"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: anchor POLICY.json")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p, err := signature.NewPolicyFromBytes(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "refused:", err)
		os.Exit(1)
	}
	fmt.Printf("%d transports\n", len(p.Transports))
}
