package shadow

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
)

// StoredImage is the part of one containers-storage image record shadow
// needs. containers/storage (images.go, type Image) writes the manifest
// digest as "digest" and every name the image is known by as "names";
// the id is the config digest.
type StoredImage struct {
	ID     string   `json:"id"`
	Digest string   `json:"digest"`
	Names  []string `json:"names"`
}

// ScanImages reads a containers-storage image list (a JSON array of image
// records) from r as a stream and calls fn for each record, in order.
// Only one record is decoded at a time, so memory is bounded by the
// largest record, not the file. The fields shadow does not use (big-data
// digests, metadata, layer lists) are skipped by the decoder without
// being kept. A truncated or malformed file is an error after the records
// before the damage were handed on: a reader that met a rename half-way
// still reports what it saw.
func ScanImages(r io.Reader, fn func(StoredImage) error) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err == io.EOF {
		return nil // an empty file: containers/storage treats it as no images
	}
	if err != nil {
		return fmt.Errorf("image list: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("image list: want a JSON array, found %v", tok)
	}
	for dec.More() {
		var img StoredImage
		if err := dec.Decode(&img); err != nil {
			return fmt.Errorf("image list, record at byte %d: %w", dec.InputOffset(), err)
		}
		if err := fn(img); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("image list: %w", err)
	}
	return nil
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
