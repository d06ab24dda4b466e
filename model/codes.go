package model

import "sort"

// CodeInfo describes one diagnostic code: what it is about and what it
// means for the node. Codes are stable: scripts match them in lint --json.
type CodeInfo struct {
	Code string `json:"code"`
	// Area is the file or fact the code is about: "policy.json",
	// "policy lint", "keys", "registries.d", "node".
	Area    string `json:"area"`
	Meaning string `json:"meaning"`
}

// Areas of diagnostic codes.
const (
	AreaPolicy      = "policy.json" // the runtime refuses the file, or a field in it
	AreaPolicyLint  = "policy lint" // the runtime accepts it, but it may not do what is meant
	AreaKeys        = "keys"
	AreaRegistriesD = "registries.d"
	// registries.conf and its drop-ins, and the short-name alias cache.
	AreaRegistriesConf = "registries.conf"
	AreaNode           = "node"
)

// Codes is the catalogue of every diagnostic code imgtrust emits, sorted
// by code. A test walks the source and fails when a code is emitted that
// is not listed here, or listed and never emitted.
func Codes() []CodeInfo {
	c := []CodeInfo{
		{"bad-base64", AreaPolicy, "a keyData/…Data field is not standard base64: the runtime refuses the file"},
		{"bad-identity-value", AreaPolicy, "a signedIdentity parameter (dockerReference, dockerRepository, prefix, signedPrefix) is not a valid reference or prefix"},
		{"bom", AreaPolicy, "policy.json starts with a UTF-8 byte-order mark: encoding/json refuses it"},
		{"comment", AreaPolicy, "a // or /* */ comment: JSON has none, and the runtime refuses the whole file"},
		{"crio-conf-unreadable", AreaNode, "crio.conf or a drop-in cannot be read or parsed: imgtrust cannot tell which policy CRI-O uses"},
		{"crio-signature-policy", AreaNode, "crio.conf sets signature_policy: CRI-O reads that file, not the one being edited"},
		{"default-accepts-anything", AreaPolicyLint, "the default accepts any image: every registry without its own scope is trusted blindly"},
		{"default-missing", AreaPolicy, `no "default" requirement list: the runtime refuses the file`},
		{"duplicate-key", AreaPolicy, "a key appears twice in one JSON object: the runtime refuses the file"},
		{"empty", AreaPolicy, "policy.json is empty: every pull fails"},
		{"empty-requirements", AreaPolicy, "a requirement list is empty: the runtime refuses the file"},
		{"fulcio-ca", AreaPolicy, "fulcio needs exactly one of caPath and caData"},
		{"fulcio-issuer", AreaPolicy, "fulcio has no oidcIssuer"},
		{"fulcio-subject", AreaPolicy, "fulcio has no subjectEmail (or buildSignerURI)"},
		{"internal", AreaPolicy, "imgtrust could not serialise the staged policy: nothing is written"},
		{"invalid-scope", AreaPolicy, "a scope name the runtime refuses for its transport"},
		{"json-not-object", AreaPolicy, "a value that must be a JSON object is something else"},
		{"key-cannot-sign", AreaKeys, "a key with no signing-capable key or subkey: it verifies nothing"},
		{"key-empty", AreaKeys, "a key file with no public key in it: every image that needs it is rejected"},
		{"key-expired", AreaKeys, "an expired key: this runtime rejects its signatures"},
		{"key-expired-trusted", AreaKeys, "an expired key this runtime (x/crypto) still trusts; gpgme and newer runtimes reject it"},
		{"key-future", AreaKeys, "a key created in the future: go-crypto rejects its signatures as expired"},
		{"key-missing", AreaKeys, "the policy names a key file that does not exist: every image that needs it is rejected"},
		{"key-none-usable", AreaKeys, "no key in the file can verify a signature now"},
		{"key-not-openpgp", AreaKeys, "the file is not an OpenPGP public key the runtime can read"},
		{"key-partly-unusable", AreaKeys, "some keys of a file are not loaded by this runtime's OpenPGP mechanism"},
		{"key-private", AreaKeys, "the file holds private key material: a node must only hold public keys"},
		{"key-relative-path", AreaKeys, "a relative key path: the runtime resolves it against its own working directory"},
		{"key-revoked", AreaKeys, "a revoked key: its signatures are rejected"},
		{"key-sha1", AreaKeys, "a key with only SHA-1 self-signatures"},
		{"key-unreadable", AreaKeys, "a key file that cannot be read (permissions, not a regular file, too large)"},
		{"key-unusable-mechanism", AreaKeys, "the runtime's OpenPGP mechanism cannot load this key file at all"},
		{"key-weak", AreaKeys, "a weak key: RSA below 2048 bits, DSA or ElGamal"},
		{"keytype-missing", AreaPolicy, `signedBy has no "keyType"`},
		{"keytype-unimplemented", AreaPolicy, "a keyType the parser accepts but nothing implements: every signature is rejected"},
		{"keytype-unknown", AreaPolicy, "an unknown keyType: the runtime refuses the file"},
		{"lookaside-file-missing", AreaRegistriesD, "a file:// look-aside that does not exist on the node: lookups find nothing"},
		{"lookaside-http", AreaRegistriesD, "a plain-http look-aside: signatures can be withheld or pulls watched on the path"},
		{"lookaside-scheme", AreaRegistriesD, "a look-aside URL without an http, https or file scheme"},
		{"lookaside-staging", AreaRegistriesD, "lookaside-staging is only used when signing; a node never writes signatures"},
		{"lookaside-unused", AreaRegistriesD, "a look-aside for images whose policy needs no signature: never consulted for a decision"},
		{"mirror-lookaside", AreaRegistriesConf, "a mirror has no look-aside entry while its primary has one: signatures of images pulled through it are looked for elsewhere"},
		{"missing-key", AreaPolicy, "an identity type lacks a parameter it needs"},
		{"more-problems", AreaPolicy, "more problems than imgtrust lists at once"},
		{"namespace-policies", AreaNode, "per-namespace policies replace this policy for pods in those namespaces"},
		{"namespace-policies-unreadable", AreaNode, "crio.conf's signature_policy_dir cannot be listed: imgtrust cannot tell which policy each namespace's pods use"},
		{"namespace-policy-unreadable", AreaNode, "a namespace's policy file cannot be read: every pull for that namespace's pods fails"},
		{"namespace-wider", AreaNode, "a namespace's policy accepts images the global policy rejects; CRI-O assumes it never does (a stored image may then start unchecked elsewhere)"},
		{"no-keys", AreaPolicy, `"keyPaths" lists no usable key file: every signed image is rejected`},
		{"node-image-rejected", AreaNode, "an image the node uses would be rejected at its next pull"},
		{"node-images-not-checked", AreaNode, "node images that need the network and could not be checked"},
		{"node-images-unreadable", AreaNode, "containers-storage's image or container list cannot be read"},
		{"own-image-rejected", AreaNode, "the policy rejects the image imgtrust runs in: a new debug pod from it could not start"},
		{"pause-image-rejected", AreaNode, "the policy rejects the pause image: no new pod can start on the node"},
		{"pki-intermediates", AreaPolicy, "pki has both caIntermediatesPath and caIntermediatesData"},
		{"pki-roots", AreaPolicy, "pki needs exactly one of caRootsPath and caRootsData"},
		{"pki-subject", AreaPolicy, "pki needs subjectEmail or subjectHostname"},
		{"policy-missing", AreaPolicy, "there is no policy.json: every pull fails"},
		{"redundant-accept", AreaPolicyLint, "insecureAcceptAnything next to other requirements adds nothing"},
		{"registries-conf-alias", AreaRegistriesConf, "a short-name alias that is not a short name mapped to a full name without tag or digest: the runtime refuses registries.conf"},
		{"registries-conf-invalid", AreaRegistriesConf, "registries.conf breaks a rule of containers/image (a location with a scheme, conflicting duplicates, a bad pull-from-mirror…): every pull fails"},
		{"registries-conf-syntax", AreaRegistriesConf, "a TOML syntax or type error in registries.conf or a drop-in: every pull fails"},
		{"registries-conf-v1", AreaRegistriesConf, "registries.conf in the v1 format: runtimes from containers/image v5.40 refuse it and fail every pull"},
		{"registries-conf-unknown-key", AreaRegistriesConf, "an unknown key in registries.conf: containers/image silently ignores it"},
		{"registries-conf-unreadable", AreaRegistriesConf, "registries.conf or a drop-in cannot be read (or an explicit --registries-conf is missing)"},
		{"registriesd-bad-url", AreaRegistriesD, "a look-aside value that is not a valid URL: the runtime fails every pull that reads it"},
		{"registriesd-conflict", AreaRegistriesD, "a section defined in two files: the runtime refuses registries.d"},
		{"registriesd-duplicate-key", AreaRegistriesD, "a mapping key defined twice in one file"},
		{"registriesd-masked", AreaRegistriesD, "a file of the same name in a higher registries.d directory (root's ~/.config, registries.rootful.d) masks this one: containers/image v5.40+ reads that instead"},
		{"registriesd-not-mapping", AreaRegistriesD, "a file that is not a YAML mapping with docker: and/or default-docker:"},
		{"registriesd-other-dir", AreaRegistriesD, "containers/image v5.40+ also reads registries.d files from other directories (root's ~/.config, registries.rootful.d, /usr/share)"},
		{"registriesd-type", AreaRegistriesD, "a value of the wrong YAML type (a look-aside must be a URL string)"},
		{"registriesd-unknown-key", AreaRegistriesD, "an unknown key: containers/image silently ignores it"},
		{"registriesd-unreadable", AreaRegistriesD, "the registries.d directory or a file in it cannot be read"},
		{"registriesd-user-dir", AreaRegistriesD, "root's ~/.config/containers/registries.d exists: containers/image before v5.40 reads only it and ignores /etc/containers/registries.d"},
		{"registriesd-yaml", AreaRegistriesD, "a YAML syntax error: the runtime fails every pull"},
		{"registriesd-yaml-directory", AreaRegistriesD, "a directory named *.yaml: runtimes before v5.41 fail every pull on it"},
		{"root-user-policy", AreaNode, "/root/.config/containers/policy.json exists: older runtimes use it instead"},
		{"runtime-version", AreaPolicy, "a key or type the node's containers/image release does not know (runtimever's table): that runtime refuses the file (a scope it loads but never matches is a warning)"},
		{"scope-never-matches", AreaPolicy, "a scope no image reference can match (a tag or digest in it, a bad wildcard)"},
		{"scope-weaker-than-parent", AreaPolicyLint, "a scope more permissive than a broader scope above it: only this one applies to its images"},
		{"short-name-aliases", AreaRegistriesConf, "the short-name alias cache (/var/cache/containers/short-name-aliases.conf) is invalid: every pull of a short name fails"},
		{"signed-base-layer", AreaPolicyLint, "signedBaseLayer is not implemented: it rejects every image"},
		{"signed-without-lookaside", AreaRegistriesD, "a scope requires signatures but registries.d names no look-aside for it"},
		{"signedby-empty-key", AreaPolicy, `"keyPath" is empty`},
		{"signedby-many-keys", AreaPolicy, "signedBy has more than one of keyPath, keyPaths and keyData"},
		{"signedby-no-key", AreaPolicy, "signedBy names no key (keyPath, keyPaths or keyData)"},
		{"sigstore-empty-list", AreaPolicy, "a sigstore key or Rekor list with no entries"},
		{"sigstore-fulcio-rekor", AreaPolicy, "fulcio without a Rekor public key"},
		{"sigstore-key-invalid", AreaKeys, "a sigstore public key or certificate file the runtime cannot use"},
		{"sigstore-key-sources", AreaPolicy, "sigstoreSigned needs exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki"},
		{"sigstore-pki-rekor", AreaPolicy, "pki cannot be combined with a Rekor key"},
		{"sigstore-rekor-sources", AreaPolicy, "more than one Rekor key source"},
		{"sigstore-without-attachments", AreaRegistriesD, "a scope requires sigstore signatures but use-sigstore-attachments is not set for it"},
		{"syntax", AreaPolicy, "a JSON syntax error: the runtime refuses the whole file"},
		{"too-deep", AreaPolicy, "policy.json nests deeper than any policy does"},
		{"trailing-comma", AreaPolicy, "a trailing comma: JSON does not allow it and the runtime refuses the file"},
		{"unknown-identity-type", AreaPolicy, "an unknown signedIdentity type"},
		{"unknown-key", AreaPolicy, "an unknown key in a policy object: the runtime refuses the file"},
		{"unknown-requirement-type", AreaPolicy, "an unknown requirement type"},
		{"unknown-transport", AreaPolicyLint, "a transport name containers/image accepts but never consults"},
		{"wrong-type", AreaPolicy, "a value of the wrong JSON type"},
	}
	sort.Slice(c, func(i, j int) bool { return c[i].Code < c[j].Code })
	return c
}

// LookupCode returns the catalogue entry of code.
func LookupCode(code string) (CodeInfo, bool) {
	for _, c := range Codes() {
		if c.Code == code {
			return c, true
		}
	}
	return CodeInfo{}, false
}
