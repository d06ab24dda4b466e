package shadow

import (
	"hash/maphash"
	"io"

	"github.com/kios/imgtrust/node"
)

// StoredImage is one containers-storage image record: its id (the config
// digest), manifest digest and every name it is known by.
type StoredImage = node.StorageRecord

// ScanImages reads a containers-storage image list from r as a stream and
// calls fn for each record, in order, one record decoded at a time and
// each bounded (node.ScanStorageList): memory is bounded by the largest
// record, not the file.
func ScanImages(r io.Reader, fn func(StoredImage) error) error {
	return node.ScanStorageList(r, "image list", func(img StoredImage, _ int64) error { return fn(img) })
}

// Seen remembers which (reference, digest) pairs were judged, as 64-bit
// hashes: 8 bytes of key per pull instead of two strings, so a million
// images cost a few tens of MB. Two different pairs share a hash with
// probability about n²/2⁶⁵ (3·10⁻⁸ for a million); the cost of a
// collision is one pull not judged, which the log cannot hide for long
// because the next re-tag or restart judges it again.
type Seen struct {
	seed maphash.Seed
	set  map[uint64]struct{}
}

// NewSeen makes an empty set.
func NewSeen() *Seen {
	return &Seen{seed: maphash.MakeSeed(), set: map[uint64]struct{}{}}
}

func (s *Seen) key(ref, digest string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(ref)
	h.WriteByte(0)
	h.WriteString(digest)
	return h.Sum64()
}

// Add records the pair and reports whether it was new.
func (s *Seen) Add(ref, digest string) bool {
	k := s.key(ref, digest)
	if _, ok := s.set[k]; ok {
		return false
	}
	s.set[k] = struct{}{}
	return true
}

// Len is how many pairs were recorded.
func (s *Seen) Len() int { return len(s.set) }
