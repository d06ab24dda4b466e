#!/usr/bin/env bash
# End-to-end suite against the real runtime code (Debian's skopeo, and
# containers/image itself built per OpenPGP mechanism, a real registry,
# gpg). Run by .ci/run after `go test ./...`, as root, CI=true, no stdin.
# Installs its tools with apt, then runs e2e/run.sh (which builds the
# oracles once into ~/.cache/imgtrust-oracle, see e2e/oracle/build.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

# gcc, pkg-config, libgpgme-dev and libsqlite3-dev build the gpgme oracle
# (containers/image v5.42 with cgo; e2e/oracle/build.sh).
need=(skopeo docker-registry gnupg openssl tmux curl jq python3 gcc libc6-dev pkg-config libgpgme-dev libsqlite3-dev)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "e2e: missing packages ${missing[*]} and not root: install them first" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq </dev/null
	# The package's own registry service is not wanted (the suite starts its
	# own on a free loopback port): a temporary policy-rc.d keeps apt from
	# starting it.
	own_policy_rc=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		own_policy_rc=1
	fi
	apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
	[ -z "$own_policy_rc" ] || rm -f /usr/sbin/policy-rc.d
fi

export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"
mkdir -p /tmp/imgtrust-ci
CGO_ENABLED=0 go build -o /tmp/imgtrust-ci/imgtrust-e2e .
IMGTRUST=/tmp/imgtrust-ci/imgtrust-e2e bash e2e/run.sh </dev/null
