#!/usr/bin/env bash
# ui-instructions.sh [SIZE] — instructions per op (valgrind --tool=callgrind)
# of the TUI benchmarks of issue 15 at SIZE scopes (default 10000), each
# against the yardstick BenchmarkLoadAndFrame (one LoadPolicy plus one
# frame). Only the op itself is counted (--toggle-collect on the benchOp*
# functions of ui/bench_test.go: no set-up), and per op is the total over
# the op's calls that callgrind counted, OPS of them (default 6; the
# testing package may call a benchmark function once more). For an edit
# the mean includes the first edit after opening, which decodes the whole
# policy into the empty parse cache: an upper bound of the steady edit.
# (Splitting the count per call with --dump-after, or subtracting a
# one-op run, gave counts that jumped by half between calls: Go's
# goroutines move between threads, callgrind's call tracking loses an
# op's exit, and the testing package's extra call brings its set-up.)
# The collector is off (GOGC=off) so that the counts repeat, and Go's
# asynchronous preemption too (callgrind does not follow its signals).
set -euo pipefail
SIZE=${1:-10000}
OPS=${OPS:-6}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_WORK:-$(mktemp -d)}
(cd "$here/.." && go test -c -o "$work/ui.test" ./ui)
cd "$here/../ui"
perop() { # BENCH OPFUNC: prints instructions per call of OPFUNC
	GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		--toggle-collect="github.com/kios/imgtrust/ui.$2" \
		"$work/ui.test" -test.run '^$' -test.bench "^$1\$/^$SIZE\$" -test.benchtime "${OPS}x" >/dev/null 2>&1
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
print(total // calls)
PY
}
yard=$(perop BenchmarkLoadAndFrame benchOpLoadAndFrame)
printf "%-26s %14s %8s\n" "benchmark ($SIZE scopes)" instructions/op ratio
printf "%-26s %14d %8.2f\n" BenchmarkLoadAndFrame "$yard" 1
for b in BenchmarkStagedEditSaved:benchOpStagedEdit BenchmarkStagedEdit:benchOpStagedEdit BenchmarkFirstFrame:benchOpFirstFrame; do
	n=$(perop "${b%%:*}" "${b##*:}")
	awk -v b="${b%%:*}" -v n="$n" -v y="$yard" 'BEGIN { printf "%-26s %14d %8.2f\n", b, n, n/y }'
done
