#!/usr/bin/env bash
# Repairs the kiOS guide's example policy.json (a "]]", comments, a second
# "type", keyPath with keyPaths and keyData, a misspelt identity) in the
# TUI's raw editor, in tmux at 80x24 on the Linux console's TERM, with the
# editor's quick fixes and nothing else, as an admin on a node without a
# shell editor would. Then `imgtrust lint` must report no syntax or schema
# error: only the key files the policy names and the node lacks remain.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${IMGTRUST_BIN:-/tmp/imgtrust-ci/imgtrust}
[ -x "$bin" ] || { mkdir -p "$(dirname "$bin")" && CGO_ENABLED=0 go build -o "$bin" .; }
if ! command -v tmux >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null && apt-get install -y -qq tmux </dev/null >/dev/null
fi

work=$(mktemp -d)
root="$work/root"
sock="imgtrust-repair-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$root/etc/containers/registries.d" "$root/etc/gpg"
cp testdata/kios-guide-policy.json "$root/etc/containers/policy.json"
cp testdata/kios-guide/*.yaml "$root/etc/containers/registries.d/"

screen() { tmux -L "$sock" capture-pane -p; }
keys() { tmux -L "$sock" send-keys "$@"; sleep 0.4; }
fail() { echo "tui-repair: $*" >&2; screen >&2; exit 1; }
wait_for() {
	for _ in $(seq 1 50); do
		if screen | grep -qF -- "$1"; then return 0; fi
		sleep 0.2
	done
	fail "timed out waiting for: $1"
}

tmux -L "$sock" new-session -d -x 80 -y 24 "TERM=linux $bin --root $root --runtime-version v5.38.0 --mechanism openpgp-gocrypto; sleep 600"
wait_for "1 Overview"
keys 2
wait_for "policy.json cannot be parsed"
keys E
wait_for "line 26, col 32"

# Walk the problems of the text: apply the selected one's quick fix when
# it has one (a choice: every comment at once, keep keyPaths), else go to
# the next. Stop when a whole round finds nothing to fix.
idle=0
fixes=0
for _ in $(seq 1 60); do
	s=$(screen)
	if echo "$s" | grep -q "ctrl+f: [0-9] choices"; then
		keys C-f
		if screen | grep -q "keep keyPaths"; then keys 2; else keys 2; fi
	elif echo "$s" | grep -q "ctrl+f: "; then
		keys C-f
	else
		idle=$((idle + 1))
		[ "$idle" -gt 12 ] && break
		keys C-n
		continue
	fi
	idle=0
	fixes=$((fixes + 1))
done
[ "$fixes" -ge 5 ] || fail "only $fixes quick fixes applied"
if screen | grep -E "^\|.*(error|warning)" | grep -v "does not exist" | grep -q .; then
	fail "problems other than missing key files are left in the editor"
fi

keys C-s
wait_for "Review and save"
keys y
if screen | grep -qF "type yes"; then
	keys yes Enter
fi
wait_for "(backup kept)"
keys q

policy="$root/etc/containers/policy.json"
lintrc=0
lintout=$("$bin" lint --offline --root "$root" --runtime-version v5.38.0 --mechanism openpgp-gocrypto 2>&1) || lintrc=$?
[ "$lintrc" -eq 1 ] || { echo "tui-repair: lint exit $lintrc, want 1 (missing key files)" >&2; echo "$lintout" >&2; exit 1; }
errs=$(echo "$lintout" | grep -E ": error: " || true)
others=$(echo "$errs" | grep -v "key file .* does not exist" || true)
[ -z "$others" ] || { echo "tui-repair: syntax or schema errors remain:" >&2; echo "$others" >&2; cat "$policy" >&2; exit 1; }
[ "$(echo "$errs" | grep -c "does not exist")" -eq 2 ] || { echo "tui-repair: want the two keyPaths files missing:" >&2; echo "$lintout" >&2; exit 1; }
grep -q '"matchRepository"' "$policy" && grep -q '"keyType": "GPGKeys"' "$policy" && grep -q '"/etc/gpg/public-key-1.gpg"' "$policy" ||
	{ echo "tui-repair: the saved policy is not the guide's rule repaired:" >&2; cat "$policy" >&2; exit 1; }
echo "tui-repair: the guide's policy repaired in the editor with $fixes quick fixes; lint: only the 2 missing key files"
