#!/usr/bin/env bash
# Builds the three oracles (containers/image itself, doing what a pull does)
# into OUT-DIR, once: a binary is rebuilt only when its sources, module
# files, tags or the Go toolchain changed. Each binary is checked with
# `go version -m` and its symbol table for the containers/image version and
# the OpenPGP code it links; a wrong one fails the build.
#
# usage: e2e/oracle/build.sh [OUT-DIR]
#   OUT-DIR  default $IMGTRUST_ORACLE_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/imgtrust-oracle
# Prints OUT-DIR on stdout. Builds:
#   oracle-xcrypto   image v5.38.0, containers_image_openpgp, x/crypto/openpgp (kiOS's CRI-O)
#   oracle-gocrypto  image v5.42.1, containers_image_openpgp, ProtonMail/go-crypto
#   oracle-gpgme     image v5.42.1, cgo, gpgme (needs gcc, libgpgme-dev, libsqlite3-dev)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-${IMGTRUST_ORACLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imgtrust-oracle}}
mkdir -p "$OUT"

# Tags that keep the pure-Go builds free of cgo and of storage drivers the
# oracle never uses; the gpgme build is the same without the openpgp tag.
COMMON="exclude_graphdriver_btrfs exclude_graphdriver_devicemapper containers_image_storage_stub containers_image_docker_daemon_stub"

die() { echo "oracle build: $*" >&2; exit 1; }

# check BIN IMAGE-VERSION CGO WANT-SYMBOL... -- NOT-SYMBOL...
check() {
	local bin=$1 ver=$2 cgo=$3 info syms s not=""
	shift 3
	info=$(go version -m "$bin")
	grep -qE "^[[:space:]]+dep[[:space:]]+go\.podman\.io/image/v5[[:space:]]+$ver[[:space:]]" <<<"$info" ||
		die "$bin does not link go.podman.io/image/v5 $ver:"$'\n'"$info"
	grep -qE "^[[:space:]]+build[[:space:]]+CGO_ENABLED=$cgo\$" <<<"$info" ||
		die "$bin was not built with CGO_ENABLED=$cgo"
	# go version -m lists modules, and x/crypto (and, from v5.42, go-crypto)
	# is linked by every build; the mechanism compiled in and the OpenPGP
	# package it calls are told by the symbols (T, or t when cgo links).
	syms=$(go tool nm "$bin" | awk '$2 == "T" || $2 == "t" {print $3}')
	for s in "$@"; do
		if [ "$s" = -- ]; then
			not=1
		elif [ -z "$not" ]; then
			grep -qxF "$s" <<<"$syms" || die "$bin lacks $s: wrong OpenPGP mechanism"
		else
			! grep -qxF "$s" <<<"$syms" || die "$bin links $s: wrong OpenPGP mechanism"
		fi
	done
	echo "oracle build: $(basename "$bin" .tmp): $(grep -E 'go\.podman\.io/image/v5|x/crypto|go-crypto|proglottis/gpgme|CGO_ENABLED|-tags' <<<"$info" | awk '{print $2, $3}' | paste -sd' ' -)" >&2
}

SIG=go.podman.io/image/v5/signature
OPENPGP="$SIG.(*openpgpSigningMechanism).Verify"
GPGME="$SIG.(*gpgmeSigningMechanism).Verify"
XC=golang.org/x/crypto/openpgp.ReadKeyRing
GC=github.com/ProtonMail/go-crypto/openpgp.ReadKeyRing
GM=github.com/proglottis/gpgme.New

# build NAME MODULE-DIR CGO TAGS IMAGE-VERSION WANT... -- NOT...
build() {
	local name=$1 dir=$2 cgo=$3 tags=$4 ver=$5 key extra=""
	shift 5
	[ "$cgo" = 1 ] && extra=$(pkg-config --modversion gpgme 2>/dev/null || dpkg-query -W -f='${Version}' libgpgme-dev 2>/dev/null || true)
	key=$({
		go version
		echo "$cgo|$tags|$extra"
		cat "$HERE/$dir/go.mod" "$HERE/$dir/go.sum" "$HERE/$dir/main.go" "$HERE/build.sh"
	} | sha256sum | cut -d' ' -f1)
	if [ -x "$OUT/$name" ] && [ "$(cat "$OUT/$name.key" 2>/dev/null)" = "$key" ]; then
		echo "oracle build: $name up to date ($(cd "$OUT" && "./$name" --version))" >&2
		return 0
	fi
	local t0=$SECONDS
	rm -f "$OUT/$name" "$OUT/$name.key"
	# -mod=readonly: the committed go.mod/go.sum are the build, whatever
	# GOFLAGS the caller has (.ci/run sets -mod=mod).
	(cd "$HERE/$dir" && CGO_ENABLED=$cgo go build -mod=readonly -trimpath -tags "$tags" -o "$OUT/$name.tmp" .) ||
		die "building $name failed"
	check "$OUT/$name.tmp" "$ver" "$cgo" "$@"
	mv "$OUT/$name.tmp" "$OUT/$name"
	echo "$key" >"$OUT/$name.key"
	echo "oracle build: $name built in $((SECONDS - t0))s ($("$OUT/$name" --version))" >&2
}

build oracle-xcrypto v5.38 0 "containers_image_openpgp $COMMON" v5.38.0 "$OPENPGP" "$XC" -- "$GC" "$GPGME" "$GM"
build oracle-gocrypto v5.42 0 "containers_image_openpgp $COMMON" v5.42.1 "$OPENPGP" "$GC" -- "$XC" "$GPGME" "$GM"
# libsqlite3: with cgo, go-sqlite3 (the blob-info cache, unused for
# signatures) would compile the SQLite amalgamation, minutes on a small
# machine; the tag links Debian's libsqlite3 instead.
build oracle-gpgme v5.42 1 "$COMMON libsqlite3" v5.42.1 "$GPGME" "$GM" -- "$OPENPGP"
echo "$OUT"
