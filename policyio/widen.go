package policyio

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs"
)

// A change widens trust when some image that the old configuration
// rejects is accepted by the new one. The check below decides "the new
// configuration accepts only what the old one accepts" with a sufficient
// condition, per group of images that the same pair of requirement lists
// applies to. Whatever it cannot prove is reported: a false alarm costs a
// confirmation, a missed widening costs the node.
//
// registries.d is not part of it: a look-aside only says where signatures
// are read, and whatever is found there is verified against the same keys
// and identity rules, so a look-aside edit can make a signature
// discoverable but never makes the policy accept one it would refuse.

// Weakening is one group of images that the new configuration may accept
// where the old one refused them, in plain words.
type Weakening struct {
	// List names the images: those whose most specific scope, in either
	// policy, is List.
	List model.ScopeRef `json:"images"`
	// OldList and NewList are the lists that apply to them before and after.
	OldList model.ScopeRef `json:"old_list"`
	NewList model.ScopeRef `json:"new_list"`
	// Was and Now describe those lists.
	Was string `json:"was"`
	Now string `json:"now"`
	// Gained says what gets in that did not before.
	Gained []string `json:"gained"`
	// File is the policy file widened when it is not the one the change
	// edits (a namespace policy naming a key file the change replaces).
	File string `json:"file,omitempty"`
}

func (w Weakening) String() string {
	var b strings.Builder
	if w.File != "" {
		fmt.Fprintf(&b, "in %s: ", w.File)
	}
	switch {
	case w.List.IsDefault:
		b.WriteString("images no scope selects (default)")
	case w.List.Scope == "":
		fmt.Fprintf(&b, "%s images no scope selects (%s)", w.List.Transport, w.List)
	default:
		fmt.Fprintf(&b, "images under %s", w.List)
	}
	if w.NewList != w.List || w.OldList != w.List {
		fmt.Fprintf(&b, " (rule %s, before %s)", w.NewList, w.OldList)
	}
	b.WriteString(": ")
	b.WriteString(strings.Join(w.Gained, "; "))
	return b.String()
}

// KeyFiles returns the content of a file that policy.json names (a node
// path), as the runtime would read it. A missing file is an error
// wrapping fs.ErrNotExist.
type KeyFiles func(nodePath string) ([]byte, error)

// DiskKeyFiles reads node paths under paths.Root through nodefs: a link
// is followed as the node sees it (never out of the root), a FIFO or
// device is refused before it is opened, and a key file is at most
// nodefs.KeyFile.Max bytes.
func DiskKeyFiles(paths node.Paths) KeyFiles {
	return func(nodePath string) ([]byte, error) {
		return paths.FS().ReadFile(paths.Host(nodePath), nodefs.KeyFile)
	}
}

// KeyComparer compares the OpenPGP key material of two signedBy
// requirements, each element the content of one key source. added lists,
// for people, the keys that cur may accept signatures from and old did not
// surely accept; before lists old's keys. The gpg package provides it
// (gpg.CompareKeys); without one, key material is compared as bytes.
type KeyComparer func(old, cur [][]byte) (added, before []string)

// TrustState is everything that decides which images a node accepts, as
// far as policy.json and its key files go.
type TrustState struct {
	// Policy is nil when the runtime cannot load policy.json (missing,
	// or any error): then every pull is refused.
	Policy *model.Policy
	// Keys reads the files the policy names. nil means "the same files on
	// both sides of the comparison": a path then stands for its content.
	Keys KeyFiles
}

// LoadedPolicy is the policy the runtime would use: nil when the file is
// missing or has any error, as the runtime then refuses every pull.
func (pf *PolicyFile) LoadedPolicy() *model.Policy {
	if pf == nil || !pf.Exists || pf.Diags.HasErrors() {
		return nil
	}
	return pf.Policy
}

// Weakenings compares two policies over the same key files.
func Weakenings(old, cur *model.Policy) []Weakening {
	return Widenings(TrustState{Policy: old}, TrustState{Policy: cur}, nil)
}

// Widenings lists every group of images that cur may accept and old
// refused. Groups: for each scope of either policy, the images whose most
// specific scope (in old or cur) is that one; then each transport's ""
// scope and the default for the rest. Both states should use a Keys
// reader, or neither.
func Widenings(old, cur TrustState, keys KeyComparer) []Weakening {
	w := widener{old: old.cached(), cur: cur.cached(), keys: keys}
	var out []Weakening
	// Groups that fall to the same pair of lists (the default for docker
	// images no scope selects, and for other transports) are said once.
	said := map[[2]model.ScopeRef]bool{}
	var oldBuf, curBuf []applied // reused: one list per group, mostly
	wild := wildcardScopes{}
	for _, ref := range groups(old.Policy, cur.Policy) {
		oldBuf = candidates(old.Policy, ref, oldBuf[:0], wild)
		curBuf = candidates(cur.Policy, ref, curBuf[:0], wild)
		for _, o := range oldBuf {
			for _, n := range curBuf {
				key := [2]model.ScopeRef{o.ref, n.ref}
				if said[key] {
					continue
				}
				if gained := w.gained(o, n); len(gained) > 0 {
					said[key] = true
					out = append(out, Weakening{List: ref, OldList: o.ref, NewList: n.ref, Was: o.describe(), Now: n.describe(), Gained: gained})
				}
			}
		}
	}
	return out
}

// groups lists the image groups to compare, without repeats: the default,
// each transport's "" scope, and every scope of either policy.
func groups(ps ...*model.Policy) []model.ScopeRef {
	// Room for the larger policy's groups: the two mostly share them.
	n := 0
	for _, p := range ps {
		if p == nil {
			continue
		}
		m := 0
		for _, t := range p.Transports {
			m += 1 + len(t.Scopes)
		}
		n = max(n, m)
	}
	refs := make([]model.ScopeRef, 1, 1+n)
	refs[0] = model.ScopeRef{IsDefault: true}
	seen := map[string]bool{} // transports
	for i, p := range ps {
		if p == nil {
			continue
		}
		for _, t := range p.Transports {
			if !seen[t.Name] {
				seen[t.Name] = true
				refs = append(refs, model.ScopeRef{Transport: t.Name})
			}
			for _, s := range t.Scopes {
				// Each name once: its first scope in this policy, unless
				// an earlier policy has it. The transports' indexes say
				// so without a map of every name (issue 15).
				if t.Scope(s.Name) != s || inAny(ps[:i], t.Name, s.Name) {
					continue
				}
				if s.Name == "" {
					continue // the transport's "" scope is its own group above
				}
				refs = append(refs, model.ScopeRef{Transport: t.Name, Scope: s.Name})
			}
		}
	}
	return refs
}

// inAny reports whether one of ps has a scope name under transport.
func inAny(ps []*model.Policy, transport, name string) bool {
	for _, p := range ps {
		if p.Transport(transport).Scope(name) != nil {
			return true
		}
	}
	return false
}

// applied is a requirement list that may apply to a group of images.
type applied struct {
	ref model.ScopeRef
	// unloadable: the runtime cannot load the policy at all.
	unloadable bool
	reqs       model.Requirements
}

func (a applied) describe() string {
	switch {
	case a.unloadable:
		return "policy.json cannot be loaded by the runtime: every pull is refused"
	case len(a.reqs) == 0:
		return "an empty list: every image is refused"
	}
	return a.reqs.DescribeList(nil)
}

// candidates are the lists p may apply to the images of group ref. It is
// one list where the runtime's scope order after ref is known (docker-like
// and path transports); elsewhere every list that could come after ref.
func candidates(p *model.Policy, ref model.ScopeRef, out []applied, wild wildcardScopes) []applied {
	if p == nil {
		return append(out, applied{ref: ref, unloadable: true})
	}
	def := applied{ref: model.ScopeRef{IsDefault: true}, reqs: p.Default}
	if ref.IsDefault {
		return append(out, def)
	}
	t := p.Transport(ref.Transport)
	if t == nil {
		return append(out, def)
	}
	at := func(name string) (applied, bool) {
		if s := t.Scope(name); s != nil {
			return applied{ref: model.ScopeRef{Transport: t.Name, Scope: name}, reqs: s.Requirements}, true
		}
		return applied{}, false
	}
	if a, ok := at(ref.Scope); ok {
		return append(out, a)
	}
	last := def
	if a, ok := at(""); ok {
		last = a
	}
	if ref.Scope == "" {
		return append(out, last)
	}
	if knownOrder(ref.Transport) {
		found := false
		eachScopeParent(ref.Transport, ref.Scope, wild.in(t), func(parent string) bool {
			var a applied
			if a, found = at(parent); found {
				out = append(out, a)
			}
			return !found
		})
		if !found {
			out = append(out, last)
		}
		return out
	}
	// containers-storage and other transports: the names tried after this
	// scope depend on the image; any scope of the transport may be next.
	for _, s := range t.Scopes {
		if s.Name != "" {
			out = append(out, applied{ref: model.ScopeRef{Transport: t.Name, Scope: s.Name}, reqs: s.Requirements})
		}
	}
	return append(out, last)
}

// wildcardScopes remembers, for one comparison, which transports have a
// *. scope: without one, a scope's wildcard parents select nothing and
// need not be built.
type wildcardScopes map[*model.Transport]bool

func (w wildcardScopes) in(t *model.Transport) bool {
	has, ok := w[t]
	if !ok {
		has = t.HasWildcardScope()
		w[t] = has
	}
	return has
}

// knownOrder reports whether the runtime's order of scopes after a scope
// of transport is the same for every image (eachScopeParent walks it).
func knownOrder(transport string) bool {
	switch transport {
	case model.TransportDocker, "atomic", "docker-daemon",
		model.TransportDir, "oci", "oci-archive", "sif", "docker-archive", "tarball":
		return true
	}
	return false
}

// eachScopeParent calls fn with the scopes the runtime tries after scope,
// for every image whose identity or namespaces contain scope, until fn
// returns false; transport is one of knownOrder's.
// wildcards: whether the transport has a *. scope (only docker's parents
// have such forms).
func eachScopeParent(transport, scope string, wildcards bool, fn func(string) bool) {
	switch transport {
	case model.TransportDocker, "atomic", "docker-daemon":
		eachDockerScopeParent(scope, wildcards, fn)
	default:
		// Namespaces are the parent directories, excluding "/" (oci also
		// tries the directory itself, which is the identity). Archives and
		// tarballs have no namespaces; a scope never selects them.
		for p := path.Dir(scope); p != "/" && p != "." && p != scope; p = path.Dir(p) {
			if !fn(p) {
				return
			}
			scope = p
		}
	}
}

type widener struct {
	old, cur TrustState
	keys     KeyComparer
}

// cached reads each file once per comparison: large policies name the
// same few key files thousands of times.
func (st TrustState) cached() TrustState {
	if st.Keys == nil {
		return st
	}
	type read struct {
		data []byte
		err  error
	}
	seen := map[string]read{}
	next := st.Keys
	st.Keys = func(p string) ([]byte, error) {
		r, ok := seen[p]
		if !ok {
			r.data, r.err = next(p)
			seen[p] = r
		}
		return r.data, r.err
	}
	return st
}

// gained returns, in plain words, what list n may accept that list o did
// not; nil when n provably accepts only what o accepts.
func (w *widener) gained(o, n applied) []string {
	if n.unloadable || len(n.reqs) == 0 || hasRejecting(n.reqs) {
		return nil
	}
	if o.unloadable || len(o.reqs) == 0 || hasRejecting(o.reqs) {
		return []string{"were all refused (" + o.describe() + "); now accepted when: " + n.describe()}
	}
	// Which old requirements some new one covers; a new requirement that
	// covers one is not the one to blame for another (with two signedBy
	// rules made one, the other is "no longer needed").
	used := make([]bool, len(n.reqs))
	var missing []*model.Requirement
	for _, or := range o.reqs {
		if or.Type == model.InsecureAcceptAnything {
			continue
		}
		i := slices.IndexFunc(n.reqs, func(nr *model.Requirement) bool { r, _ := w.covers(nr, or); return r == "" })
		if i < 0 {
			missing = append(missing, or)
			continue
		}
		used[i] = true
	}
	var out []string
	for _, or := range missing {
		out = append(out, w.uncovered(or, n.reqs, used))
	}
	return out
}

// hasRejecting reports whether the list refuses every image.
func hasRejecting(reqs model.Requirements) bool {
	for _, r := range reqs {
		if r.Type == model.Reject || r.Type == model.SignedBaseLayer {
			return true
		}
	}
	return false
}

// uncovered says why no requirement of cur is at least as strict as or,
// blaming the first requirement of or's kind that covers no other.
func (w *widener) uncovered(or *model.Requirement, cur model.Requirements, used []bool) string {
	for i, nr := range cur {
		if reason, same := w.covers(nr, or); same && !used[i] && reason != "" {
			return reason
		}
	}
	if onlyAcceptAnything(cur) {
		return "are accepted signed or not; before: " + or.Describe(nil)
	}
	return "no longer need: " + or.Describe(nil) + "; now enough: " + cur.DescribeList(nil)
}

func onlyAcceptAnything(reqs model.Requirements) bool {
	for _, r := range reqs {
		if r.Type != model.InsecureAcceptAnything {
			return false
		}
	}
	return true
}

// covers returns "" when nr accepts only images that or accepts; else why
// not, with same set when nr is of or's kind (so the reason is the one to
// show).
func (w *widener) covers(nr, or *model.Requirement) (reason string, same bool) {
	if nr.Type == model.Reject || nr.Type == model.SignedBaseLayer || or.Type == model.InsecureAcceptAnything {
		return "", true
	}
	if nr.Type != or.Type {
		return "different kind", false
	}
	switch nr.Type {
	case model.SignedBy:
		if nr.KeyType != model.KeyTypeGPGKeys {
			return "", true // the runtime rejects every signature then
		}
		if or.KeyType != model.KeyTypeGPGKeys {
			return fmt.Sprintf("were refused (keyType %s verifies nothing); now signatures by %s are accepted", or.KeyType, w.keyNames(nr)), true
		}
		var reasons []string
		if added, before := w.addedKeys(or, nr); len(added) > 0 {
			reasons = append(reasons, fmt.Sprintf("signatures by %s are now accepted; before only by %s", strings.Join(added, ", "), orNone(before)))
		}
		if r := identityWider(nr.EffectiveIdentity(), or.EffectiveIdentity()); r != "" {
			reasons = append(reasons, r)
		}
		return strings.Join(reasons, "; "), true
	case model.SigstoreSigned:
		if anyAbsent(w.cur.sources(nr.KeyRefs())) {
			return "", true // a key it cannot read: every signature is refused
		}
		var reasons []string
		reasons = append(reasons, w.sigstoreWider(nr, or)...)
		if r := identityWider(nr.EffectiveIdentity(), or.EffectiveIdentity()); r != "" {
			reasons = append(reasons, r)
		}
		return strings.Join(reasons, "; "), true
	}
	return "unknown requirement type " + string(nr.Type), false
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "no usable key"
	}
	return strings.Join(list, ", ")
}

// source is one key or certificate source of a requirement: a file or
// inline data. known is false when its content could not be read.
type source struct {
	path  string
	data  []byte
	known bool
	// absent: the file does not exist (the runtime then loads nothing).
	absent bool
}

func (s source) name() string {
	if s.path != "" {
		return s.path
	}
	return "inline key data"
}

func (st TrustState) read(p string) source {
	if st.Keys == nil || !filepath.IsAbs(p) {
		// Without a reader, or for a relative path the runtime resolves
		// against its own working directory, the path stands for itself.
		return source{path: p}
	}
	data, err := st.Keys(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return source{path: p, known: true, absent: true}
	case err != nil:
		return source{path: p}
	}
	return source{path: p, data: data, known: true}
}

func (st TrustState) sources(refs []model.KeyRef) []source {
	out := make([]source, 0, len(refs))
	for _, k := range refs {
		if k.Inline() {
			out = append(out, source{data: k.Data, known: true})
			continue
		}
		out = append(out, st.read(k.Path))
	}
	return out
}

// sameSource reports whether n provably holds what o holds.
func sameSource(n, o source) bool {
	switch {
	case n.known && o.known:
		return n.absent == o.absent && bytes.Equal(n.data, o.data)
	case !n.known && !o.known:
		// Unread on both sides: the same path on the same files.
		return n.path != "" && n.path == o.path
	}
	return false
}

// subsetSources reports whether every source of cur is one of old's.
func subsetSources(cur, old []source) bool {
	for _, n := range cur {
		if !slices.ContainsFunc(old, func(o source) bool { return sameSource(n, o) }) {
			return false
		}
	}
	return true
}

func (w *widener) keyNames(r *model.Requirement) string {
	var names []string
	for _, s := range w.cur.sources(r.KeyRefs()) {
		names = append(names, s.name())
	}
	return orNone(names)
}

// addedKeys compares the OpenPGP keys of two signedBy requirements: the
// keys cur may accept signatures from that old did not surely accept. The
// runtime refuses every image when one key source of a requirement cannot
// be read or loaded, so a missing source on cur's side trusts nothing, and
// on old's side means old trusted nothing.
func (w *widener) addedKeys(or, nr *model.Requirement) (added, before []string) {
	if p, ok := onlyKeyPath(or); ok && p == nr.KeyPath {
		if q, ok := onlyKeyPath(nr); ok && q == p {
			// The common case, one key file named on both sides: the
			// same readable content trusts the same keys. Decided without
			// the lists below (issue 15: every scope of a large policy
			// comes here on each staged edit).
			if o, n := w.old.read(p), w.cur.read(p); !n.absent && sameSource(n, o) {
				return nil, nil
			}
		}
	}
	os, ns := w.old.sources(or.KeyRefs()), w.cur.sources(nr.KeyRefs())
	if len(ns) == 0 || slices.ContainsFunc(ns, func(s source) bool { return s.absent }) {
		return nil, nil
	}
	if subsetSources(ns, os) && subsetSources(os, ns) {
		return nil, nil
	}
	var oldData, curData [][]byte
	nothing := "" // set when old trusted nobody
	for _, s := range os {
		before = append(before, s.name())
		if s.absent || !s.known {
			nothing = "nobody (" + s.name() + " cannot be read, so every image was refused)"
		}
		oldData = append(oldData, s.data)
	}
	if nothing != "" {
		oldData, before = nil, []string{nothing}
		if w.keys == nil {
			return []string{"the keys in " + names(ns)}, before
		}
	}
	for _, s := range ns {
		if !s.known {
			added = append(added, "the keys in "+s.name()+" (cannot be read to compare)")
			continue
		}
		curData = append(curData, s.data)
	}
	if w.keys == nil {
		// Without a key reader only identical sources are known to trust
		// the same keys.
		for _, s := range ns {
			if s.known && !slices.ContainsFunc(os, func(o source) bool { return sameSource(s, o) }) {
				added = append(added, "the keys in "+s.name())
			}
		}
		if len(added) == 0 {
			added = []string{"the keys in " + names(ns)}
		}
		return added, before
	}
	a, b := w.keys(oldData, curData)
	if nothing != "" {
		b = before
	}
	return append(added, a...), b
}

// onlyKeyPath returns the requirement's key file when keyPath is its only
// key source.
func onlyKeyPath(r *model.Requirement) (string, bool) {
	if r.KeyPath == "" || len(r.KeyPaths) > 0 || r.KeyData != nil || len(r.KeyDatas) > 0 {
		return "", false
	}
	return r.KeyPath, true
}

// sigstoreWider compares the trust roots of two sigstoreSigned
// requirements: cur's public keys must be some of old's, and every other
// part (Fulcio, PKI, Rekor) as in old, Rekor keys only fewer.
func (w *widener) sigstoreWider(nr, or *model.Requirement) []string {
	var out []string
	nk, ok := w.cur.sources(nr.KeyRefs()), w.old.sources(or.KeyRefs())
	switch {
	case anyAbsent(nk):
		// The runtime cannot read a key: every signature is refused.
		return nil
	case len(nk) > 0 && len(ok) == 0:
		out = append(out, "signatures by the public keys "+names(nk)+" are now accepted; before only certificates")
	case !pemSourcesCovered(nk, ok):
		if changed := changedNames(nk, ok); changed != orNone(nil) {
			out = append(out, "signatures by "+changed+" are now accepted; before only by "+names(ok))
		} else {
			out = append(out, "signatures by "+names(nk)+" are now accepted; before none (one of "+names(ok)+" cannot be read or parsed, so every signature was refused)")
		}
	}
	if f := w.fulcioWider(nr.Fulcio, or.Fulcio); f != "" {
		out = append(out, f)
	}
	if p := w.pkiWider(nr.PKI, or.PKI); p != "" {
		out = append(out, p)
	}
	nrk, ork := w.cur.sources(rekorRefs(nr)), w.old.sources(rekorRefs(or))
	if len(ork) > 0 && (len(nrk) == 0 || !pemSourcesCovered(nrk, ork)) {
		if len(nrk) == 0 {
			out = append(out, "signatures no longer need a Rekor entry (before: logged under "+names(ork)+")")
		} else {
			out = append(out, "Rekor entries signed by "+names(nrk)+" now count; before only "+names(ork))
		}
	}
	return out
}

// changedNames names the sources of cur that old does not have, saying
// when a file kept its name but not its content.
func changedNames(cur, old []source) string {
	var out []string
	for _, n := range cur {
		switch {
		case slices.ContainsFunc(old, func(o source) bool { return sameSource(n, o) }):
		case n.path != "" && slices.ContainsFunc(old, func(o source) bool { return o.path == n.path }):
			out = append(out, "the new content of "+n.path)
		case n.path == "":
			out = append(out, "other inline key data")
		default:
			out = append(out, n.path)
		}
	}
	return orNone(out)
}

func anyAbsent(ss []source) bool {
	return slices.ContainsFunc(ss, func(s source) bool { return s.absent })
}

// pemSourcesCovered reports whether the PEM keys of cur are provably some
// of old's. The runtime refuses every sigstore signature when one
// configured key cannot be read or parsed, so dropping a key that was not
// usable widens: only the same sources, or some of a set of usable ones,
// are covered.
func pemSourcesCovered(cur, old []source) bool {
	if subsetSources(cur, old) && subsetSources(old, cur) {
		return true
	}
	for _, o := range old {
		if !o.known || o.absent || !usablePEMKey(o.data) {
			return false
		}
	}
	return subsetSources(cur, old)
}

// usablePEMKey: the first PEM block is a public key that parses, which is
// all the runtime reads of a sigstore key file.
func usablePEMKey(data []byte) bool {
	block, _ := pem.Decode(data)
	if block == nil {
		return false
	}
	switch block.Type {
	case "PUBLIC KEY":
		_, err := x509.ParsePKIXPublicKey(block.Bytes)
		return err == nil
	case "RSA PUBLIC KEY":
		_, err := x509.ParsePKCS1PublicKey(block.Bytes)
		return err == nil
	}
	return false
}

func names(ss []source) string {
	var out []string
	for _, s := range ss {
		out = append(out, s.name())
	}
	return orNone(out)
}

func rekorRefs(r *model.Requirement) []model.KeyRef {
	var out []model.KeyRef
	if r.RekorPublicKeyPath != "" {
		out = append(out, model.KeyRef{Path: r.RekorPublicKeyPath})
	}
	for _, p := range r.RekorPublicKeyPaths {
		out = append(out, model.KeyRef{Path: p})
	}
	if r.RekorPublicKeyData != nil {
		out = append(out, model.KeyRef{Data: r.RekorPublicKeyData})
	}
	for _, d := range r.RekorPublicKeyDatas {
		out = append(out, model.KeyRef{Data: d})
	}
	return out
}

// fileOrData is a CA given as a path or inline; "" and nil mean none.
func (w *widener) sameFileOrData(npath string, ndata []byte, opath string, odata []byte) bool {
	side := func(st TrustState, p string, d []byte) []source {
		switch {
		case p != "":
			return []source{st.read(p)}
		case d != nil:
			return []source{{data: d, known: true}}
		}
		return nil
	}
	n, o := side(w.cur, npath, ndata), side(w.old, opath, odata)
	if len(n) != len(o) {
		return false
	}
	return len(n) == 0 || sameSource(n[0], o[0])
}

func (w *widener) fulcioWider(n, o *model.Fulcio) string {
	switch {
	case n == nil && o == nil:
		return ""
	case n != nil && o == nil:
		return fmt.Sprintf("Fulcio certificates for %s from %s are now accepted", n.SubjectEmail, n.OIDCIssuer)
	case n == nil:
		return ""
	}
	var diffs []string
	if !w.sameFileOrData(n.CAPath, n.CAData, o.CAPath, o.CAData) {
		diffs = append(diffs, "another Fulcio CA")
	}
	if n.OIDCIssuer != o.OIDCIssuer {
		diffs = append(diffs, fmt.Sprintf("OIDC issuer %q (before %q)", n.OIDCIssuer, o.OIDCIssuer))
	}
	diffs = fieldDiff(diffs, "subject e-mail", n.SubjectEmail, o.SubjectEmail, true)
	diffs = fieldDiff(diffs, "build signer", n.BuildSignerURI, o.BuildSignerURI, false)
	if len(diffs) == 0 {
		return ""
	}
	return "Fulcio certificates with " + strings.Join(diffs, ", ") + " are now accepted"
}

// fieldDiff notes a certificate condition that accepts more: another
// value, or none where old checked one. always: the field is checked even
// when empty (Fulcio's e-mail must be in the certificate as given).
func fieldDiff(diffs []string, label, n, o string, always bool) []string {
	switch {
	case n == o || (o == "" && !always):
		return diffs
	case n == "":
		return append(diffs, fmt.Sprintf("any %s (before %q)", label, o))
	}
	return append(diffs, fmt.Sprintf("%s %q (before %q)", label, n, o))
}

func (w *widener) pkiWider(n, o *model.PKI) string {
	switch {
	case n == nil && o == nil:
		return ""
	case n != nil && o == nil:
		return "certificates from the PKI roots " + orDash(n.CARootsPath) + " are now accepted"
	case n == nil:
		return ""
	}
	var diffs []string
	if !w.sameFileOrData(n.CARootsPath, n.CARootsData, o.CARootsPath, o.CARootsData) {
		diffs = append(diffs, "other CA roots")
	}
	if !w.sameFileOrData(n.CAIntermediatesPath, n.CAIntermediatesData, o.CAIntermediatesPath, o.CAIntermediatesData) {
		diffs = append(diffs, "other intermediates")
	}
	diffs = fieldDiff(diffs, "subject e-mail", n.SubjectEmail, o.SubjectEmail, false)
	diffs = fieldDiff(diffs, "subject hostname", n.SubjectHostname, o.SubjectHostname, false)
	if len(diffs) == 0 {
		return ""
	}
	return "PKI certificates with " + strings.Join(diffs, ", ") + " are now accepted"
}

func orDash(s string) string {
	if s == "" {
		return "(inline)"
	}
	return s
}

// identityWider returns "" when every signature identity n accepts, for
// every image, o accepts too (policy-evaluation.md §6); else why not.
func identityWider(n, o model.Identity) string {
	if identityNarrower(n, o) {
		return ""
	}
	return fmt.Sprintf("signatures are now matched by %s (%s); before by %s (%s)", n.Type, n.Describe(), o.Type, o.Describe())
}

func identityNarrower(n, o model.Identity) bool {
	switch n.Type {
	case model.MatchExact:
		return o.Type == model.MatchExact || o.Type == model.MatchRepoDigestOrExact || o.Type == model.MatchRepository
	case model.MatchRepoDigestOrExact:
		return o.Type == model.MatchRepoDigestOrExact || o.Type == model.MatchRepository
	case model.MatchRepository:
		return o.Type == model.MatchRepository
	case model.ExactReference:
		nref, ok := parseRef(n.DockerReference)
		switch o.Type {
		case model.ExactReference:
			if oref, ok2 := parseRef(o.DockerReference); ok && ok2 {
				return nref.String() == oref.String()
			}
			return n.DockerReference == o.DockerReference
		case model.ExactRepository:
			if orepo, ok2 := parseRef(o.DockerRepository); ok && ok2 {
				return nref.Name() == orepo.Name()
			}
		}
		return false
	case model.ExactRepository:
		if o.Type != model.ExactRepository {
			return false
		}
		nrepo, ok := parseRef(n.DockerRepository)
		orepo, ok2 := parseRef(o.DockerRepository)
		if ok && ok2 {
			return nrepo.Name() == orepo.Name()
		}
		return n.DockerRepository == o.DockerRepository
	case model.RemapIdentity:
		return o.Type == model.RemapIdentity && n.Prefix == o.Prefix && n.SignedPrefix == o.SignedPrefix
	}
	return false
}

func parseRef(s string) (reference.Named, bool) {
	r, err := reference.ParseNormalizedNamed(s)
	return r, err == nil
}
