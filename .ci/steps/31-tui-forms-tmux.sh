#!/usr/bin/env bash
# Drives the rule form of the real TUI in tmux at 80x24 on the Linux
# console's TERM: on the demo node, turns the signed scope's keyPath into a
# keyPaths multi-select, saves, then into a sigstoreSigned rule that embeds
# a cosign key (keyData), saves through the widening confirmation, and
# checks each file with jq and `imgtrust lint`. Needs tmux and jq.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${IMGTRUST_BIN:-/tmp/imgtrust-ci/imgtrust}
[ -x "$bin" ] || CGO_ENABLED=0 go build -o "$bin" .
if ! command -v tmux >/dev/null || ! command -v jq >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null && apt-get install -y -qq tmux jq </dev/null >/dev/null
fi

work=$(mktemp -d)
node="$work/node"
sock="imgtrust-forms-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

screen() { tmux -L "$sock" capture-pane -p; }
keys() { tmux -L "$sock" send-keys "$@"; sleep 0.3; }
text() { tmux -L "$sock" send-keys -l "$1"; sleep 0.3; }
wait_for() {
	for _ in $(seq 1 50); do
		if screen | grep -qF -- "$1"; then return 0; fi
		sleep 0.2
	done
	echo "tui-forms: timed out waiting for: $1" >&2
	screen >&2
	exit 1
}
# save: review the staged edit and write it, typing yes when it widens.
save() {
	keys C-s
	wait_for "Review and save"
	keys y
	for _ in $(seq 1 50); do
		s=$(screen)
		if grep -qF "(backup kept)" <<<"$s"; then return 0; fi
		if grep -qF "type yes" <<<"$s"; then text yes; keys Enter; wait_for "(backup kept)"; return 0; fi
		sleep 0.2
	done
	echo "tui-forms: the save did not finish" >&2
	screen >&2
	exit 1
}
# edit_rule: open the form on the demo scope's first rule.
edit_rule() {
	keys 2
	keys g
	keys j j Right
	keys e
	wait_for "Edit rule 1 of docker:$scope"
}

tmux -L "$sock" new-session -d -x 80 -y 24 "cd $work && TERM=linux $bin demo --keep $node; sleep 600"
wait_for "press Enter to open the trust manager"
policy="$node/etc/containers/policy.json"
scope=$(grep -o '"127\.0\.0\.1:[0-9]*/[^"]*"' "$policy" | head -1 | tr -d '"')
[ -n "$scope" ] || { echo "tui-forms: no demo scope in the policy" >&2; exit 1; }
key=$(jq -r --arg s "$scope" '.transports.docker[$s][0].keyPath' "$policy")
keys Enter
wait_for "Start the guided setup?"
keys n

# 1. keyPaths: the inventory key marked with space.
edit_rule
keys Tab Right Right
wait_for "several key files, any one may sign (keyPaths)"
keys Tab Space
wait_for "[x]"
keys C-s
wait_for "staged: edit rule 1"
save
jq -e --arg s "$scope" --arg k "$key" '.transports.docker[$s][0] | .keyPaths == [$k] and (has("keyPath") | not)' "$policy" >/dev/null ||
	{ echo "tui-forms: keyPaths not written" >&2; cat "$policy" >&2; exit 1; }
"$bin" lint --offline --root "$node" >/dev/null || { echo "tui-forms: lint finds errors in the keyPaths rule" >&2; exit 1; }

# 2. sigstoreSigned embedding a cosign public key (keyData).
mkdir -p "$node/etc/containers"
cat >"$node/etc/containers/cosign.pub" <<'PEM'
-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEyATKxsk4eRAUP2FSpmCpmHvZpJFU
sZ+EpK0s2/tZ/EBYyl074sOSPTn/ySHQcUwGbE3qVFPQ63XM+zrnUP4wtg==
-----END PUBLIC KEY-----
PEM
edit_rule
keys Right Right
wait_for "sigstoreSigned"
keys Tab Right Right
wait_for "(keyData)"
keys Tab
text /etc/containers/cosign.pub
wait_for "ECDSA P-256 public key"
keys C-s
wait_for "staged: edit rule 1"
save
want=$(base64 -w0 "$node/etc/containers/cosign.pub")
jq -e --arg s "$scope" --arg d "$want" '.transports.docker[$s][0] | .type == "sigstoreSigned" and .keyData == $d' "$policy" >/dev/null ||
	{ echo "tui-forms: the embedded key is not the file's" >&2; cat "$policy" >&2; exit 1; }
"$bin" lint --offline --root "$node" >/dev/null || { echo "tui-forms: lint finds errors in the sigstore rule" >&2; exit 1; }
keys q
echo "tui-forms: keyPaths and an embedded sigstore key written from the rule form on $scope; lint agrees"
