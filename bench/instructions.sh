#!/usr/bin/env bash
# instructions.sh [SIZES] — instructions executed (valgrind --tool=callgrind)
# by `imgtrust lint` and by `anchor` (containers/image's parser) on the
# policies gen writes, and their ratio: a figure that load from other work
# on the machine does not move (wall and CPU time do). SIZES defaults to
# "1000 10000" (100k takes minutes under valgrind). Go's asynchronous
# preemption is turned off: callgrind does not follow its signals.
set -euo pipefail
SIZES=${1:-1000 10000}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_WORK:-$(mktemp -d)}
data=${BENCH_DATA:-$work/data}
TAGS="containers_image_openpgp containers_image_storage_stub containers_image_docker_daemon_stub exclude_graphdriver_btrfs exclude_graphdriver_devicemapper"
cd "$here"
(cd .. && CGO_ENABLED=0 go build -o "$work/imgtrust" .)
CGO_ENABLED=0 go build -tags "$TAGS" -o "$work/anchor" ./anchor
[ -d "$data/1000" ] || go run ./gen -out "$data" -sizes "$(echo "$SIZES" | tr ' ' ,)"
count() {
	GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" >/dev/null 2>"$work/cg.txt" || true
	awk '/Collected/ {print $4}' "$work/cg.txt"
}
printf "%7s %14s %14s %8s\n" scopes imgtrust_lint anchor ratio
for n in $SIZES; do
	a=$(count "$work/imgtrust" lint --root "$data/$n" --mechanism openpgp-gocrypto)
	b=$(count "$work/anchor" "$data/$n/etc/containers/policy.json")
	awk -v n="$n" -v a="$a" -v b="$b" 'BEGIN { printf "%7d %14d %14d %8.2f\n", n, a, b, a/b }'
done
