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

// Bounds of one record of images.json or containers.json. The files are
// streamed (a node has any number of images), so it is the record that
// must be bounded: encoding/json buffers a whole value before decoding
// it, fields shadow skips included, so a record of a GB would cost a GB.
// A real record is a few KB (its names, names-history, big-data digests);
// a name is a reference, at most 255 bytes of repository with a tag or
// digest.
const (
	maxRecordBytes    = 4 << 20
	maxNamesPerRecord = 10_000
	maxNameBytes      = 4096
)

// boundedRecords is the reader under a streaming decoder: the decoder may
// not read more than maxRecordBytes past the start of the record it is at
// (start is moved on before each record), however the bytes are spent:
// one long string, a million names or whitespace.
type boundedRecords struct {
	r     io.Reader
	read  int64
	limit int64
}

var errRecordTooLarge = fmt.Errorf("a record is larger than %d MiB (imgtrust reads at most that much of one)", maxRecordBytes>>20)

func (b *boundedRecords) start(dec *json.Decoder) { b.limit = dec.InputOffset() + maxRecordBytes }

func (b *boundedRecords) Read(p []byte) (int, error) {
	room := b.limit - b.read
	if room <= 0 {
		return 0, errRecordTooLarge
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// ScanImages reads a containers-storage image list (a JSON array of image
// records) from r as a stream and calls fn for each record, in order.
// Only one record is decoded at a time, so memory is bounded by the
// largest record (maxRecordBytes), not the file. The fields shadow does
// not use (big-data digests, metadata, layer lists) are skipped by the
// decoder without being kept. A truncated or malformed file, or a record
// past the bounds, is an error after the records before it were handed
// on: a reader that met a rename half-way still reports what it saw.
func ScanImages(r io.Reader, fn func(StoredImage) error) error {
	br := &boundedRecords{r: r, limit: maxRecordBytes}
	dec := json.NewDecoder(br)
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
	for {
		br.start(dec)
		at := dec.InputOffset()
		if !dec.More() {
			break
		}
		var img StoredImage
		if err := dec.Decode(&img); err != nil {
			return fmt.Errorf("image list, record at byte %d: %w", at, err)
		}
		if err := checkNames(img.Names); err != nil {
			return fmt.Errorf("image list, record at byte %d (id %.80q): %w", at, img.ID, err)
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

func checkNames(names []string) error {
	if len(names) > maxNamesPerRecord {
		return fmt.Errorf("%d names, more than the %d imgtrust takes from one image", len(names), maxNamesPerRecord)
	}
	for _, n := range names {
		if len(n) > maxNameBytes {
			return fmt.Errorf("a name of %d bytes, longer than the %d imgtrust takes", len(n), maxNameBytes)
		}
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
