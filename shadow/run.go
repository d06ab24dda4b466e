package shadow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/nodefs"
)

// Evaluator judges one image reference under one configuration; reason is
// the trace's one-line summary. It must be safe for concurrent use.
type Evaluator interface {
	Evaluate(ctx context.Context, ref string) (v Verdict, reason string)
}

// Options configure Run.
type Options struct {
	Paths           node.Paths
	Live, Candidate Evaluator
	// Log receives one JSON line per record (the caller opens it for
	// appending). Each line is one Write call.
	Log io.Writer
	// Each is called with every image record after it is logged (the
	// command prints it); it runs on Run's goroutine.
	Each func(Record)
	// Seen holds the pairs already judged (seeded from the log by a
	// restarted shadow); nil starts empty.
	Seen *Seen
	// Summary is updated with every record (seeded from the log).
	Summary *Summary
	// Interval is the fallback re-read period (default 30 s).
	Interval time.Duration
	// Jobs is how many images are judged at once (default 4).
	Jobs int
	// Settle is how long to wait after a change event before reading, so
	// that a burst of writes is read once (default 100 ms).
	Settle time.Duration
	Now    func() time.Time
	// CandidatePath and CandidateSHA256 go into the start record.
	CandidatePath, CandidateSHA256 string
	// Scanned, when set, is called after each complete read of the image
	// list with how many names it held (tests wait on it).
	Scanned func(names int)
	// Unreadable, when set, is told when the image or container list
	// cannot be read (a FIFO, damaged JSON), once per distinct error: the
	// soak goes on (the next read may succeed), but a soak that sees no
	// images must not look like one in which nothing would be rejected.
	// It runs on the goroutine that reads the lists.
	Unreadable func(error)
}

// streamedImageList is the cap for images.json read as a stream: the
// whole-file cap (nodefs.ImageList) holds a quarter of a million images;
// a stream needs no such bound on memory, only one against a file that
// never ends.
var streamedImageList = nodefs.Kind{Name: "containers-storage image list", Max: 64 << 30}

type item struct{ ref, digest, source string }

// Run judges the node's pause image, its containers' images and every
// stored image, then every new name that appears in images.json, until
// ctx is done. It returns the summary and the first error that stopped
// it (a log that cannot be written); a storage file that cannot be read
// is retried, never fatal.
func Run(ctx context.Context, o Options) (Summary, error) {
	if o.Interval <= 0 {
		o.Interval = 30 * time.Second
	}
	if o.Jobs <= 0 {
		o.Jobs = 4
	}
	if o.Settle <= 0 {
		o.Settle = 100 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Seen == nil {
		o.Seen = NewSeen()
	}
	if o.Summary == nil {
		o.Summary = &Summary{}
	}
	if err := o.write(Record{Time: o.Now().UTC(), Event: EventStart, CandidatePath: o.CandidatePath, CandidateSHA256: o.CandidateSHA256}); err != nil {
		return *o.Summary, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	items := make(chan item, 64)
	results := make(chan Record, 64)
	go func() {
		defer close(items)
		o.produce(ctx, items)
	}()
	var wg sync.WaitGroup
	for range o.Jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range items {
				rec, ok := o.judge(ctx, it)
				if !ok {
					continue
				}
				select {
				case results <- rec:
				case <-ctx.Done():
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	var werr error
	for rec := range results {
		if werr != nil {
			continue // draining after a fatal log error
		}
		if err := o.write(rec); err != nil {
			werr = err
			cancel()
			continue
		}
		if o.Each != nil {
			o.Each(rec)
		}
	}
	if werr != nil {
		return *o.Summary, werr
	}
	return *o.Summary, o.write(Record{Time: o.Now().UTC(), Event: EventStop})
}

func (o *Options) write(rec Record) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := o.Log.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing the shadow log: %w", err)
	}
	o.Summary.Add(rec)
	return nil
}

// judge evaluates one image under both configurations; ok is false when
// the run stopped during the check (a verdict cut short is no verdict).
func (o *Options) judge(ctx context.Context, it item) (Record, bool) {
	rec := Record{Event: EventImage, Reference: it.ref, Digest: it.digest, Source: it.source}
	rec.Live, rec.LiveReason = o.Live.Evaluate(ctx, it.ref)
	rec.Candidate, rec.Reason = o.Candidate.Evaluate(ctx, it.ref)
	if ctx.Err() != nil {
		return rec, false
	}
	rec.Time = o.Now().UTC()
	return rec, true
}

// produce sends every image to judge: first what the node runs, then the
// image list on each change and each tick.
func (o *Options) produce(ctx context.Context, items chan<- item) {
	send := func(it item) bool {
		if it.ref == "" || !o.Seen.Add(it.ref, it.digest) {
			return true
		}
		select {
		case items <- it:
			return true
		case <-ctx.Done():
			return false
		}
	}
	// The pause image (every pod needs it, whether or not it is stored)
	// and existing containers' images (a container's image may have lost
	// its name in storage and still run). Those the image list names are
	// judged with its digest, once, with their role as source.
	cfg, _ := node.ReadCrioConfig(o.Paths)
	pending := map[string]string{}
	lastErr := ""
	report := func(err error) {
		switch {
		case err == nil:
			lastErr = ""
		case o.Unreadable != nil && err.Error() != lastErr:
			lastErr = err.Error()
			o.Unreadable(err)
		}
	}
	if err := o.scanContainers(func(ref string) bool { pending[ref] = node.RoleContainer; return true }); err != nil && o.Unreadable != nil {
		o.Unreadable(err)
	}
	if cfg.PauseImage != "" {
		pending[cfg.PauseImage] = node.RolePause
	}
	imagesFile := o.Paths.Host(node.StorageImagesJSON)
	w, werr := fsnotify.NewWatcher()
	if werr == nil {
		defer w.Close()
	}
	watching, watchedDir := false, ""
	watch := func() {
		if werr != nil || watching {
			return
		}
		// The directory, not the file: containers/storage replaces
		// images.json by renaming a temporary file over it
		// (ioutils.AtomicWriteFile), which a watch on the old inode would
		// never report.
		dir, err := o.Paths.FS().Resolve(filepath.Dir(imagesFile))
		if err == nil && w.Add(dir) == nil {
			watching, watchedDir = true, dir
		}
	}
	scan := func() bool {
		names := 0
		err := o.scanImages(imagesFile, func(img StoredImage) bool {
			for _, n := range img.Names {
				names++
				source := node.RoleStored
				if role, ok := pending[n]; ok {
					source = role
					delete(pending, n)
				}
				if !send(item{ref: n, digest: img.Digest, source: source}) {
					return false
				}
			}
			return true
		})
		if ctx.Err() != nil {
			return false
		}
		report(err)
		if err == nil && o.Scanned != nil {
			o.Scanned(names)
		}
		return true
	}
	watch()
	if !scan() {
		return
	}
	for ref, role := range pending {
		if !send(item{ref: ref, source: role}) {
			return
		}
	}
	pending = nil
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	var events <-chan fsnotify.Event
	var errs <-chan error
	if werr == nil {
		events, errs = w.Events, w.Errors
	}
	var settle <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Name == watchedDir && ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 {
				// The storage directory itself went (storage reset): its
				// watch is gone; the next tick watches the new one.
				watching = false
				continue
			}
			if filepath.Base(ev.Name) == filepath.Base(imagesFile) && ev.Op&(fsnotify.Create|fsnotify.Write|fsnotify.Rename) != 0 && settle == nil {
				settle = time.After(o.Settle)
			}
		case _, ok := <-errs:
			if !ok {
				errs = nil
			}
			// An overflowed event queue loses changes: read now.
			if settle == nil {
				settle = time.After(o.Settle)
			}
		case <-settle:
			settle = nil
			if !scan() {
				return
			}
		case <-tick.C:
			watch() // the directory may exist by now
			if !scan() {
				return
			}
		}
	}
}

// scanImages streams the image list; a missing list is empty.
func (o *Options) scanImages(host string, fn func(StoredImage) bool) error {
	f, err := o.Paths.FS().Open(host, streamedImageList)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	errStop := errors.New("stopped")
	err = ScanImages(io.LimitReader(f, streamedImageList.Max), func(img StoredImage) error {
		if !fn(img) {
			return errStop
		}
		return nil
	})
	if err == errStop {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", host, err)
	}
	return nil
}

// scanContainers streams containers.json and hands on each container's
// image as CRI-O named it when it was pulled (its metadata's image-name).
func (o *Options) scanContainers(fn func(ref string) bool) error {
	f, err := o.Paths.FS().Open(o.Paths.Host(node.StorageContainersJSON), streamedImageList)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	host := o.Paths.Host(node.StorageContainersJSON)
	br := &boundedRecords{r: io.LimitReader(f, streamedImageList.Max), limit: maxRecordBytes}
	dec := json.NewDecoder(br)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return fmt.Errorf("%s: containers list: not a JSON array", host)
	}
	for {
		br.start(dec)
		at := dec.InputOffset()
		if !dec.More() {
			break
		}
		var c struct {
			Metadata string `json:"metadata"`
		}
		if err := dec.Decode(&c); err != nil {
			return fmt.Errorf("%s: containers list, record at byte %d: %w", host, at, err)
		}
		var md struct {
			ImageName string `json:"image-name"`
		}
		if c.Metadata != "" && json.Unmarshal([]byte(c.Metadata), &md) == nil && md.ImageName != "" {
			if err := checkNames([]string{md.ImageName}); err != nil {
				return fmt.Errorf("%s: containers list, record at byte %d: %w", host, at, err)
			}
			if !fn(md.ImageName) {
				return nil
			}
		}
	}
	return nil
}
