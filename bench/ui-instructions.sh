#!/usr/bin/env bash
# ui-instructions.sh [SIZE] — instructions per op (valgrind --tool=callgrind)
# of the TUI benchmarks of issue 15 at SIZE scopes (default 10000), each
# against the yardstick BenchmarkLoadAndFrame (one LoadPolicy plus one
# frame). Only the op itself is counted (--toggle-collect on the
# benchOp* functions of ui/bench_test.go: no set-up), and per op is the
# difference of a 5-op and a 1-op run over 4, so the first edit after
# opening (which finds the parse cache empty) is left out; the collector
# is off (GOGC=off) so that the counts repeat, and Go's asynchronous
# preemption too (callgrind does not follow its signals).
set -euo pipefail
SIZE=${1:-10000}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_WORK:-$(mktemp -d)}
(cd "$here/.." && go test -c -o "$work/ui.test" ./ui)
cd "$here/../ui"
count() { # BENCH OPFUNC N
	GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		--toggle-collect="github.com/kios/imgtrust/ui.$2" \
		"$work/ui.test" -test.run '^$' -test.bench "^$1\$/^$SIZE\$" -test.benchtime "${3}x" 2>&1 >/dev/null |
		awk '/Collected/ {print $4}'
}
perop() { # BENCH OPFUNC
	local one five
	one=$(count "$1" "$2" 1)
	five=$(count "$1" "$2" 5)
	echo $(((five - one) / 4))
}
yard=$(perop BenchmarkLoadAndFrame benchOpLoadAndFrame)
printf "%-26s %14s %8s\n" "benchmark ($SIZE scopes)" instructions/op ratio
printf "%-26s %14d %8.2f\n" BenchmarkLoadAndFrame "$yard" 1
for b in BenchmarkStagedEditSaved:benchOpStagedEdit BenchmarkStagedEdit:benchOpStagedEdit BenchmarkFirstFrame:benchOpFirstFrame; do
	n=$(perop "${b%%:*}" "${b##*:}")
	awk -v b="${b%%:*}" -v n="$n" -v y="$yard" 'BEGIN { printf "%-26s %14d %8.2f\n", b, n, n/y }'
done
