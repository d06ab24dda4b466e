#!/usr/bin/env bash
# Shadow and trial as an admin runs them, with the static binary: the demo
# node's servers (imgtrust demo --serve), a shadow soak of a reject-by-
# default candidate while images.json is grown in place and replaced by
# rename, stopped with SIGTERM (summary printed, exit 1: it would have
# rejected images); --report agrees. Then a --try change whose applying
# command is killed with SIGKILL together with its process group: the
# detached watcher restores policy.json byte for byte.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${IMGTRUST_BIN:-/tmp/imgtrust-ci/imgtrust}
[ -x "$bin" ] || CGO_ENABLED=0 go build -o "$bin" .

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

root="$work/node"
"$bin" demo --keep "$root" --serve >"$work/demo.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^REGISTRY=' "$work/demo.out" && break; sleep 0.1; done
reg=$(sed -n 's/^REGISTRY=//p' "$work/demo.out")
[ -n "$reg" ] || fail "demo did not start: $(cat "$work/demo.out")"

store="$root/var/lib/containers/storage/overlay-images"
mkdir -p "$store"
printf '[{"id":"1","digest":"sha256:01","names":["%s/demo/signed:v1"]}]' "$reg" >"$store/images.json"
sed 's/"insecureAcceptAnything"/"reject"/' "$root/etc/containers/policy.json" >"$work/candidate.json"

"$bin" --root "$root" shadow --candidate "$work/candidate.json" --tls-verify=false --interval 1h >"$work/shadow.out" 2>&1 &
shadow=$!
pids+=($shadow)
wait_line() { for _ in $(seq 1 100); do grep -qF -- "$1" "$work/shadow.out" && return 0; sleep 0.1; done; fail "no line with $1: $(cat "$work/shadow.out")"; }
wait_line "$reg/demo/signed:v1"
# Grown in place, then replaced by rename as containers/storage does.
printf '[{"id":"1","digest":"sha256:01","names":["%s/demo/signed:v1"]},{"id":"2","digest":"sha256:02","names":["%s/demo/unsigned:v1"]}]' "$reg" "$reg" >"$store/images.json"
wait_line "$reg/demo/unsigned:v1"
printf '[{"id":"1","digest":"sha256:01","names":["%s/demo/signed:v1"]},{"id":"2","digest":"sha256:02","names":["%s/demo/unsigned:v1"]},{"id":"3","digest":"sha256:03","names":["%s/open/tool:v1"]}]' "$reg" "$reg" "$reg" >"$store/.images.json.tmp"
mv "$store/.images.json.tmp" "$store/images.json"
wait_line "candidate REJECTED    $reg/open/tool:v1"
kill -TERM "$shadow"
code=0; wait "$shadow" || code=$?
[ "$code" = 1 ] || fail "shadow exit $code after SIGTERM, want 1: $(cat "$work/shadow.out")"
grep -q "4 pulls, 3 would have been rejected:" "$work/shadow.out" || fail "summary: $(cat "$work/shadow.out")"
[ "$(grep -c '"event":"image"' "$root/var/lib/imgtrust/shadow.log")" = 4 ] || fail "log: $(cat "$root/var/lib/imgtrust/shadow.log")"
code=0; "$bin" --root "$root" shadow --report >"$work/report.out" || code=$?
[ "$code" = 1 ] && grep -q "3 would have been rejected" "$work/report.out" || fail "report exit $code: $(cat "$work/report.out")"
echo "shadow: ok ($(head -1 "$work/report.out"))"

cp "$root/etc/containers/policy.json" "$work/policy.before"
setsid "$bin" --root "$root" --own-image none policy set "$reg/open" --reject --allow-lockout --offline --try 2s >"$work/try.out" 2>&1 &
applier=$!
for _ in $(seq 1 100); do [ -f "$root/var/lib/imgtrust/trial.json" ] && grep -q watcher_pid "$root/var/lib/imgtrust/trial.json" && break; sleep 0.05; done
kill -KILL -- -"$applier" 2>/dev/null || true
wait "$applier" 2>/dev/null || true
cmp -s "$work/policy.before" "$root/etc/containers/policy.json" && fail "the change was not applied: $(cat "$work/try.out")"
for _ in $(seq 1 100); do [ -f "$root/var/lib/imgtrust/trial.json" ] || break; sleep 0.1; done
[ -f "$root/var/lib/imgtrust/trial.json" ] && fail "the watcher did not revert"
cmp "$work/policy.before" "$root/etc/containers/policy.json" || fail "policy.json not restored byte for byte"
grep -q "action=trial-revert " "$root/var/log/imgtrust/audit.log" || fail "no trial-revert in the audit log"
echo "trial: ok (reverted by the watcher after kill -9 of the applying command's group)"

# A log past 1 GB (a long soak) is still summarized (a sparse file; slow
# for go test ./...).
IMGTRUST_SLOW=1 go test -count=1 -run TestShadowReportPastOneGB .
