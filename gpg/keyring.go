package gpg

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Keyring is a parsed set of public keys.
type Keyring struct {
	Entities openpgp.EntityList
	Keys     []KeyInfo
}

// KeyInfo describes one public key for people and for the inventory.
type KeyInfo struct {
	Fingerprint string   `json:"fingerprint"` // upper-case hex of the primary key
	KeyID       string   `json:"key_id"`
	UserIDs     []string `json:"user_ids"`
	Algorithm   string   `json:"algorithm"`
	Bits        int      `json:"bits,omitempty"`
	// Curve names an elliptic-curve key's curve ("P256", "Curve25519");
	// Bits is then the length of its encoded point, not a key size.
	Curve   string       `json:"curve,omitempty"`
	Created time.Time    `json:"created"`
	Expires *time.Time   `json:"expires,omitempty"`
	Revoked bool         `json:"revoked"`
	Subkeys []SubkeyInfo `json:"subkeys,omitempty"`
	// CanSign is true when the primary key or a valid subkey can sign.
	CanSign bool `json:"can_sign"`
	// EdDSA is true when any of the key's parts uses EdDSA/ed25519, which
	// the frozen x/crypto mechanism cannot load.
	EdDSA bool `json:"eddsa"`
	// SHA1Only is true when every self-signature uses SHA-1.
	SHA1Only bool `json:"sha1_only,omitempty"`
}

// SubkeyInfo describes a subkey.
type SubkeyInfo struct {
	KeyID     string     `json:"key_id"`
	Algorithm string     `json:"algorithm"`
	Bits      int        `json:"bits,omitempty"`
	Curve     string     `json:"curve,omitempty"`
	Sign      bool       `json:"sign"`
	Encrypt   bool       `json:"encrypt"`
	Expires   *time.Time `json:"expires,omitempty"`
	Revoked   bool       `json:"revoked"`
}

// AlgorithmText names the algorithm with its size, or its curve for an
// elliptic-curve key: "RSA 4096", "ECDSA P256".
func (k KeyInfo) AlgorithmText() string { return algorithmText(k.Algorithm, k.Bits, k.Curve) }

// AlgorithmText is KeyInfo.AlgorithmText for a subkey.
func (s SubkeyInfo) AlgorithmText() string { return algorithmText(s.Algorithm, s.Bits, s.Curve) }

func algorithmText(algo string, bits int, curve string) string {
	switch {
	case curve != "" && !strings.Contains(algo, "("):
		return algo + " " + curve
	case curve != "" || bits == 0:
		return algo
	}
	return fmt.Sprintf("%s %d", algo, bits)
}

// Flags lists what the subkey can do and whether it is revoked, for
// display: "sign", "encrypt", "revoked".
func (s SubkeyInfo) Flags() []string {
	out := []string{}
	if s.Sign {
		out = append(out, "sign")
	}
	if s.Encrypt {
		out = append(out, "encrypt")
	}
	if s.Revoked {
		out = append(out, "revoked")
	}
	return out
}

// ParseKeyring reads public keys from binary or ASCII-armored data (every
// armored block, not only the first: this is for inventory and import, not
// for modelling the runtime). Private key material anywhere is refused with
// a *SecretKeyError.
func ParseKeyring(data []byte) (*Keyring, error) {
	if err := FindSecret(data); err != nil {
		return nil, err
	}
	ents, err := readKeys(data)
	if err != nil {
		return nil, err
	}
	// The scan above reads raw packets; this checks what the parser made
	// of them, so that no framing trick gets a private part through.
	if err := entitySecret(ents); err != nil {
		return nil, err
	}
	if len(ents) == 0 {
		return nil, errors.New("no public key found")
	}
	kr := &Keyring{Entities: ents}
	now := time.Now()
	for _, e := range ents {
		kr.Keys = append(kr.Keys, describe(e, now))
	}
	return kr, nil
}

// readKeys parses every armored PUBLIC KEY BLOCK in data, or data as
// binary when it holds none: text that merely looks like armor (a user ID
// holding "-----BEGIN PGP", say) does not hide a binary keyring.
func readKeys(data []byte) (openpgp.EntityList, error) {
	if !isArmored(data) {
		el, err := openpgp.ReadKeyRing(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("not an OpenPGP public key: %w", err)
		}
		return el, nil
	}
	var ents openpgp.EntityList
	var armorErr error
	rest := data
	for {
		i := bytes.Index(rest, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----"))
		if i < 0 {
			break
		}
		rest = rest[i:]
		block, err := armor.Decode(bytes.NewReader(rest))
		if err == nil {
			var el openpgp.EntityList
			if el, err = openpgp.ReadKeyRing(block.Body); err == nil {
				ents = append(ents, el...)
			}
		}
		if err != nil && armorErr == nil {
			armorErr = fmt.Errorf("reading armored key: %w", err)
		}
		rest = rest[1:]
	}
	if len(ents) > 0 {
		if armorErr != nil {
			return nil, armorErr
		}
		return ents, nil
	}
	if el, err := openpgp.ReadKeyRing(bytes.NewReader(data)); err == nil && len(el) > 0 {
		return el, nil
	}
	if armorErr != nil {
		return nil, armorErr
	}
	return nil, fmt.Errorf("no PGP PUBLIC KEY BLOCK found in the armored data")
}

func isArmored(data []byte) bool {
	return bytes.Contains(data, []byte("-----BEGIN PGP"))
}

func fingerprint(pk *packet.PublicKey) string {
	return strings.ToUpper(hex.EncodeToString(pk.Fingerprint))
}

func describe(e *openpgp.Entity, now time.Time) KeyInfo {
	pk := e.PrimaryKey
	info := KeyInfo{
		Fingerprint: fingerprint(pk),
		KeyID:       fmt.Sprintf("%016X", pk.KeyId),
		Algorithm:   algoName(pk.PubKeyAlgo),
		Created:     pk.CreationTime,
		Revoked:     e.Revoked(now),
		EdDSA:       isEdDSA(pk.PubKeyAlgo),
		SHA1Only:    true,
	}
	if bits, err := pk.BitLength(); err == nil {
		info.Bits = int(bits)
	}
	if c, err := pk.Curve(); err == nil {
		info.Curve = string(c)
	}
	for name := range e.Identities {
		info.UserIDs = append(info.UserIDs, name)
	}
	sortStrings(info.UserIDs)
	selfSig, _ := e.PrimarySelfSignature()
	if selfSig != nil {
		if selfSig.KeyLifetimeSecs != nil && *selfSig.KeyLifetimeSecs != 0 {
			t := pk.CreationTime.Add(time.Duration(*selfSig.KeyLifetimeSecs) * time.Second)
			info.Expires = &t
		}
		if !selfSig.FlagsValid || selfSig.FlagSign {
			info.CanSign = !info.Revoked && canSignAlgo(pk.PubKeyAlgo)
		}
	}
	for _, id := range e.Identities {
		if id.SelfSignature != nil && id.SelfSignature.Hash != 2 /* SHA-1 */ {
			info.SHA1Only = false
		}
	}
	for _, sk := range e.Subkeys {
		s := SubkeyInfo{
			KeyID:     fmt.Sprintf("%016X", sk.PublicKey.KeyId),
			Algorithm: algoName(sk.PublicKey.PubKeyAlgo),
			Revoked:   sk.Revoked(now),
		}
		if bits, err := sk.PublicKey.BitLength(); err == nil {
			s.Bits = int(bits)
		}
		if c, err := sk.PublicKey.Curve(); err == nil {
			s.Curve = string(c)
		}
		if sig := sk.Sig; sig != nil {
			s.Sign = sig.FlagsValid && sig.FlagSign
			s.Encrypt = sig.FlagsValid && (sig.FlagEncryptCommunications || sig.FlagEncryptStorage)
			if sig.KeyLifetimeSecs != nil && *sig.KeyLifetimeSecs != 0 {
				t := sk.PublicKey.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second)
				s.Expires = &t
			}
		}
		if isEdDSA(sk.PublicKey.PubKeyAlgo) {
			info.EdDSA = true
		}
		if s.Sign && !s.Revoked && !info.Revoked {
			info.CanSign = true
		}
		info.Subkeys = append(info.Subkeys, s)
	}
	return info
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func isEdDSA(a packet.PublicKeyAlgorithm) bool {
	switch a {
	case packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoEd25519, packet.PubKeyAlgoEd448, packet.PubKeyAlgoX25519, packet.PubKeyAlgoX448:
		return true
	}
	// ECDH over Curve25519 is also unparsable by x/crypto.
	return false
}

func canSignAlgo(a packet.PublicKeyAlgorithm) bool {
	switch a {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly, packet.PubKeyAlgoDSA, packet.PubKeyAlgoECDSA,
		packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoEd25519, packet.PubKeyAlgoEd448:
		return true
	}
	return false
}

func algoName(a packet.PublicKeyAlgorithm) string {
	switch a {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly, packet.PubKeyAlgoRSAEncryptOnly:
		return "RSA"
	case packet.PubKeyAlgoDSA:
		return "DSA"
	case packet.PubKeyAlgoElGamal:
		return "ElGamal"
	case packet.PubKeyAlgoECDSA:
		return "ECDSA"
	case packet.PubKeyAlgoECDH:
		return "ECDH"
	case packet.PubKeyAlgoEdDSA, packet.PubKeyAlgoEd25519:
		return "EdDSA (ed25519)"
	case packet.PubKeyAlgoEd448:
		return "EdDSA (ed448)"
	case packet.PubKeyAlgoX25519:
		return "X25519"
	}
	return fmt.Sprintf("algorithm %d", a)
}

// GroupFingerprint spaces a fingerprint in groups of four for reading.
func GroupFingerprint(fpr string) string {
	var b strings.Builder
	for i := 0; i < len(fpr); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fpr[i:min(i+4, len(fpr))])
	}
	return b.String()
}

// ShortFingerprint abbreviates a fingerprint to its long key ID, e.g.
// "43DD1699E6EA0BAB".
func ShortFingerprint(fpr string) string {
	// The 16-digit long key ID, not 4+4 digits: a made-up key matching 8
	// hex digits takes seconds to find. Plain ASCII for every console.
	if len(fpr) <= 16 {
		return fpr
	}
	return fpr[len(fpr)-16:]
}

// Label names the keyring for people: the first key's short fingerprint
// and user ID, "+N more" when there are several.
func (k *Keyring) Label() string {
	if k == nil || len(k.Keys) == 0 {
		return ""
	}
	first := k.Keys[0]
	s := ShortFingerprint(first.Fingerprint)
	if len(first.UserIDs) > 0 {
		s += " (" + first.UserIDs[0] + ")"
	}
	if n := len(k.Keys) - 1; n > 0 {
		s += fmt.Sprintf(" +%d more", n)
	}
	return s
}

// PublicBytes serializes the public parts of every key, binary, as
// containers/image reads key files.
func (k *Keyring) PublicBytes() ([]byte, error) {
	var buf bytes.Buffer
	for _, e := range k.Entities {
		if err := e.Serialize(&buf); err != nil {
			return nil, fmt.Errorf("serializing key %s: %w", fingerprint(e.PrimaryKey), err)
		}
	}
	return buf.Bytes(), nil
}

// unique drops repeated copies of a key (the same fingerprint twice in one
// input), keeping the first, so that an import writes each key once.
func (k *Keyring) unique() *Keyring {
	out := &Keyring{}
	seen := map[string]bool{}
	for i, info := range k.Keys {
		if seen[info.Fingerprint] {
			continue
		}
		seen[info.Fingerprint] = true
		out.Entities = append(out.Entities, k.Entities[i])
		out.Keys = append(out.Keys, info)
	}
	return out
}
