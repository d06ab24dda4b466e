package gpg

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs"
	"github.com/kios/imgtrust/safefile"
)

// InventoryKey is one public key known to the node: in a file of the keys
// directory, in a file the policy names elsewhere, or inline in keyData.
type InventoryKey struct {
	KeyInfo
	// File is the node path of the file holding the key; "" for keyData.
	File string `json:"file,omitempty"`
	// UsedBy lists the requirement lists that trust the key.
	UsedBy []string `json:"used_by"`
	// Status is "ok" or a short reason it verifies nothing on this node.
	Status string `json:"status"`
}

// Inventory joins the keys directory with the policy's key references.
type Inventory struct {
	Mechanism Mechanism         `json:"mechanism"`
	Keys      []InventoryKey    `json:"keys"`
	Problems  model.Diagnostics `json:"problems"`
	// Files maps a node path to the fingerprints it holds.
	Files map[string][]string `json:"files"`
}

// isKeyFile tells key files from our backups and temporary files.
func isKeyFile(name string) bool {
	return !strings.HasPrefix(name, ".") && !strings.HasSuffix(name, safefile.BackupSuffix)
}

// BuildInventory reads every key file in the keys directory and every key
// the policy references (pol may be nil).
func BuildInventory(paths node.Paths, pol *model.Policy, mech Mechanism, now time.Time) (*Inventory, error) {
	inv := &Inventory{Mechanism: mech, Files: map[string][]string{}}
	byFile := map[string][]int{} // node path -> indexes into inv.Keys
	load := func(host string) {
		node := paths.Node(host)
		if _, done := byFile[node]; done {
			return
		}
		byFile[node] = nil
		data, err := paths.FS().ReadFile(host, nodefs.KeyFile)
		if err != nil {
			inv.Problems = append(inv.Problems, model.Diagnostic{Severity: model.Error, Code: "key-unreadable", Pos: model.Pos{File: host}, Message: fmt.Sprintf("%s: %v", node, err)})
			return
		}
		kr, err := ParseKeyring(data)
		if err != nil {
			inv.Problems = append(inv.Problems, model.Diagnostic{Severity: model.Error, Code: "key-not-openpgp", Pos: model.Pos{File: host}, Message: fmt.Sprintf("%s: %v", node, err)})
			return
		}
		usableFpr := loadedSet(data, mech, now)
		for _, k := range kr.Keys {
			ik := InventoryKey{KeyInfo: k, File: node, UsedBy: []string{}, Status: keyStatus(k, usableFpr[k.Fingerprint], mech, now)}
			byFile[node] = append(byFile[node], len(inv.Keys))
			inv.Files[node] = append(inv.Files[node], k.Fingerprint)
			inv.Keys = append(inv.Keys, ik)
		}
	}
	entries, err := paths.FS().ReadDir(paths.KeysDir)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("reading the keys directory: %w", err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && isKeyFile(e.Name()) {
			load(filepath.Join(paths.KeysDir, e.Name()))
		}
	}
	if pol != nil {
		pol.EachList(func(ref model.ScopeRef, _ model.Pos, reqs model.Requirements) {
			for _, r := range reqs {
				if r.Type != model.SignedBy {
					continue
				}
				for _, k := range r.KeyRefs() {
					if k.Inline() {
						kr, err := ParseKeyring(k.Data)
						if err != nil {
							continue // lint reports bad keyData
						}
						loaded := loadedSet(k.Data, mech, now)
						for _, info := range kr.Keys {
							inv.Keys = append(inv.Keys, InventoryKey{KeyInfo: info, UsedBy: []string{ref.String()}, Status: keyStatus(info, loaded[info.Fingerprint], mech, now)})
						}
						continue
					}
					if !filepath.IsAbs(k.Path) {
						continue
					}
					host := paths.Host(k.Path)
					if _, err := paths.FS().Stat(host); err != nil {
						inv.Problems = append(inv.Problems, model.Diagnostic{Severity: model.Error, Code: "key-missing", Pos: r.FieldPosition(k.Field),
							Message: fmt.Sprintf("%s uses %s, which does not exist", ref, k.Path), Fix: "imgtrust keys import FILE"})
						continue
					}
					load(host)
					for _, i := range byFile[paths.Node(host)] {
						inv.Keys[i].UsedBy = appendUnique(inv.Keys[i].UsedBy, ref.String())
					}
				}
			}
		})
	}
	sort.SliceStable(inv.Keys, func(i, j int) bool { return inv.Keys[i].File < inv.Keys[j].File })
	return inv, nil
}

// loadedSet is the set of fingerprints the runtime loads from a key file
// (empty when the file fails to load).
func loadedSet(data []byte, mech Mechanism, now time.Time) map[string]bool {
	set := map[string]bool{}
	fprs, err := RuntimeFingerprints(data, mech, now)
	if err != nil {
		return set
	}
	for _, f := range fprs {
		set[f] = true
	}
	return set
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func keyStatus(k KeyInfo, loadable bool, mech Mechanism, now time.Time) string {
	s, _ := keyVerdict(k, loadable, mech, now)
	return s
}

// keyVerdict is keyStatus and whether mech accepts signatures by the key
// at all (an expired key still does on openpgp-xcrypto, which never
// checks expiry).
func keyVerdict(k KeyInfo, loadable bool, mech Mechanism, now time.Time) (string, bool) {
	switch {
	case !loadable:
		return "unusable: " + string(mech) + " does not load it from this file", false
	case k.Revoked:
		return "revoked", false
	case k.Created.After(now) && mech == MechGoCrypto:
		return "created in the future: " + string(mech) + " rejects its signatures", false
	case k.Expires != nil && now.After(*k.Expires) && mech != MechXCrypto:
		return "expired", false
	case k.Expires != nil && now.After(*k.Expires):
		return "expired (still trusted by " + string(mech) + ")", k.CanSign
	case !k.CanSign:
		return "cannot sign", false
	}
	return "ok", true
}

// InspectedKey is a key not (yet) on the node, described as the inventory
// describes an imported one.
type InspectedKey struct {
	KeyInfo
	// Status is the node mechanism's verdict on the key once imported:
	// imgtrust writes the keys binary, one after the other, and that is
	// the file the runtime reads (not the armored input).
	Status string `json:"status"`
	// Usable: the node's mechanism verifies signatures with it once
	// imported.
	Usable bool `json:"usable"`
	// StatusAsGiven is the verdict when the input file itself is used as a
	// key file (an armored block that openpgp-xcrypto drops whole, say),
	// set only when it differs from Status.
	StatusAsGiven string `json:"status_as_given,omitempty"`
	// Mechanisms is every modelled mechanism's verdict once imported, for
	// a node whose runtime is about to change.
	Mechanisms map[Mechanism]string `json:"mechanisms"`
}

// Inspect describes the public keys in data (a file or stdin, before any
// import) with mech's verdict. Private key material is refused with a
// *SecretKeyError, as ParseKeyring does; nothing of it is returned.
func Inspect(data []byte, mech Mechanism, now time.Time) ([]InspectedKey, error) {
	kr, err := ParseKeyring(data)
	if err != nil {
		return nil, err
	}
	kr = kr.unique()
	imported, err := kr.PublicBytes()
	if err != nil {
		return nil, err
	}
	loaded := map[Mechanism]map[string]bool{}
	for _, m := range Mechanisms {
		loaded[m] = loadedSet(imported, m, now)
	}
	asGiven := loadedSet(data, mech, now)
	out := make([]InspectedKey, 0, len(kr.Keys))
	for _, k := range kr.Keys {
		ik := InspectedKey{KeyInfo: k, Mechanisms: map[Mechanism]string{}}
		ik.Status, ik.Usable = keyVerdict(k, loaded[mech][k.Fingerprint], mech, now)
		if s := keyStatus(k, asGiven[k.Fingerprint], mech, now); s != ik.Status {
			ik.StatusAsGiven = s
		}
		for _, m := range Mechanisms {
			ik.Mechanisms[m] = keyStatus(k, loaded[m][k.Fingerprint], m, now)
		}
		out = append(out, ik)
	}
	return out, nil
}

// Find returns the keys matching a fingerprint (full, or its last 8+ hex
// digits, spaces ignored) or a file (node path or base name).
func (inv *Inventory) Find(query string) []InventoryKey {
	q := strings.ToUpper(strings.ReplaceAll(query, " ", ""))
	var out []InventoryKey
	for _, k := range inv.Keys {
		switch {
		case k.File != "" && (k.File == query || filepath.Base(k.File) == query):
			out = append(out, k)
		case len(q) >= 8 && strings.HasSuffix(k.Fingerprint, q):
			out = append(out, k)
		case len(query) >= 3 && k.File != "" && uidContains(k.UserIDs, query):
			out = append(out, k)
		}
	}
	return out
}

func uidContains(uids []string, q string) bool {
	q = strings.ToLower(q)
	for _, u := range uids {
		if strings.Contains(strings.ToLower(u), q) {
			return true
		}
	}
	return false
}

// AddUses records the rules of another policy file (label names it, as
// the node does) that name the inventory's key files: a key file only a
// namespace policy uses is not "unused".
func (inv *Inventory) AddUses(pol *model.Policy, label string) {
	if pol == nil {
		return
	}
	pol.EachList(func(ref model.ScopeRef, _ model.Pos, reqs model.Requirements) {
		for _, r := range reqs {
			if r.Type != model.SignedBy {
				continue
			}
			for _, k := range r.KeyRefs() {
				if k.Inline() {
					continue
				}
				for i := range inv.Keys {
					if inv.Keys[i].File != "" && inv.Keys[i].File == filepath.Clean(k.Path) {
						inv.Keys[i].UsedBy = appendUnique(inv.Keys[i].UsedBy, label+": "+ref.String())
					}
				}
			}
		}
	})
}
