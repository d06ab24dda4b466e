// Command growth reads `go test -bench` output on stdin and prints, for
// every benchmark run at several sizes (sub-benchmarks named by a number,
// e.g. BenchmarkStagedEdit/10000), the growth exponent k of t ≈ c·n^k:
// the least-squares slope of log(ns/op) over log(n). k ≤ 1.05 is linear.
//
//	go test -run '^$' -bench 'StagedEdit' -count 3 ./ui/ | (cd bench && go run ./growth -metric cpu-ns/op)
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^(Benchmark[^\s/]+)/(\d+)(?:-\d+)?\s+\d+\s+(.*)$`)

func main() {
	metric := flag.String("metric", "ns/op", "which figure to fit: ns/op, or cpu-ns/op where a benchmark reports it (steadier on a shared machine)")
	flag.Parse()
	samples := map[string][][2]float64{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.ParseFloat(m[2], 64)
		t, ok := figure(m[3], *metric)
		if !ok {
			continue
		}
		samples[m[1]] = append(samples[m[1]], [2]float64{math.Log(n), math.Log(t)})
	}
	names := make([]string, 0, len(samples))
	for k := range samples {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		k, ok := slope(samples[name])
		if !ok {
			fmt.Printf("%s: needs at least two sizes\n", name)
			continue
		}
		verdict := "linear (<= 1.05)"
		if k > 1.05 {
			verdict = "SUPER-LINEAR (> 1.05)"
		}
		fmt.Printf("%s: growth exponent %.2f over %d samples: %s\n", name, k, len(samples[name]), verdict)
	}
}

// figure finds "VALUE UNIT" for unit in the rest of a benchmark line.
func figure(rest, unit string) (float64, bool) {
	f := strings.Fields(rest)
	for i := 1; i < len(f); i++ {
		if f[i] == unit {
			v, err := strconv.ParseFloat(f[i-1], 64)
			return v, err == nil
		}
	}
	return 0, false
}

func slope(pts [][2]float64) (float64, bool) {
	var sx, sy, sxx, sxy float64
	for _, p := range pts {
		sx += p[0]
		sy += p[1]
		sxx += p[0] * p[0]
		sxy += p[0] * p[1]
	}
	n := float64(len(pts))
	den := n*sxx - sx*sx
	if den == 0 {
		return 0, false
	}
	return (n*sxy - sx*sy) / den, true
}
