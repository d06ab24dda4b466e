# shellcheck shell=bash
# Shared setup for the end-to-end suite (run.sh) and the timing script
# (timing.sh): a registry and a look-aside server on 127.0.0.1, GnuPG keys
# made in a throw-away GNUPGHOME, and tiny images pushed and signed with
# skopeo. Source it, then call e2e_setup; e2e_cleanup runs from the trap.
#
# Everything lives under $T (a mktemp directory); nothing outside it is
# written except what apt installed before.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_PIDS=()

log() { printf '%s\n' "$*" >&2; }
die() { log "e2e: $*"; exit 2; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_http() { # URL: wait until something answers on it (any status)
	local i
	for i in $(seq 1 100); do
		if curl -s -o /dev/null "$1"; then return 0; fi
		sleep 0.1
	done
	die "nothing answers on $1"
}

e2e_cleanup() {
	local pid
	for pid in "${E2E_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${E2E_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "${GNUPGHOME:-}" ] && [ -d "$GNUPGHOME" ]; then
		gpgconf --kill all 2>/dev/null || true
	fi
	if [ -n "${T:-}" ] && [ -z "${E2E_KEEP:-}" ]; then
		rm -rf "$T"
	elif [ -n "${T:-}" ]; then
		log "e2e: kept $T"
	fi
}

# gpg in batch mode with an empty passphrase: the keys never leave $T.
g() { gpg --batch --quiet --no-tty --no-auto-check-trustdb --pinentry-mode loopback --passphrase '' "$@"; }

fpr_of() { # email -> primary fingerprint
	gpg --batch --with-colons --list-keys "$1" | awk -F: '/^fpr/ {print $10; exit}'
}

# All keys are created with a faked clock in 2020 so that they can sign
# "in the past" (an expired signature, a signature by a key that has since
# expired) without faketime.
OLD='--faked-system-time 20200101T000000!'

e2e_keys() {
	export GNUPGHOME="$T/gnupg"
	mkdir -m 700 -p "$GNUPGHOME" "$T/keys"
	# shellcheck disable=SC2086
	{
		g $OLD --quick-gen-key 'E2E RSA <rsa@e2e.test>' rsa2048 sign never
		g $OLD --quick-gen-key 'E2E Other <other@e2e.test>' rsa2048 sign never
		g $OLD --quick-gen-key 'E2E Revoked <rev@e2e.test>' rsa2048 sign never
		g $OLD --quick-gen-key 'E2E Expired <exp@e2e.test>' rsa2048 sign 10d
		g $OLD --quick-gen-key 'E2E Subkey <sub@e2e.test>' rsa2048 cert never
		g $OLD --quick-add-key "$(fpr_of sub@e2e.test)" rsa2048 sign never
		g $OLD --quick-gen-key 'E2E Ed25519 <ed@e2e.test>' ed25519 sign never
	} 2>>"$T/gpg.log"
	FPR_RSA=$(fpr_of rsa@e2e.test)
	FPR_OTHER=$(fpr_of other@e2e.test)
	FPR_REV=$(fpr_of rev@e2e.test)
	FPR_EXP=$(fpr_of exp@e2e.test)
	FPR_SUB=$(fpr_of sub@e2e.test)
	FPR_ED=$(fpr_of ed@e2e.test)
	local k
	for k in RSA OTHER EXP SUB ED; do
		[ -n "$(eval echo "\$FPR_$k")" ] || die "key $k was not created (see $T/gpg.log)"
	done
	# The revoked key is exported after it signs (see e2e_images).
	g --export "$FPR_RSA" >"$T/keys/rsa.gpg" 2>>"$T/gpg.log"
	g --export "$FPR_OTHER" >"$T/keys/other.gpg" 2>>"$T/gpg.log"
	g --export "$FPR_EXP" >"$T/keys/expired.gpg" 2>>"$T/gpg.log"
	g --export "$FPR_SUB" >"$T/keys/subkey.gpg" 2>>"$T/gpg.log"
	g --export "$FPR_ED" >"$T/keys/ed25519.gpg" 2>>"$T/gpg.log"
	cat "$T/keys/other.gpg" "$T/keys/rsa.gpg" >"$T/keys/other+rsa.gpg"
	# sigstore keys (ECDSA P-256, as cosign makes them) for cosign
	# attachments signed with openssl (cosign_attach), and one that signs
	# nothing.
	for k in cosign cosign-other; do
		openssl ecparam -name prime256v1 -genkey -noout -out "$T/$k.key" 2>/dev/null
		openssl ec -in "$T/$k.key" -pubout -out "$T/keys/$k.pub" 2>/dev/null
	done
}

# cosign_attach NAME:TAG IDENTITY KEY [MIME]: sign the image's manifest
# digest the way cosign does (ECDSA over SHA-256 of the payload, DER) and
# push the signature as a sha256-<hex>.sig attachment.
cosign_attach() {
	local ref=$1 identity=$2 key=$3 mime=${4:-application/vnd.dev.cosign.simplesigning.v1+json} d dir
	d=$(digest_of "$ref")
	dir="$T/oci/attach_${ref//[:\/]/_}"
	mkdir -p "$dir"
	printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
		"$identity" "$d" >"$dir.payload"
	openssl dgst -sha256 -sign "$T/$key.key" -out "$dir.sig" "$dir.payload"
	python3 "$E2E_DIR/mkattach.py" "$dir" att "$mime" "$dir.payload" "$dir.sig"
	skopeo --insecure-policy copy --quiet --dest-tls-verify=false \
		"oci:$dir:att" "docker://$REG/${ref%%:*}:${d/:/-}.sig" >>"$T/push.log" 2>&1 ||
		die "pushing the attachment of $ref failed (see $T/push.log)"
}

e2e_servers() {
	RPORT=$(free_port)
	LPORT=$(free_port)
	REG="127.0.0.1:$RPORT"
	LA_URL="http://127.0.0.1:$LPORT"
	mkdir -p "$T/registry" "$T/lookaside"
	cat >"$T/registry.yml" <<-EOF
		version: 0.1
		log:
		  level: error
		  accesslog:
		    disabled: true
		storage:
		  filesystem:
		    rootdirectory: $T/registry
		http:
		  addr: 127.0.0.1:$RPORT
	EOF
	command -v docker-registry >/dev/null || die "docker-registry not installed"
	docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
	E2E_PIDS+=($!)
	python3 -m http.server --bind 127.0.0.1 --directory "$T/lookaside" "$LPORT" >"$T/lookaside.log" 2>&1 &
	E2E_PIDS+=($!)
	wait_http "http://$REG/v2/"
	wait_http "$LA_URL/"
	# The signing side writes into the look-aside tree directly; the
	# verifying side reads it over HTTP, as a node would.
	mkdir -p "$T/regd-sign" "$T/regd"
	printf 'docker:\n  %s:\n    lookaside-staging: file://%s/lookaside\n' "$REG" "$T" >"$T/regd-sign/sign.yaml"
	printf 'docker:\n  %s:\n    lookaside: %s\n' "$REG" "$LA_URL" >"$T/regd/e2e.yaml"
}

# push NAME:TAG SEED [FPR]: build a tiny image and push it, signed by FPR.
push() {
	local ref=$1 seed=$2 fpr=${3:-} dir
	dir="$T/oci/${ref//[:\/]/_}"
	python3 "$E2E_DIR/mkimage.py" "$dir" "${ref##*:}" "$seed" >/dev/null
	skopeo --insecure-policy --registries.d "$T/regd-sign" copy --quiet \
		--dest-tls-verify=false ${fpr:+--sign-by "$fpr"} \
		"oci:$dir:${ref##*:}" "docker://$REG/$ref" >>"$T/push.log" 2>&1 ||
		die "pushing $ref failed (see $T/push.log)"
}

# push_index NAME:TAG SEED: an OCI index of a linux/amd64 and a
# linux/arm64 image. Sets IDX_DIGEST, IDX_HOST (the instance the runtime
# picks on this machine) and IDX_OTHER.
push_index() {
	local ref=$1 seed=$2 dir out arch other
	dir="$T/oci/${ref//[:\/]/_}"
	out=$(python3 "$E2E_DIR/mkimage.py" "$dir" "${ref##*:}" "$seed" --index)
	skopeo --insecure-policy copy --quiet --multi-arch all --dest-tls-verify=false \
		"oci:$dir:${ref##*:}" "docker://$REG/$ref" >>"$T/push.log" 2>&1 ||
		die "pushing $ref failed (see $T/push.log)"
	case $(uname -m) in
	x86_64) arch=amd64 other=arm64 ;;
	aarch64) arch=arm64 other=amd64 ;;
	*) die "no test image for $(uname -m)" ;;
	esac
	IDX_DIGEST=$(sed -n 1p <<<"$out")
	IDX_HOST=$(awk -v p="linux/$arch" '$1 == p {print $2}' <<<"$out")
	IDX_OTHER=$(awk -v p="linux/$other" '$1 == p {print $2}' <<<"$out")
}

digest_of() { # NAME:TAG -> manifest digest as the registry serves it
	skopeo inspect --raw --tls-verify=false "docker://$REG/$1" | sha256sum | awk '{print "sha256:" $1}'
}

sigdir() { # NAME DIGEST -> look-aside directory of that image
	printf '%s/lookaside/%s@%s\n' "$T" "$1" "${2/:/=}"
}

# gpgsign OUT IDENTITY DIGEST FPR [gpg options]: a simple-signing signature
# made with gpg directly, for what skopeo --sign-by cannot produce (another
# identity, a signature in the past). Same payload layout as skopeo's.
gpgsign() {
	local out=$1 identity=$2 digest=$3 fpr=$4
	shift 4
	mkdir -p "$(dirname "$out")"
	printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"atomic container signature"},"optional":{"creator":"imgtrust e2e","timestamp":%s}}' \
		"$identity" "$digest" "$(date +%s)" >"$T/payload.json"
	g "$@" --yes -u "$fpr!" --sign -o "$out" "$T/payload.json" 2>>"$T/gpg.log" ||
		die "gpg signing for $identity failed (see $T/gpg.log)"
}

e2e_images() {
	local S="$REG/e2e" d
	push e2e/signed:v1 signed1 "$FPR_RSA"
	push e2e/signed:v2 signed2 "$FPR_RSA"
	push e2e/unsigned:v1 unsigned
	push e2e/subkey:v1 subkey "$FPR_SUB"
	push e2e/ed25519:v1 ed25519 "$FPR_ED"
	push e2e/unknown:v1 unknown "$FPR_OTHER"
	push e2e/team/app:v1 teamapp "$FPR_RSA"
	push e2e/revoked:v1 revoked "$FPR_REV"
	# Revoke only now (a revoked key cannot sign), then export the key with
	# its revocation, which is what an admin would have on the node.
	sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$FPR_REV.rev" | g --import 2>>"$T/gpg.log"
	g --export "$FPR_REV" >"$T/keys/revoked.gpg" 2>>"$T/gpg.log"

	# Signatures skopeo cannot make, written with gpg into the look-aside.
	push e2e/expired:v1 expired
	DIG_EXPIRED=$(digest_of e2e/expired:v1)
	# shellcheck disable=SC2086
	gpgsign "$(sigdir e2e/expired "$DIG_EXPIRED")/signature-1" "$S/expired:v1" "$DIG_EXPIRED" "$FPR_EXP" \
		--faked-system-time '20200102T000000!'

	push e2e/sigexpired:v1 sigexpired
	d=$(digest_of e2e/sigexpired:v1)
	gpgsign "$(sigdir e2e/sigexpired "$d")/signature-1" "$S/sigexpired:v1" "$d" "$FPR_RSA" \
		--faked-system-time '20200102T000000!' --default-sig-expire 1d

	push e2e/otherrepo:v1 otherrepo
	DIG_OTHERREPO=$(digest_of e2e/otherrepo:v1)
	gpgsign "$(sigdir e2e/otherrepo "$DIG_OTHERREPO")/signature-1" "$S/signed:v1" "$DIG_OTHERREPO" "$FPR_RSA"

	push e2e/notag:v1 notag
	d=$(digest_of e2e/notag:v1)
	gpgsign "$(sigdir e2e/notag "$d")/signature-1" "$S/notag" "$d" "$FPR_RSA"

	# Unknown key first, the trusted one second: any accepted signature wins.
	push e2e/two:v1 two "$FPR_OTHER"
	d=$(digest_of e2e/two:v1)
	gpgsign "$(sigdir e2e/two "$d")/signature-2" "$S/two:v1" "$d" "$FPR_RSA"

	# Only signature-2: the runtime stops at the missing signature-1.
	push e2e/gap:v1 gap
	d=$(digest_of e2e/gap:v1)
	gpgsign "$(sigdir e2e/gap "$d")/signature-2" "$S/gap:v1" "$d" "$FPR_RSA"

	# A valid signature of signed:v1 copied next to another image.
	DIG_SIGNED=$(digest_of e2e/signed:v1)
	push e2e/otherdigest:v1 otherdigest
	d=$(digest_of e2e/otherdigest:v1)
	mkdir -p "$(sigdir e2e/otherdigest "$d")"
	cp "$(sigdir e2e/signed "$DIG_SIGNED")/signature-1" "$(sigdir e2e/otherdigest "$d")/signature-1"

	# A correct signature with its last bytes (the RSA signature value)
	# flipped: it still parses, the cryptographic check fails.
	# Uncompressed (-z 0), so that the last bytes are the RSA value.
	push e2e/corrupt:v1 corrupt
	d=$(digest_of e2e/corrupt:v1)
	gpgsign "$(sigdir e2e/corrupt "$d")/signature-1" "$S/corrupt:v1" "$d" "$FPR_RSA" -z 0
	python3 - "$(sigdir e2e/corrupt "$d")/signature-1" <<-'EOF'
		import sys
		p = sys.argv[1]
		b = bytearray(open(p, "rb").read())
		for i in range(len(b) - 8, len(b)):
		    b[i] ^= 0xFF
		open(p, "wb").write(bytes(b))
	EOF
	# Multi-platform images: the runtime checks the signatures of the
	# instance it pulls, not of the index.
	push_index e2e/multi-index:v1 multi1
	gpgsign "$(sigdir e2e/multi-index "$IDX_DIGEST")/signature-1" "$S/multi-index:v1" "$IDX_DIGEST" "$FPR_RSA"
	push_index e2e/multi-host:v1 multi2
	gpgsign "$(sigdir e2e/multi-host "$IDX_HOST")/signature-1" "$S/multi-host:v1" "$IDX_HOST" "$FPR_RSA"
	push_index e2e/multi-other:v1 multi3
	gpgsign "$(sigdir e2e/multi-other "$IDX_OTHER")/signature-1" "$S/multi-other:v1" "$IDX_OTHER" "$FPR_RSA"

	# cosign signatures as registry attachments (sha256-<hex>.sig).
	push e2e/cosigned:v1 cosigned
	cosign_attach e2e/cosigned:v1 "$S/cosigned" cosign
	push e2e/cosigned-tag:v1 cosignedtag
	cosign_attach e2e/cosigned-tag:v1 "$S/cosigned-tag:v1" cosign
	push e2e/cosigned-attestation:v1 cosignedatt
	cosign_attach e2e/cosigned-attestation:v1 "$S/cosigned-attestation" cosign application/vnd.dsse.envelope.v1+json

	# Not an OpenPGP message at all.
	push e2e/garbage:v1 garbage
	d=$(digest_of e2e/garbage:v1)
	mkdir -p "$(sigdir e2e/garbage "$d")"
	printf 'this is not a signature\n' >"$(sigdir e2e/garbage "$d")/signature-1"
}

e2e_setup() {
	T=$(mktemp -d /tmp/imgtrust-e2e.XXXXXX)
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	local t0=$SECONDS
	e2e_servers
	e2e_keys
	e2e_images
	log "e2e: setup done in $((SECONDS - t0))s: registry $REG, look-aside $LA_URL, scratch $T"
}
