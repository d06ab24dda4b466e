#!/usr/bin/env bash
# ui-instructions.sh [SIZE] — instructions per op (valgrind --tool=callgrind)
# of the TUI benchmarks of issue 15 at SIZE scopes (default 10000), each
# against the yardstick BenchmarkLoadAndFrame (one LoadPolicy plus one
# frame). Only the op itself is counted (--toggle-collect on the benchOp*
# functions of ui/bench_test.go: no set-up), each op on its own
# (--dump-after writes one profile per call), and the figure is the
# median of the ops after the first: the first edit after opening finds
# the parse cache empty, and its header has no problems to show yet. The
# collector is off (GOGC=off) so that the counts repeat, and Go's
# asynchronous preemption too (callgrind does not follow its signals).
set -euo pipefail
SIZE=${1:-10000}
OPS=${OPS:-6}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_WORK:-$(mktemp -d)}
(cd "$here/.." && go test -c -o "$work/ui.test" ./ui)
cd "$here/../ui"
perop() { # BENCH OPFUNC: prints the median instructions of ops 2..OPS
	local dir="$work/dumps-$1"
	rm -rf "$dir" && mkdir -p "$dir"
	GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$dir/cg" \
		--toggle-collect="github.com/kios/imgtrust/ui.$2" --dump-after="github.com/kios/imgtrust/ui.$2" \
		"$work/ui.test" -test.run '^$' -test.bench "^$1\$/^$SIZE\$" -test.benchtime "${OPS}x" >/dev/null 2>&1
	for f in "$dir"/cg.*; do
		awk -v f="${f##*.}" '/^(summary|totals):/ {print f, $2; exit}' "$f"
	done | sort -n | awk '$2 > 1000000 {print $2}' | tail -n +2 | sort -n |
		awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'
}
yard=$(perop BenchmarkLoadAndFrame benchOpLoadAndFrame)
printf "%-26s %14s %8s\n" "benchmark ($SIZE scopes)" instructions/op ratio
printf "%-26s %14d %8.2f\n" BenchmarkLoadAndFrame "$yard" 1
for b in BenchmarkStagedEditSaved:benchOpStagedEdit BenchmarkStagedEdit:benchOpStagedEdit BenchmarkFirstFrame:benchOpFirstFrame; do
	n=$(perop "${b%%:*}" "${b##*:}")
	awk -v b="${b%%:*}" -v n="$n" -v y="$yard" 'BEGIN { printf "%-26s %14d %8.2f\n", b, n, n/y }'
done
