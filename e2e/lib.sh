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

subfpr_of() { # email -> fingerprint of the first subkey
	gpg --batch --with-colons --list-keys "$1" 2>/dev/null | awk -F: '/^sub/ {f=1} f && /^fpr/ {print $10; exit}'
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

payload() { # IDENTITY DIGEST: the simple-signing payload into $T/payload.json
	printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"atomic container signature"},"optional":{"creator":"imgtrust e2e","timestamp":%s}}' \
		"$1" "$2" "$(date +%s)" >"$T/payload.json"
}

# gpgsign OUT IDENTITY DIGEST FPR [gpg options]: a simple-signing signature
# made with gpg directly, for what skopeo --sign-by cannot produce (another
# identity, a signature in the past). Same payload layout as skopeo's.
gpgsign() {
	local out=$1 identity=$2 digest=$3 fpr=$4
	shift 4
	mkdir -p "$(dirname "$out")"
	payload "$identity" "$digest"
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

# e2e_mirror: a second registry on loopback, with a look-aside of its own,
# that registries.conf names as a mirror of $REG. Sets MREG, MLA_URL.
e2e_mirror() {
	local mport mlport
	mport=$(free_port)
	mlport=$(free_port)
	MREG="127.0.0.1:$mport"
	MLA_URL="http://127.0.0.1:$mlport"
	mkdir -p "$T/mregistry" "$T/mlookaside"
	cat >"$T/mregistry.yml" <<-EOF
		version: 0.1
		log:
		  level: error
		  accesslog:
		    disabled: true
		storage:
		  filesystem:
		    rootdirectory: $T/mregistry
		http:
		  addr: $MREG
	EOF
	docker-registry serve "$T/mregistry.yml" >"$T/mregistry.log" 2>&1 &
	E2E_PIDS+=($!)
	python3 -m http.server --bind 127.0.0.1 --directory "$T/mlookaside" "$mlport" >"$T/mlookaside.log" 2>&1 &
	E2E_PIDS+=($!)
	wait_http "http://$MREG/v2/"
	wait_http "$MLA_URL/"
	# An image only the mirror has, signed (in the mirror's look-aside) for
	# the name it is requested by: $REG/e2e/mirrored:v1.
	local dir="$T/oci/mirrored" d
	python3 "$E2E_DIR/mkimage.py" "$dir" v1 mirrored >/dev/null
	skopeo --insecure-policy copy --quiet --dest-tls-verify=false \
		"oci:$dir:v1" "docker://$MREG/e2e/mirrored:v1" >>"$T/push.log" 2>&1 ||
		die "pushing to the mirror failed (see $T/push.log)"
	d=$(skopeo inspect --raw --tls-verify=false "docker://$MREG/e2e/mirrored:v1" | sha256sum | awk '{print "sha256:" $1}')
	DIG_MIRRORED=$d
	gpgsign "$T/mlookaside/e2e/mirrored@${d/:/=}/signature-1" "$REG/e2e/mirrored:v1" "$d" "$FPR_RSA"
}

e2e_setup() {
	T=$(mktemp -d /tmp/imgtrust-e2e.XXXXXX)
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
	local t0=$SECONDS
	e2e_servers
	e2e_sigapi_server
	e2e_keys
	e2e_images
	e2e_mech_keys
	e2e_mech_images
	log "e2e: setup done in $((SECONDS - t0))s: registry $REG, look-aside $LA_URL, scratch $T"
}

# ------------------------------------------------------------------------
# Keys, rings and signatures where the OpenPGP mechanisms differ (issue 14:
# x/crypto, go-crypto, gpgme), for the oracle matrix.

# A registry that serves signatures itself (X-Registry-Supports-Signatures):
# e2e/sigapi.py in front of the same docker-registry, signatures from
# $T/sigapi in the look-aside layout. Sets SIGREG.
e2e_sigapi_server() {
	local port
	port=$(free_port)
	SIGREG="127.0.0.1:$port"
	mkdir -p "$T/sigapi"
	python3 "$E2E_DIR/sigapi.py" "$port" "$REG" "$T/sigapi" >"$T/sigapi.log" 2>&1 &
	E2E_PIDS+=($!)
	wait_http "http://$SIGREG/v2/"
}

apidir() { # NAME DIGEST -> signature API directory of that image
	printf '%s/sigapi/%s@%s\n' "$T" "$1" "${2/:/=}"
}

# Dates for "created in the future": keys and signatures are made with gpg's
# faked clock, so these stay in the future for a few years.
FUTURE='--faked-system-time 20300101T000000!'
FUTURE2='--faked-system-time 20300102T000000!'

e2e_mech_keys() {
	# shellcheck disable=SC2086
	{
		g $OLD --quick-gen-key 'E2E P-256 <p256@e2e.test>' nistp256 sign never
		g $OLD --quick-gen-key 'E2E P-384 <p384@e2e.test>' nistp384 sign never
		g $OLD --quick-gen-key 'E2E Brainpool <bp@e2e.test>' brainpoolP256r1 sign never
		g $OLD --quick-gen-key 'E2E secp256k1 <k1@e2e.test>' secp256k1 sign never
		g $OLD --quick-gen-key 'E2E DSA <dsa@e2e.test>' dsa2048 sign never
		g $OLD --quick-gen-key 'E2E RSA+Ed <rsaed@e2e.test>' rsa2048 cert never
		g $OLD --quick-add-key "$(fpr_of rsaed@e2e.test)" ed25519 sign never
		g $OLD --quick-gen-key 'E2E Ed+RSA <edrsa@e2e.test>' ed25519 cert never
		g $OLD --quick-add-key "$(fpr_of edrsa@e2e.test)" rsa2048 sign never
		g $FUTURE --quick-gen-key 'E2E Future <future@e2e.test>' rsa2048 sign never
	} 2>>"$T/gpg.log" || die "making the mechanism keys failed (see $T/gpg.log)"
	FPR_P256=$(fpr_of p256@e2e.test)
	FPR_P384=$(fpr_of p384@e2e.test)
	FPR_BP=$(fpr_of bp@e2e.test)
	FPR_K1=$(fpr_of k1@e2e.test)
	FPR_DSA=$(fpr_of dsa@e2e.test)
	FPR_RSAED=$(fpr_of rsaed@e2e.test)
	FPR_EDRSA=$(fpr_of edrsa@e2e.test)
	FPR_FUTURE=$(fpr_of future@e2e.test)
	local k KD="$T/keys"
	for k in P256 P384 BP K1 DSA RSAED EDRSA FUTURE; do
		[ -n "$(eval echo "\$FPR_$k")" ] || die "key $k was not created (see $T/gpg.log)"
	done
	g --export "$FPR_P256" >"$KD/p256.gpg" 2>>"$T/gpg.log"
	g --export "$FPR_P384" >"$KD/p384.gpg" 2>>"$T/gpg.log"
	g --export "$FPR_BP" >"$KD/brainpool.gpg" 2>>"$T/gpg.log"
	g --export "$FPR_K1" >"$KD/secp256k1.gpg" 2>>"$T/gpg.log"
	g --export "$FPR_DSA" >"$KD/dsa.gpg" 2>>"$T/gpg.log"
	g --export "$FPR_RSAED" >"$KD/rsa-ed-subkey.gpg" 2>>"$T/gpg.log"
	g --export "$FPR_EDRSA" >"$KD/ed-rsa-subkey.gpg" 2>>"$T/gpg.log"
	g --export "$FPR_FUTURE" >"$KD/future.gpg" 2>>"$T/gpg.log"
	# Binary rings in several orders (x/crypto loses the key before an
	# ed25519 key), armored rings as gpg exports them, files of two blocks.
	cat "$KD/rsa.gpg" "$KD/ed25519.gpg" "$KD/p256.gpg" >"$KD/ring-rsa-ed-p256.gpg"
	cat "$KD/ed25519.gpg" "$KD/p256.gpg" "$KD/rsa.gpg" >"$KD/ring-ed-p256-rsa.gpg"
	cat "$KD/rsa.gpg" "$KD/ed25519.gpg" >"$KD/ring-rsa-ed.gpg"
	cat "$KD/ed25519.gpg" "$KD/rsa.gpg" >"$KD/ring-ed-rsa.gpg"
	cat "$KD/rsa.gpg" "$KD/p256.gpg" "$KD/ed25519.gpg" >"$KD/ring-rsa-p256-ed.gpg"
	cat "$KD/rsa-ed-subkey.gpg" "$KD/rsa.gpg" >"$KD/ring-rsaedsub-rsa.gpg"
	cat "$KD/rsa.gpg" "$KD/rsa-ed-subkey.gpg" >"$KD/ring-rsa-rsaedsub.gpg"
	g --armor --export "$FPR_RSA" >"$KD/rsa.asc" 2>>"$T/gpg.log"
	g --armor --export "$FPR_OTHER" >"$KD/other.asc" 2>>"$T/gpg.log"
	g --armor --export "$FPR_RSA" "$FPR_ED" >"$KD/ring-rsa-ed.asc" 2>>"$T/gpg.log"
	g --armor --export "$FPR_ED" "$FPR_RSA" >"$KD/ring-ed-rsa.asc" 2>>"$T/gpg.log"
	g --armor --export "$FPR_OTHER" "$FPR_RSA" >"$KD/ring-other-rsa.asc" 2>>"$T/gpg.log"
	cat "$KD/other.asc" "$KD/rsa.asc" >"$KD/blocks-other-rsa.asc"
	cat "$KD/rsa.asc" "$KD/other.asc" >"$KD/blocks-rsa-other.asc"
	cat "$KD/other.gpg" "$KD/rsa.asc" >"$KD/bin-other-armor-rsa.gpg"
	cat "$KD/rsa.gpg" "$KD/other.asc" >"$KD/bin-rsa-armor-other.gpg"
	{ cat "$KD/rsa.asc"; printf 'trailing text after the block\n'; } >"$KD/rsa-trailing.asc"
	local f
	for f in "$KD"/*.gpg "$KD"/*.asc; do
		[ -s "$f" ] || die "key file $f is empty (see $T/gpg.log)"
	done
}

# signed_img NAME SEED FPR [gpg options]: push NAME:v1 unsigned, then sign
# it with gpg into the look-aside (signature-1). Sets DIG.
signed_img() {
	local name=$1 seed=$2 fpr=$3
	shift 3
	push "e2e/$name:v1" "$seed"
	DIG=$(digest_of "e2e/$name:v1")
	gpgsign "$(sigdir "e2e/$name" "$DIG")/signature-1" "$REG/e2e/$name:v1" "$DIG" "$fpr" "$@"
}

# api_img NAME SEED [FPR [gpg options]]: push NAME:v1 and, with FPR, put a
# signature for it behind the signature API ($SIGREG). Sets DIG.
api_img() {
	local name=$1 seed=$2 fpr=${3:-}
	shift 3 || shift $#
	push "e2e/$name:v1" "$seed"
	DIG=$(digest_of "e2e/$name:v1")
	mkdir -p "$(apidir "e2e/$name" "$DIG")"
	[ -z "$fpr" ] || gpgsign "$(apidir "e2e/$name" "$DIG")/signature-1" "$SIGREG/e2e/$name:v1" "$DIG" "$fpr" "$@"
}

e2e_mech_images() {
	local d n
	# shellcheck disable=SC2086
	{
		# Creation times in the future (no expiry): a signature by a key of
		# 2020, and a key created in 2030 signing then.
		signed_img future-sig futuresig "$FPR_RSA" $FUTURE
		signed_img future-key futurekey "$FPR_FUTURE" $FUTURE2
		# Digest algorithms.
		signed_img hash-md5 hashmd5 "$FPR_RSA" --allow-weak-digest-algos --digest-algo MD5
		signed_img hash-ripemd160 hashripemd "$FPR_RSA" --allow-weak-digest-algos --digest-algo RIPEMD160
		signed_img hash-sha1 hashsha1 "$FPR_RSA" --digest-algo SHA1
		signed_img hash-sha224 hashsha224 "$FPR_RSA" --digest-algo SHA224
		signed_img hash-sha512 hashsha512 "$FPR_RSA" --digest-algo SHA512
		# Critical (and non-critical) subpackets.
		signed_img crit-policy critpolicy "$FPR_RSA" --sig-policy-url '!https://policy.e2e.test/p'
		signed_img crit-notation critnotation "$FPR_RSA" --sig-notation '!name@e2e.test=value'
		signed_img noncrit-notation noncritnotation "$FPR_RSA" --sig-notation 'name@e2e.test=value'
		signed_img noncrit-policy noncritpolicy "$FPR_RSA" --sig-policy-url 'https://policy.e2e.test/p'
		# Other algorithms and key shapes.
		signed_img key-p256 keyp256 "$FPR_P256"
		signed_img key-p384 keyp384 "$FPR_P384"
		signed_img key-brainpool keybp "$FPR_BP"
		signed_img key-secp256k1 keyk1 "$FPR_K1"
		signed_img key-dsa keydsa "$FPR_DSA"
		signed_img key-rsa-ed-subkey keyrsaed "$(subfpr_of rsaed@e2e.test)"
		signed_img key-ed-rsa-subkey keyedrsa "$(subfpr_of edrsa@e2e.test)"
		# Message shapes: compression, text mode, two signers in one blob.
		signed_img msg-bzip2 msgbzip2 "$FPR_RSA" --compress-algo bzip2
		signed_img msg-zip msgzip "$FPR_RSA" --compress-algo zip
		signed_img msg-uncompressed msgraw "$FPR_RSA" -z 0
		signed_img msg-textmode msgtext "$FPR_RSA" --textmode
		signed_img msg-two-signers msgtwo "$FPR_OTHER" -u "$FPR_RSA!"
		signed_img msg-armored msgarmor "$FPR_RSA" --armor
	}

	# A detached signature (no payload inside).
	push e2e/msg-detached:v1 msgdetached
	d=$(digest_of e2e/msg-detached:v1)
	mkdir -p "$(sigdir e2e/msg-detached "$d")"
	payload "$REG/e2e/msg-detached:v1" "$d"
	g --yes -u "$FPR_RSA!" --detach-sign -o "$(sigdir e2e/msg-detached "$d")/signature-1" "$T/payload.json" 2>>"$T/gpg.log"

	# A look-aside blob that is not a signature, for insecureAcceptAnything.
	push e2e/junk-insecure:v1 junkinsecure
	d=$(digest_of e2e/junk-insecure:v1)
	mkdir -p "$(sigdir e2e/junk-insecure "$d")"
	printf 'not a signature\n' >"$(sigdir e2e/junk-insecure "$d")/signature-1"

	# 127 and 128 copies of one valid signature.
	for n in 127 128; do
		signed_img "many$n" "many$n" "$FPR_RSA"
		d=$(sigdir "e2e/many$n" "$DIG")
		for i in $(seq 2 "$n"); do cp "$d/signature-1" "$d/signature-$i"; done
	done

	# The registry's signature API: binary, armored and cleartext
	# signatures, none, a 404, and a look-aside it must not consult.
	api_img api-binary apibinary "$FPR_RSA"
	api_img api-armored apiarmored "$FPR_RSA" --armor
	api_img api-clearsign apiclear
	payload "$SIGREG/e2e/api-clearsign:v1" "$DIG"
	g --yes -u "$FPR_RSA!" --clearsign -o "$(apidir e2e/api-clearsign "$DIG")/signature-1" "$T/payload.json" 2>>"$T/gpg.log"
	api_img api-none apinone
	api_img api-404 api404
	touch "$(apidir e2e/api-404 "$DIG")/404"
	api_img api-lookaside-only apilookaside
	gpgsign "$(sigdir e2e/api-lookaside-only "$DIG")/signature-1" "$SIGREG/e2e/api-lookaside-only:v1" "$DIG" "$FPR_RSA"
	api_img api-garbage apigarbage
	printf 'not a signature\n' >"$(apidir e2e/api-garbage "$DIG")/signature-1"
	api_img api-wrongkey apiwrongkey "$FPR_OTHER"
}
