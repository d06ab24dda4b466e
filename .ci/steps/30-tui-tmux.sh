#!/usr/bin/env bash
# Drives the real TUI in tmux at 80x24 on the Linux console's TERM, as an
# admin would: open the demo node, run the guided setup to a
# reject-by-default policy with one signed scope, save, and check that
# `imgtrust lint` (and `imgtrust verify`, when built) agree with what the
# screen said. Needs tmux (installed by 20-e2e.sh's package list).
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=/tmp/imgtrust-ci/imgtrust
[ -x "$bin" ] || CGO_ENABLED=0 go build -o "$bin" .
if ! command -v tmux >/dev/null || ! command -v jq >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null && apt-get install -y -qq tmux jq </dev/null >/dev/null
fi

work=$(mktemp -d)
node="$work/node"
sock="imgtrust-ci-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

screen() { tmux -L "$sock" capture-pane -p; }
keys() { tmux -L "$sock" send-keys "$@"; sleep 0.4; }
# wait_for TEXT: poll the screen for up to 10 s.
wait_for() {
	for _ in $(seq 1 50); do
		if screen | grep -qF -- "$1"; then return 0; fi
		sleep 0.2
	done
	echo "tui-tmux: timed out waiting for: $1" >&2
	screen >&2
	exit 1
}

tmux -L "$sock" new-session -d -x 80 -y 24 "cd $work && TERM=linux $bin demo --keep $node; sleep 600"
wait_for "press Enter to open the trust manager"
keys Enter
wait_for "Start the guided setup?"
scope=$(grep -o '"127\.0\.0\.1:[0-9]*/[^"]*"' "$node/etc/containers/policy.json" | head -1 | tr -d '"')
[ -n "$scope" ] || { echo "tui-tmux: no demo scope in the policy" >&2; exit 1; }
keys y
wait_for "Which registries or namespaces must be signed?"
keys "$scope" Enter
wait_for "Which key signs them?"
keys Enter
wait_for "Which signed identity must match?"
keys Enter
wait_for "Where are the signatures?"
keys Enter
wait_for "Test an image"
keys Enter
wait_for "What happens to every other image?"
screen | grep -qF "reject (recommended)" || { echo "tui-tmux: reject is not the recommended default" >&2; screen >&2; exit 1; }
keys Enter Enter Enter
wait_for "Impact check"
impact=$(screen)
keys Enter
# Rejecting (or not checking) the pause image needs its own confirmation.
if screen | grep -qE "REJECTS the pause image|NOT checked"; then
	keys y
fi
wait_for "Review and save"
keys y
wait_for "(backup kept)"
keys q

policy="$node/etc/containers/policy.json"
jq -e '.default == [{"type":"reject"}]' "$policy" >/dev/null || { echo "tui-tmux: default is not reject" >&2; cat "$policy" >&2; exit 1; }
jq -e --arg s "$scope" '.transports.docker[$s][0].type == "signedBy"' "$policy" >/dev/null || { echo "tui-tmux: $scope is not signedBy" >&2; exit 1; }
# lint's only error may be the pause image, when the impact screen said it
# is rejected (the wizard was told to stage it anyway).
lintrc=0
lintout=$("$bin" lint --offline --root "$node" 2>&1) || lintrc=$?
if echo "$impact" | grep -F "(pause image)" | grep -q "REJECT"; then
	[ "$lintrc" -eq 1 ] && echo "$lintout" | grep -q "1 error(s)" && echo "$lintout" | grep -q "rejects the pause image" ||
		{ echo "tui-tmux: the screen rejected the pause image, lint (exit $lintrc) does not say so" >&2; echo "$lintout" >&2; exit 1; }
else
	[ "$lintrc" -eq 0 ] || { echo "tui-tmux: lint disagrees: the saved policy has errors" >&2; echo "$lintout" >&2; exit 1; }
fi

# The impact screen's verdict for the pause image must be verify's.
pause=$(echo "$impact" | grep -F "(pause image)" | grep -oE '[a-z0-9.-]+(:[0-9]+)?/[^ ]*pause[^ ]*' | head -1)
[ -n "$pause" ] || { echo "tui-tmux: the impact screen did not name the pause image" >&2; echo "$impact" >&2; exit 1; }
rc=0
out=$("$bin" verify --root "$node" "$pause" 2>&1) || rc=$?
if echo "$out" | grep -q "not available in this build"; then
	echo "tui-tmux: verify not built yet; pause-image agreement not checked"
elif echo "$impact" | grep -F "(pause image)" | grep -q "REJECT"; then
	[ "$rc" -eq 1 ] || { echo "tui-tmux: screen said REJECT for $pause, verify exit $rc" >&2; exit 1; }
elif echo "$impact" | grep -F "(pause image)" | grep -q "ACCEPT"; then
	[ "$rc" -eq 0 ] || { echo "tui-tmux: screen said ACCEPT for $pause, verify exit $rc" >&2; exit 1; }
fi
echo "tui-tmux: wizard wrote a reject-by-default policy with $scope signed; lint agrees; verify exit $rc for $pause matches the impact screen"
