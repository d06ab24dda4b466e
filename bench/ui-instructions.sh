#!/usr/bin/env bash
# ui-instructions.sh [SIZE] — instructions per op (valgrind --tool=callgrind)
# of the TUI benchmarks of issue 15 at SIZE scopes (default 10000), each
# against the yardstick BenchmarkLoadAndFrame (one LoadPolicy plus one
# frame). ui's TestOpsForInstructionCounts runs a benchmark's set-up and
# then N of its ops, once; per op is the difference of the whole process's
# instructions with OPS ops (default 6) and with one, over OPS-1: the
# set-up falls out, and so does an edit's first op (it decodes the whole
# policy into the empty parse cache). Counting inside the op alone
# (--toggle-collect, --dump-after) was confused by goroutines moving
# between threads, and the testing package may call a benchmark twice.
# The collector is off (GOGC=off) so that the counts repeat, and Go's
# asynchronous preemption too (callgrind does not follow its signals).
set -euo pipefail
SIZE=${1:-10000}
OPS=${OPS:-6}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_WORK:-$(mktemp -d)}
(cd "$here/.." && go test -c -o "$work/ui.test" ./ui)
cd "$here/../ui"
count() { # NAME N: instructions of the whole process
	IMGTRUST_OPS="$1 $SIZE $2" GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind \
		--callgrind-out-file=/dev/null "$work/ui.test" -test.run '^TestOpsForInstructionCounts$' 2>&1 >/dev/null |
		awk '/Collected/ {print $4}'
}
perop() { # NAME
	local one many
	one=$(count "$1" 1)
	many=$(count "$1" "$OPS")
	echo $(((many - one) / (OPS - 1)))
}
yard=$(perop LoadAndFrame)
printf "%-26s %14s %8s\n" "benchmark ($SIZE scopes)" instructions/op ratio
printf "%-26s %14d %8.2f\n" BenchmarkLoadAndFrame "$yard" 1
for b in StagedEditSaved StagedEdit FirstFrame; do
	n=$(perop "$b")
	awk -v b="Benchmark$b" -v n="$n" -v y="$yard" 'BEGIN { printf "%-26s %14d %8.2f\n", b, n, n/y }'
done
