#!/usr/bin/env bash
# ui-instructions.sh [SIZE] — instructions per op (valgrind --tool=callgrind)
# of the TUI benchmarks of issue 15 at SIZE scopes (default 10000), each
# against the yardstick BenchmarkLoadAndFrame (one LoadPolicy plus one
# frame). Only the op itself is counted (--toggle-collect on the
# benchOp* functions of ui/bench_test.go: no set-up), and per op is the
# difference of a 5-op and a 1-op run over the difference of the calls of
# the op that callgrind counted (the testing package may call a benchmark
# more than once), so the first edit after opening (which finds the parse
# cache empty) is left out; the collector
# is off (GOGC=off) so that the counts repeat, and Go's asynchronous
# preemption too (callgrind does not follow its signals).
set -euo pipefail
SIZE=${1:-10000}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_WORK:-$(mktemp -d)}
(cd "$here/.." && go test -c -o "$work/ui.test" ./ui)
cd "$here/../ui"
count() { # BENCH OPFUNC N: prints "instructions calls"
	GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		--toggle-collect="github.com/kios/imgtrust/ui.$2" \
		"$work/ui.test" -test.run '^$' -test.bench "^$1\$/^$SIZE\$" -test.benchtime "${3}x" >/dev/null 2>&1
	python3 - "$work/cg.out" "$2" <<'PY'
import re, sys
names, cfn, calls, total = {}, None, 0, 0
for line in open(sys.argv[1]):
    m = re.match(r'^(c?fn)=\((\d+)\)(?: (.*))?', line)
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3).strip()
        if m.group(1) == 'cfn':
            cfn = names.get(m.group(2))
        continue
    if line.startswith('calls=') and cfn and cfn.endswith('.' + sys.argv[2]):
        calls += int(line.split('=')[1].split()[0])
    if line.startswith('summary:') or line.startswith('totals:'):
        total = int(line.split()[1])
print(total, calls)
PY
}
perop() { # BENCH OPFUNC
	local i1 c1 i5 c5
	read -r i1 c1 < <(count "$1" "$2" 1)
	read -r i5 c5 < <(count "$1" "$2" 5)
	echo $(((i5 - i1) / (c5 - c1)))
}
yard=$(perop BenchmarkLoadAndFrame benchOpLoadAndFrame)
printf "%-26s %14s %8s\n" "benchmark ($SIZE scopes)" instructions/op ratio
printf "%-26s %14d %8.2f\n" BenchmarkLoadAndFrame "$yard" 1
for b in BenchmarkStagedEditSaved:benchOpStagedEdit BenchmarkStagedEdit:benchOpStagedEdit BenchmarkFirstFrame:benchOpFirstFrame; do
	n=$(perop "${b%%:*}" "${b##*:}")
	awk -v b="${b%%:*}" -v n="$n" -v y="$yard" 'BEGIN { printf "%-26s %14d %8.2f\n", b, n, n/y }'
done
