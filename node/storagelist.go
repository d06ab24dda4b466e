package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/kios/imgtrust/nodefs"
)

// StorageRecord is the part of one record of containers-storage's
// images.json or containers.json that imgtrust reads. containers/storage
// (images.go, type Image; containers.go, type Container) writes the id,
// every name the image or container is known by as "names", an image's
// manifest digest as "digest", and a container's image id as "image" with
// the metadata its creator gave (CRI-O's: CrioMetadata) as "metadata".
type StorageRecord struct {
	ID       string   `json:"id"`
	Digest   string   `json:"digest,omitempty"`
	Names    []string `json:"names"`
	Image    string   `json:"image,omitempty"`
	Metadata string   `json:"metadata,omitempty"`
}

// CrioMetadata is CRI-O's metadata of a container (cri-o
// internal/storage/runtime.go, RuntimeContainerMetadata): the image as
// pulled, and the pod's sandbox (an infra container's pod-id is its own
// id).
type CrioMetadata struct {
	ImageName string `json:"image-name"`
	PodID     string `json:"pod-id"`
}

// CrioMetadata decodes the record's metadata; zero when there is none or
// it is not CRI-O's.
func (r StorageRecord) CrioMetadata() CrioMetadata {
	var md CrioMetadata
	if r.Metadata != "" {
		_ = json.Unmarshal([]byte(r.Metadata), &md)
	}
	return md
}

// Bounds of one record of images.json or containers.json. The files are
// streamed (a node has any number of images), so it is the record that
// must be bounded: encoding/json buffers a whole value before decoding
// it, fields imgtrust skips included, so a record of a GB would cost a
// GB. A real record is a few KB (its names, names-history, big-data
// digests); a name is a reference, at most 255 bytes of repository with a
// tag or digest.
const (
	MaxStorageRecordBytes = 4 << 20
	MaxStorageNames       = 10_000
	MaxStorageNameBytes   = 4096
)

// boundedRecords is the reader under a streaming decoder: the decoder may
// not read more than MaxStorageRecordBytes past the start of the record
// it is at (start is moved on before each record), however the bytes are
// spent: one long string, a million names or whitespace.
type boundedRecords struct {
	r     io.Reader
	read  int64
	limit int64
}

var errRecordTooLarge = fmt.Errorf("a record is larger than %d MiB (imgtrust reads at most that much of one)", MaxStorageRecordBytes>>20)

func (b *boundedRecords) start(dec *json.Decoder) {
	b.limit = dec.InputOffset() + MaxStorageRecordBytes
}

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

// ScanStorageList reads a containers-storage list (a JSON array of
// records; what names it in errors: "image list", "containers list") from
// r as a stream and calls fn for each record, in order, with the byte
// offset it starts at. Only one record is decoded at a time, so memory is
// bounded by the largest record (MaxStorageRecordBytes), not the file;
// the fields imgtrust does not use are skipped by the decoder without
// being kept. A truncated or malformed list, or a record past the bounds,
// is an error after the records before it were handed on: a reader that
// met a rename half-way still reports what it saw. fn's error is returned
// as it is.
func ScanStorageList(r io.Reader, what string, fn func(rec StorageRecord, at int64) error) error {
	br := &boundedRecords{r: r, limit: MaxStorageRecordBytes}
	dec := json.NewDecoder(br)
	tok, err := dec.Token()
	if err == io.EOF {
		return nil // an empty file: containers/storage treats it as an empty list
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("%s: want a JSON array, found %v", what, tok)
	}
	for {
		br.start(dec)
		at := dec.InputOffset()
		if !dec.More() {
			break
		}
		var rec StorageRecord
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("%s, record at byte %d: %w", what, at, err)
		}
		if err := CheckStorageNames(rec.Names); err != nil {
			return fmt.Errorf("%s, record at byte %d (id %.80q): %w", what, at, rec.ID, err)
		}
		if err := fn(rec, at); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// CheckStorageNames holds names read from a storage record to the bounds
// of one record.
func CheckStorageNames(names []string) error {
	if len(names) > MaxStorageNames {
		return fmt.Errorf("%d names, more than the %d imgtrust takes from one image", len(names), MaxStorageNames)
	}
	for _, n := range names {
		if len(n) > MaxStorageNameBytes {
			return fmt.Errorf("a name of %d bytes, longer than the %d imgtrust takes", len(n), MaxStorageNameBytes)
		}
	}
	return nil
}

// ScanStorageFile streams one of the node's containers-storage lists
// (host path file, of kind k: its size cap) through ScanStorageList; a
// container's image name in CRI-O's metadata is held to the bounds of a
// name too. A missing file is an empty list; every error names the file.
// fn returns false to stop the scan there.
func ScanStorageFile(paths Paths, file string, k nodefs.Kind, what string, fn func(StorageRecord) bool) error {
	f, err := paths.FS().Open(file, k)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("reading the %s: %w", what, err)
	}
	defer f.Close()
	errStop := errors.New("stopped")
	err = ScanStorageList(io.LimitReader(f, k.Max), what, func(rec StorageRecord, at int64) error {
		if err := CheckStorageNames([]string{rec.CrioMetadata().ImageName}); err != nil {
			return fmt.Errorf("%s, record at byte %d (id %.80q), its metadata's image-name: %w", what, at, rec.ID, err)
		}
		if !fn(rec) {
			return errStop
		}
		return nil
	})
	if err != nil && err != errStop {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}
