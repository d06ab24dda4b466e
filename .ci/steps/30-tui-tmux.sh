#!/usr/bin/env bash
# Drives the real TUI in tmux at 80x24 on the Linux console's TERM, as an
# admin would: open the demo node, run the guided setup to a
# reject-by-default policy with one signed scope, save, and check that
# `imgtrust lint` (and `imgtrust verify`, when built) agree with what the
# screen said. Then one change of each kind (a key import, a scope, a
# look-aside) is staged and saved through one review. Needs tmux, jq and
# gpg (installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${IMGTRUST_BIN:-/tmp/imgtrust-ci/imgtrust}
[ -x "$bin" ] || CGO_ENABLED=0 go build -o "$bin" .
if ! command -v tmux >/dev/null || ! command -v jq >/dev/null || ! command -v gpg >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null && apt-get install -y -qq tmux jq gnupg </dev/null >/dev/null
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
# A save that makes the pause image unpullable wants its name typed.
if screen | grep -qF "type the image's name"; then
	name=$(screen | grep -oE 'Type [^ ]+ to save anyway' | awk '{print $2}')
	[ -n "$name" ] || { echo "tui-tmux: the lockout prompt names no image" >&2; screen >&2; exit 1; }
	keys "$name" Enter
fi
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

# One change of each kind, one review, one save: a key import, a scope
# signed by the demo key, and a look-aside; nothing is written before y.
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "CI Release <ci@example.com>" rsa2048 sign never
gpg --batch --export ci@example.com >"$work/ci.gpg"
tmux -L "$sock" kill-server 2>/dev/null || true
before=$(cd "$node" && find etc -type f | sort | xargs sha256sum)
audit_before=$(wc -l <"$node/var/log/imgtrust/audit.log")
tmux -L "$sock" new-session -d -x 80 -y 24 "TERM=linux $bin --root $node --tls-verify=false; sleep 600"
wait_for "Trust posture"
keys 3
keys i
wait_for "Import a public key"
keys "$work/ci.gpg" Enter
wait_for "Import 1 key?"
keys y
wait_for "staged: import"
keys 2
keys a
wait_for "Add a scope"
keys "quay.io/ci" Enter Enter Enter Enter Enter
wait_for "staged: add scope docker:quay.io/ci"
keys 4
keys a
wait_for "Add a look-aside"
keys "quay.io/ci" Enter "https://sigs.example.com/ci" Enter Enter
wait_for "staged: look-aside for quay.io/ci"
now=$(cd "$node" && find etc -type f | sort | xargs sha256sum)
[ "$now" = "$before" ] || { echo "tui-tmux: a staged change was written before the review" >&2; exit 1; }
keys C-s
wait_for "Review and save"
review=$(screen)
for want in "/etc/gpg/ci-example.com-" "registries.d/quay.io.yaml will be created" "policy.json will change" "written as one change"; do
	echo "$review" | grep -qF -- "$want" || { echo "tui-tmux: the review does not show: $want" >&2; echo "$review" >&2; exit 1; }
done
keys y
# quay.io/ci was rejected by the default: signed images now get in.
wait_for "type yes"
keys yes Enter
wait_for "saved 3 files as one change"
keys q
jq -e '.transports.docker["quay.io/ci"][0].type == "signedBy"' "$node/etc/containers/policy.json" >/dev/null || { echo "tui-tmux: quay.io/ci not saved" >&2; exit 1; }
grep -q "https://sigs.example.com/ci" "$node/etc/containers/registries.d/quay.io.yaml" || { echo "tui-tmux: look-aside not saved" >&2; exit 1; }
ls "$node"/etc/gpg/ci-example.com-*.gpg >/dev/null || { echo "tui-tmux: key not saved" >&2; exit 1; }
tail -n +"$((audit_before + 1))" "$node/var/log/imgtrust/audit.log" | grep -c "action=apply files=3" | grep -qx 1 ||
	{ echo "tui-tmux: want one audit entry naming the three files" >&2; tail -3 "$node/var/log/imgtrust/audit.log" >&2; exit 1; }
echo "tui-tmux: a key, a scope and a look-aside went through one review and one save (one audit entry)"
