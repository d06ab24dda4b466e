#!/usr/bin/env bash
# Side-by-side timing (not pass/fail): wall time of `imgtrust verify` and of
# the skopeo command that reaches the same verdict (skopeo copy to dir:, as
# in run.sh), for a signed (accepted) and an unsigned (rejected) image,
# interleaved runs, medians and ratios; then 100 references through
# `imgtrust verify --from` against 100 separate skopeo runs.
#
# usage: e2e/timing.sh [RUNS]   (default 9 runs per command)
# env: IMGTRUST=binary (default: go build), BATCH=100
set -euo pipefail
RUNS=${1:-9}
BATCH=${BATCH:-100}

# shellcheck source=e2e/lib.sh
. "$(dirname "$0")/lib.sh"
REPO=$(cd "$E2E_DIR/.." && pwd)

T=$(mktemp -d /tmp/imgtrust-timing.XXXXXX)
trap e2e_cleanup EXIT
trap 'exit 130' INT TERM
e2e_servers
export GNUPGHOME="$T/gnupg"
mkdir -m 700 -p "$GNUPGHOME" "$T/keys"
g --quick-gen-key 'E2E RSA <rsa@e2e.test>' rsa2048 sign never 2>>"$T/gpg.log"
FPR_RSA=$(fpr_of rsa@e2e.test)
g --export "$FPR_RSA" >"$T/keys/rsa.gpg" 2>>"$T/gpg.log"

if [ -z "${IMGTRUST:-}" ]; then
	IMGTRUST="$T/imgtrust"
	(cd "$REPO" && CGO_ENABLED=0 go build -o "$IMGTRUST" .)
fi
if grep -q 'not available in this build' <<<"$("$IMGTRUST" verify 2>&1 || true)"; then
	echo "timing: imgtrust verify is not in this build; nothing to compare" >&2
	exit 2
fi

log "timing: pushing $BATCH signed images and one unsigned image..."
push e2e/unsigned:v1 unsigned
# Pushes in a few parallel lanes: skopeo spends most of its time waiting.
lanes=()
for lane in 0 1 2 3; do
	(
		for i in $(seq "$lane" 4 $((BATCH - 1))); do
			push "e2e/bulk$i:v1" "bulk$i" "$FPR_RSA"
		done
	) &
	lanes+=($!)
done
for pid in "${lanes[@]}"; do wait "$pid" || die "pushing the batch images failed"; done
printf '{"default":[{"type":"reject"}],"transports":{"docker":{"%s/e2e":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"%s"}]}}}\n' \
	"$REG" "$T/keys/rsa.gpg" >"$T/policy.json"
P="$T/policy.json"
D="$T/regd"

now() { date +%s%N; }
ours() { "$IMGTRUST" verify --policy "$P" --registries.d "$D" --keys-dir "$T/keys" --tls-verify=false --mechanism gpgme "$@" >/dev/null 2>&1; }
theirs() {
	rm -rf "$T/out"
	skopeo --policy "$P" --registries.d "$D" copy --quiet --src-tls-verify=false "docker://$1" "dir:$T/out" >/dev/null 2>&1
}
# timed NAME want-exit CMD...: appends milliseconds to $T/t.NAME
timed() {
	local name=$1 want=$2 t0 rc
	shift 2
	t0=$(now)
	set +e
	"$@"
	rc=$?
	set -e
	echo $((($(now) - t0) / 1000000)) >>"$T/t.$name"
	[ "$rc" -eq "$want" ] || { echo "timing: $name exited $rc, expected $want" >&2; exit 1; }
}
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }

SIGNED="$REG/e2e/bulk0:v1"
UNSIGNED="$REG/e2e/unsigned:v1"
# One warm-up of each, so that page cache and the servers are warm for both.
ours "$SIGNED" || true
theirs "$SIGNED" || true
for _ in $(seq 1 "$RUNS"); do
	timed ours-signed 0 ours "$SIGNED"
	timed skopeo-signed 0 theirs "$SIGNED"
	timed ours-rejected 1 ours "$UNSIGNED"
	timed skopeo-rejected 1 theirs "$UNSIGNED"
done

for i in $(seq 0 $((BATCH - 1))); do echo "$REG/e2e/bulk$i:v1"; done >"$T/refs.txt"
timed ours-batch 0 "$IMGTRUST" verify --policy "$P" --registries.d "$D" --keys-dir "$T/keys" \
	--tls-verify=false --mechanism gpgme --from "$T/refs.txt"
batch_skopeo() {
	local ref
	while read -r ref; do theirs "$ref" || return 1; done <"$T/refs.txt"
}
timed skopeo-batch 0 batch_skopeo

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else print "n/a" }'; }
echo "== timing ($RUNS interleaved runs each, median wall ms; skopeo $(skopeo --version | awk '{print $3}'), $(nproc) CPUs)"
for c in signed rejected; do
	o=$(median "$T/t.ours-$c")
	s=$(median "$T/t.skopeo-$c")
	printf '%-9s imgtrust %5d ms   skopeo %5d ms   skopeo/imgtrust %s\n' "$c" "$o" "$s" "$(ratio "$o" "$s")"
done
o=$(cat "$T/t.ours-batch")
s=$(cat "$T/t.skopeo-batch")
printf 'batch of %d: imgtrust verify --from %d ms   %d skopeo runs %d ms   skopeo/imgtrust %s\n' \
	"$BATCH" "$o" "$BATCH" "$s" "$(ratio "$o" "$s")"
