package gpg

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kios/imgtrust/model"
)

// DiagnoseKeyMaterial reports what the runtime will make of a key file
// (or keyData) referenced by the policy, under mechanism mech.
func DiagnoseKeyMaterial(label string, pos model.Pos, data []byte, mech Mechanism, now time.Time) model.Diagnostics {
	return findKeyProblems(data, mech, now).render(label, pos)
}

// KeyDiagnoser is DiagnoseKeyMaterial with a memory: a large policy names
// the same few key files (or keyData blobs) thousands of times, and
// parsing a key ring checks every self-signature, so each distinct content
// is parsed once and its findings are given again with the label and
// position of each reference. Safe for concurrent use: the TUI checks the
// problems of the policy it opens on another goroutine while the first
// frame is drawn, and Update may ask for them too.
type KeyDiagnoser struct {
	Mech Mechanism
	// Now gives the time expiry is judged at; nil means time.Now.
	Now  func() time.Time
	mu   sync.Mutex
	seen map[string]keyFindings
	// Parsed counts the key materials actually parsed (for tests and
	// benchmarks: at most one per distinct content).
	Parsed int
}

// Diagnose reports on data as DiagnoseKeyMaterial does.
func (k *KeyDiagnoser) Diagnose(label string, pos model.Pos, data []byte) model.Diagnostics {
	now := time.Now()
	if k.Now != nil {
		now = k.Now()
	}
	// Held across the parse: two callers asking for one key ring parse
	// it once.
	k.mu.Lock()
	f, ok := k.seen[string(data)]
	if !ok || (!f.validUntil.IsZero() && !now.Before(f.validUntil)) {
		f = findKeyProblems(data, k.Mech, now)
		k.Parsed++
		if k.seen == nil {
			k.seen = map[string]keyFindings{}
		}
		k.seen[string(data)] = f
	}
	k.mu.Unlock()
	return f.render(label, pos)
}

// keyFinding is one problem of a key material, before it is attached to
// a reference: the message follows the reference's label.
type keyFinding struct {
	sev       model.Severity
	code, msg string
	fix       string
	// fixFor, when set, writes the fix from the label (it names the file).
	fixFor func(label string) string
}

type keyFindings struct {
	list []keyFinding
	// validUntil is when a finding changes by itself (a key expires);
	// zero: never.
	validUntil time.Time
}

func (f keyFindings) render(label string, pos model.Pos) model.Diagnostics {
	if len(f.list) == 0 {
		return nil
	}
	out := make(model.Diagnostics, 0, len(f.list))
	for _, x := range f.list {
		d := model.Diagnostic{Severity: x.sev, Code: x.code, Pos: pos, Message: label + ": " + x.msg, Fix: x.fix}
		if x.fixFor != nil {
			d.Fix = x.fixFor(label)
		}
		out = append(out, d)
	}
	return out
}

// findKeyProblems is the work of DiagnoseKeyMaterial, independent of
// where the material is referenced.
func findKeyProblems(data []byte, mech Mechanism, now time.Time) keyFindings {
	var out keyFindings
	add := func(sev model.Severity, code, msg, fix string) {
		out.list = append(out.list, keyFinding{sev: sev, code: code, msg: msg, fix: fix})
	}
	if err := FindSecret(data); err != nil {
		out.list = append(out.list, keyFinding{sev: model.Error, code: "key-private", msg: "contains private key material; a node must only hold public keys",
			fixFor: func(label string) string {
				return "replace it with the public part only: gpg --export KEYID > " + baseName(label) + ", then delete the secret copy"
			}})
		return out
	}
	if len(data) == 0 {
		add(model.Error, "key-empty", "is empty: no public keys imported, every signed image is rejected", "import the signing key: imgtrust keys import FILE")
		return out
	}
	loaded, err := RuntimeFingerprints(data, mech, now)
	if err != nil {
		if mech == MechXCrypto && anyEdDSA(data) {
			add(model.Error, "key-unusable-mechanism", "the runtime cannot load this key file: every image that needs it will be rejected ("+err.Error()+")",
				"sign with an RSA or ECDSA key (gpg --quick-gen-key ID rsa4096 sign) and keep ed25519 keys out of this file, or run a runtime built with openpgp-gocrypto or gpgme")
		} else {
			add(model.Error, "key-not-openpgp", "is not an OpenPGP public key the runtime can read: "+err.Error(), "export the key in binary form: gpg --export KEYID > FILE")
		}
		return out
	}
	kr, perr := ParseKeyring(data)
	if perr != nil || len(loaded) == 0 {
		add(model.Error, "key-not-openpgp", "holds no public key the runtime loads"+noKeysHint(data, mech, now), "export the key in binary form: gpg --export KEYID > FILE")
		return out
	}
	isLoaded := map[string]bool{}
	for _, f := range loaded {
		isLoaded[f] = true
	}
	var keys []KeyInfo
	for i, k := range kr.Keys {
		if isLoaded[k.Fingerprint] {
			keys = append(keys, k)
			continue
		}
		add(model.Warning, "key-partly-unusable", fmt.Sprintf("key %s is not loaded by this runtime (%s): %s; its signatures are rejected", ShortFingerprint(k.Fingerprint), mech, lostReason(kr.Keys, i, mech, now)),
			"keep each key in its own binary file (gpg --export KEYID > FILE); sign with RSA or ECDSA for openpgp-xcrypto")
	}
	kr = &Keyring{Keys: keys}
	usable := 0
	for _, k := range kr.Keys {
		name := ShortFingerprint(k.Fingerprint)
		if k.Expires != nil && now.Before(*k.Expires) && (out.validUntil.IsZero() || k.Expires.Before(out.validUntil)) {
			out.validUntil = *k.Expires
		}
		switch {
		case k.Revoked:
			add(model.Warning, "key-revoked", "key "+name+" is revoked: its signatures are rejected", "remove it from the policy once images are re-signed")
		case k.Created.After(now) && mech == MechGoCrypto:
			add(model.Warning, "key-future", fmt.Sprintf("key %s was created in the future (%s; a clock problem?): go-crypto rejects its signatures (key expired)", name, k.Created.UTC().Format(time.RFC3339)),
				"check the clock of the host that made the key, and make it again")
		case k.Expires != nil && now.After(*k.Expires):
			if mech == MechXCrypto {
				add(model.Warning, "key-expired-trusted", fmt.Sprintf("key %s expired on %s, but this runtime (%s) does not check key expiry and still trusts it", name, k.Expires.Format("2006-01-02"), mech),
					"remove the key or extend it (gpg --quick-set-expire) and re-import; gpgme and newer runtimes will reject it")
			} else {
				add(model.Warning, "key-expired", fmt.Sprintf("key %s expired on %s: this runtime rejects its signatures", name, k.Expires.Format("2006-01-02")),
					"extend it (gpg --quick-set-expire) and re-import")
			}
		case !k.CanSign:
			add(model.Warning, "key-cannot-sign", "key "+name+" has no signing-capable key: it cannot verify anything", "export the key that signs the images")
		default:
			usable++
		}
		if k.Algorithm == "RSA" && k.Bits > 0 && k.Bits < 2048 {
			add(model.Warning, "key-weak", fmt.Sprintf("key %s is RSA-%d, below 2048 bits", name, k.Bits), "use a key of 3072 bits or more")
		}
		if k.Algorithm == "DSA" || k.Algorithm == "ElGamal" {
			add(model.Warning, "key-weak", "key "+name+" uses "+k.Algorithm+", which is deprecated", "move to RSA-3072+ or ECDSA")
		}
		if k.SHA1Only {
			add(model.Warning, "key-sha1", "key "+name+" has only SHA-1 self-signatures", "refresh its self-signatures with a current gpg")
		}
	}
	if usable == 0 {
		add(model.Warning, "key-none-usable", "no key in it can verify a signature now", "")
	}
	return out
}

// lostReason says why the runtime did not load keys[i] of a key file.
func lostReason(keys []KeyInfo, i int, mech Mechanism, now time.Time) string {
	k := keys[i]
	switch {
	case mech == MechXCrypto && k.EdDSA:
		return "x/crypto/openpgp cannot parse ed25519 keys"
	case mech == MechXCrypto && i+1 < len(keys) && keys[i+1].EdDSA:
		return "x/crypto/openpgp also loses the key just before an ed25519 key in a ring"
	case mech == MechGPGME && k.Created.After(now):
		return "GnuPG does not import a key created in the future"
	case mech != MechGPGME:
		return "only the first armored block of a key file is read"
	}
	return "GnuPG did not import it"
}

// noKeysHint explains an empty import.
func noKeysHint(data []byte, mech Mechanism, now time.Time) string {
	if mech != MechGPGME {
		return ""
	}
	_, note := gpgmeKeyring(data, now)
	return note
}

func anyEdDSA(data []byte) bool {
	for _, e := range allEntities(data) {
		if hasEdDSA(e) {
			return true
		}
	}
	return false
}

func baseName(label string) string {
	if i := strings.LastIndexByte(label, '/'); i >= 0 {
		return label[i+1:]
	}
	return "key.gpg"
}

// ErrNotFound is returned when a key is not in the inventory.
var ErrNotFound = errors.New("no such key")
