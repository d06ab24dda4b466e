#!/usr/bin/env bash
# Terminal injection in a real terminal (tmux): a node whose policy.json and
# registries.d hold OSC 0 (window title), OSC 52 (clipboard), CSI cursor
# moves and U+202E is shown by the CLI commands and by every view of the
# TUI; afterwards the pane's title must be unchanged, no tmux buffer may
# have been set through the clipboard sequence, and the screen must show
# the sequences escaped. Needs tmux.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=/tmp/imgtrust-ci/imgtrust
[ -x "$bin" ] || CGO_ENABLED=0 go build -o "$bin" .
if ! command -v tmux >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null && apt-get install -y -qq tmux </dev/null >/dev/null
fi

work=$(mktemp -d)
sock="imgtrust-inj-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

root="$work/root"
mkdir -p "$root/etc/containers/registries.d" "$root/etc/gpg"
# JSON and YAML escapes in the files; real control characters once parsed.
printf '%s\n' '{"default": [{"type": "reject"}], "transports": {"docker": {"ev\u202eil.example.com/\u001b]0;OWNED-TITLE\u0007\u001b]52;c;T1dORUQ=\u0007": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/gpg/k\u001b[2J\u001b[1G.gpg"}]}}}' >"$root/etc/containers/policy.json"
printf '%s\n' 'docker:' '  registry.example.com:' '    lookaside: "https://sigs.example/\u202egpj.exe\e]0;OWNED-TITLE\a\e]52;c;T1dORUQ=\a"' >"$root/etc/containers/registries.d/a.yaml"

tmux -L "$sock" new-session -d -x 100 -y 30 -n imgtrust "sleep 600"
tmux -L "$sock" set -g set-clipboard on
tmux -L "$sock" set -g allow-rename on
tmux -L "$sock" select-pane -T clean-title
screen() { tmux -L "$sock" capture-pane -p; }
keys() { tmux -L "$sock" send-keys "$@"; sleep 0.5; }
fail() { echo "terminal-injection: $*" >&2; screen >&2; exit 1; }
check() {
	title=$(tmux -L "$sock" display -p '#{pane_title}')
	# The TUI names its own window "imgtrust"; a value must never.
	case "$title" in *OWNED*) fail "$1 set the pane title to '$title'" ;; esac
	tmux -L "$sock" list-buffers 2>/dev/null | grep -q . && fail "$1 wrote the clipboard (a tmux buffer was set)"
	return 0
}

tmux -L "$sock" respawn-pane -k "cd $work && TERM=linux $bin --root $root lint; $bin --root $root show; $bin --root $root lookaside list; sleep 600"
sleep 2
check "the CLI"
screen | grep -qF '\x1b]0;OWNED-TITLE' || fail "the CLI does not show the OSC sequence escaped"

tmux -L "$sock" respawn-pane -k "cd $work && TERM=linux $bin --root $root; sleep 600"
sleep 2
keys Escape # the setup offer
for v in 1 2 j j Right Left 3 4 5 Escape 6 j j j; do
	keys "$v"
	check "the TUI (after key $v)"
done
keys 2 j j
screen | grep -qF 'ev\u202eil.example.com' || fail "the TUI does not show the scope escaped"
keys q
echo "terminal-injection: CLI and TUI showed OSC 0/52, CSI and U+202E escaped; title and clipboard unchanged"
