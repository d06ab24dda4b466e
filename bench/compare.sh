#!/usr/bin/env bash
# compare.sh [RUNS] — imgtrust ÷ containers/image on the same generated
# policies (gen: signedBy with keyPath to 24 distinct key files, reject,
# insecureAcceptAnything, identities) at 1k, 10k and 100k scopes:
#   - in-process parse (BenchmarkParse: ns/op and bytes/op),
#   - whole process: `imgtrust lint` and `imgtrust show` against `anchor`
#     (one process reading the file and calling signature.NewPolicyFromBytes),
#     median wall time, CPU time (user + system) and peak RSS
#     (/usr/bin/time -v) of RUNS interleaved runs (default 5), so that load
#     from other work on the machine falls on both sides alike; on a
#     loaded machine the CPU time is the steadier of the two times.
# Targets: lint <= 1.0x and peak memory <= 1.2x at every size.
set -euo pipefail
RUNS=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
work=${BENCH_WORK:-$(mktemp -d)}
data=${BENCH_DATA:-$work/data}
TAGS="containers_image_openpgp containers_image_storage_stub containers_image_docker_daemon_stub exclude_graphdriver_btrfs exclude_graphdriver_devicemapper"
if [ ! -x /usr/bin/time ]; then
	apt-get install -y time >/dev/null
fi
cd "$here"
(cd .. && CGO_ENABLED=0 go build -o "$work/imgtrust" .)
CGO_ENABLED=0 go build -tags "$TAGS" -o "$work/anchor" ./anchor
go run ./gen -out "$data" -sizes 1000,10000,100000

# measure CMD...: prints "seconds maxrss_kb cpu_seconds" of one run.
measure() {
	/usr/bin/time -v "$@" >/dev/null 2>"$work/time.txt" || true
	awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; w=s}
	           /User time|System time/ {c+=$2}
	           /Maximum resident set size/ {m=$2} END {print w, m, c}' "$work/time.txt"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "== in-process parse (go test -bench BenchmarkParse, ratio imgtrust / containers-image)"
BENCH_DATA="$data" CGO_ENABLED=0 go test -tags "$TAGS" -run '^$' -bench BenchmarkParse -benchmem -count 3 . | tee "$work/parse.txt" | grep -E '^Benchmark' || true
awk '/^BenchmarkParse\// { split($1,p,"/"); sub(/-[0-9]+$/,"",p[3]); t[p[2]"/"p[3]]+=$3; m[p[2]"/"p[3]]+=$5; c[p[2]"/"p[3]]++ }
     END { for (n in c) { split(n,q,"/"); if (q[1]=="imgtrust") printf "parse %7s scopes: time %.2fx, bytes %.2fx\n", q[2], t[n]/t["containers-image/"q[2]], m[n]/m["containers-image/"q[2]] } }' "$work/parse.txt" | sort -k2 -n

echo "== whole process, median of $RUNS interleaved runs (ratio imgtrust / anchor)"
printf "%-6s %7s %10s %10s %8s %8s %10s %10s %8s\n" cmd scopes imgtrust_s anchor_s time_x cpu_x imgtrust_kb anchor_kb mem_x
for n in 1000 10000 100000; do
	root="$data/$n"
	pol="$root/etc/containers/policy.json"
	for cmd in lint show; do
		: >"$work/a.t"; : >"$work/a.m"; : >"$work/a.c"; : >"$work/b.t"; : >"$work/b.m"; : >"$work/b.c"
		for _ in $(seq "$RUNS"); do
			read -r t m c < <(measure "$work/imgtrust" "$cmd" --root "$root" --mechanism openpgp-gocrypto)
			echo "$t" >>"$work/a.t"; echo "$m" >>"$work/a.m"; echo "$c" >>"$work/a.c"
			read -r t m c < <(measure "$work/anchor" "$pol")
			echo "$t" >>"$work/b.t"; echo "$m" >>"$work/b.m"; echo "$c" >>"$work/b.c"
		done
		at=$(median <"$work/a.t"); am=$(median <"$work/a.m"); ac=$(median <"$work/a.c")
		bt=$(median <"$work/b.t"); bm=$(median <"$work/b.m"); bc=$(median <"$work/b.c")
		awk -v c="$cmd" -v n="$n" -v at="$at" -v bt="$bt" -v am="$am" -v bm="$bm" -v ac="$ac" -v bc="$bc" \
			'BEGIN { printf "%-6s %7d %10.3f %10.3f %8.2f %8.2f %10d %10d %8.2f\n", c, n, at, bt, (bt>0?at/bt:0), (bc>0?ac/bc:0), am, bm, am/bm }'
	done
done
