package gpg

import (
	"bytes"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// CompareKeys is a policyio.KeyComparer: given the key files of an old and
// a new signedBy requirement (each element one keyPath, keyPaths entry or
// keyData), it lists the keys the new one may accept signatures from that
// the old one did not surely accept, and old's keys for the message.
//
// It is conservative, per mechanism: on the new side every key any
// mechanism could load (every armored block, binary, any algorithm); on
// the old side only what the mechanism surely loads (the runtime's first
// armored block or binary ring; nothing at all from a requirement whose
// file the mechanism fails to load; nothing under x/crypto from a file
// with an EdDSA key, which makes x/crypto drop neighbouring keys too). A
// new key (primary or subkey, by fingerprint) is covered by an old one
// with the same fingerprint that was not revoked where the new one is,
// expires no later, and could sign where the new one can.
func CompareKeys(old, cur [][]byte) (added, before []string) {
	now := time.Now()
	var curEnts openpgp.EntityList
	for _, data := range cur {
		el, ok := everyKey(data)
		if !ok {
			return []string{"the keys of a key file that cannot be read as OpenPGP keys"}, labels(sureKeys(old, MechGoCrypto))
		}
		curEnts = append(curEnts, el...)
	}
	seen := map[string]bool{}
	for _, mech := range Mechanisms {
		sure := sureKeys(old, mech)
		have := map[string]keyPart{}
		for _, e := range sure {
			for _, p := range parts(e, now) {
				have[p.fpr] = p
			}
		}
		for _, e := range curEnts {
			if mech == MechXCrypto && hasEdDSA(e) {
				continue // x/crypto cannot load it: it accepts nothing by it
			}
			if !entityCovered(e, have, now) {
				l := label(e)
				if !seen[l] {
					seen[l] = true
					added = append(added, l)
				}
			}
		}
	}
	return added, labels(sureKeys(old, MechGoCrypto))
}

// keyPart is a primary key or subkey, with what decides whether the
// runtime accepts signatures by it.
type keyPart struct {
	fpr     string
	revoked bool
	expires *time.Time
	canSign bool
}

func parts(e *openpgp.Entity, now time.Time) []keyPart {
	primary := keyPart{fpr: fingerprint(e.PrimaryKey), revoked: e.Revoked(now), canSign: canSignAlgo(e.PrimaryKey.PubKeyAlgo)}
	if sig, _ := e.PrimarySelfSignature(); sig != nil {
		primary.expires = lifetime(e.PrimaryKey.CreationTime, sig.KeyLifetimeSecs)
		primary.canSign = primary.canSign && (!sig.FlagsValid || sig.FlagSign)
	}
	out := []keyPart{primary}
	for _, sk := range e.Subkeys {
		p := keyPart{fpr: fingerprint(sk.PublicKey), revoked: sk.Revoked(now), canSign: canSignAlgo(sk.PublicKey.PubKeyAlgo)}
		if sk.Sig != nil {
			p.expires = lifetime(sk.PublicKey.CreationTime, sk.Sig.KeyLifetimeSecs)
			p.canSign = p.canSign && sk.Sig.FlagsValid && sk.Sig.FlagSign
		}
		out = append(out, p)
	}
	return out
}

func lifetime(created time.Time, secs *uint32) *time.Time {
	if secs == nil || *secs == 0 {
		return nil
	}
	t := created.Add(time.Duration(*secs) * time.Second)
	return &t
}

// entityCovered reports whether every part of e that can sign, and its
// primary key (whose expiry and revocation bound the subkeys), is covered
// by an old part.
func entityCovered(e *openpgp.Entity, have map[string]keyPart, now time.Time) bool {
	ps := parts(e, now)
	signs := false
	for _, p := range ps {
		signs = signs || p.canSign
	}
	if !signs {
		return true
	}
	for i, p := range ps {
		if i > 0 && !p.canSign {
			continue
		}
		o, ok := have[p.fpr]
		if !ok || (o.revoked && !p.revoked) || (p.canSign && !o.canSign) {
			return false
		}
		if o.expires != nil && (p.expires == nil || p.expires.After(*o.expires)) {
			return false
		}
	}
	return true
}

// sureKeys is what mech surely loads from the key files of one
// requirement: nothing when one of them fails to load (the runtime then
// refuses every image).
func sureKeys(files [][]byte, mech Mechanism) openpgp.EntityList {
	var out openpgp.EntityList
	for _, data := range files {
		el, err := gocryptoKeyring(data)
		if err != nil {
			return nil
		}
		switch mech {
		case MechXCrypto:
			for _, e := range el {
				if hasEdDSA(e) {
					return nil
				}
			}
		case MechGPGME:
			// gpgme imports nothing from a binary key followed by an
			// armored one.
			if len(data) > 0 && data[0]&0x80 != 0 && bytes.Contains(data, []byte("-----BEGIN PGP")) {
				return nil
			}
		}
		out = append(out, el...)
	}
	return out
}

// everyKey reads every public key any mechanism could find in data: the
// binary ring and every armored block (gpgme imports them all). ok is false
// when data holds something that is not a key ring.
func everyKey(data []byte) (openpgp.EntityList, bool) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, true
	}
	var out openpgp.EntityList
	found := false
	if el, err := openpgp.ReadKeyRing(bytes.NewReader(data)); err == nil {
		out, found = append(out, el...), true
	}
	for rest := data; ; {
		i := bytes.Index(rest, []byte("-----BEGIN PGP"))
		if i < 0 {
			break
		}
		if block, err := armor.Decode(bytes.NewReader(rest[i:])); err == nil && block.Type == openpgp.PublicKeyType {
			if el, err := openpgp.ReadKeyRing(block.Body); err == nil {
				out, found = append(out, el...), true
			} else {
				return nil, false
			}
		}
		rest = rest[i+1:]
	}
	return out, found
}

// label names a key by its full fingerprint (a short one can be forged)
// and its first user ID.
func label(e *openpgp.Entity) string {
	s := "key " + fingerprint(e.PrimaryKey)
	var uids []string
	for name := range e.Identities {
		uids = append(uids, name)
	}
	sortStrings(uids)
	if len(uids) > 0 {
		s += " (" + uids[0] + ")"
	}
	return s
}

func labels(el openpgp.EntityList) []string {
	var out []string
	for _, e := range el {
		out = append(out, label(e))
	}
	return out
}
