#!/usr/bin/env bash
# Brief fuzzing of every target (regressions show; long runs are local,
# see SECURITY.md) and the crash-safety test with many more kills.
set -euo pipefail
cd "$(dirname "$0")/../.."
fuzztime="${IMGTRUST_FUZZTIME:-10s}"
# Minimising each new corpus entry costs thousands of runs (a 1.3 KB key
# with RSA self-signatures took the whole 10 s budget, so FuzzParseKeyring
# made 7 execs); a crasher's input is written whether or not it is minimised.
minimizetime="${IMGTRUST_FUZZMINIMIZETIME:-2s}"
targets=$(grep -rhoE --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)' . | sort -u | wc -l)
echo "fuzzing $targets targets for $fuzztime each"
for file in $(grep -rlE --include='*_test.go' '^func Fuzz' .); do
  pkg="./$(dirname "${file#./}")"
  for fn in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | awk '{print $2}'); do
    log=$(mktemp)
    if go test "$pkg" -run '^$' -fuzz "^${fn}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimizetime" >"$log" 2>&1; then
      echo "ok    $pkg $fn ($(grep -oE 'execs: [0-9]+' "$log" | tail -1))"
    else
      echo "FAIL  $pkg $fn"; grep -v '^fuzz: elapsed' "$log" | tail -40
      exit 1
    fi
    rm -f "$log"
  done
done
echo "== crash safety, ${IMGTRUST_CRASH_ITERATIONS:=300} kills"
IMGTRUST_CRASH_ITERATIONS=$IMGTRUST_CRASH_ITERATIONS go test ./policyio -run "^TestCrashSafety$" -count=1 -v 2>&1 | grep -E "^(---|ok|FAIL|\s+crash)"
