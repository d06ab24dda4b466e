package nodefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
)

// FS is the node's filesystem mounted at a root directory. The zero value
// is the filesystem of the machine imgtrust runs on ("/").
type FS struct {
	root string // absolute and clean; "" means "/"
}

// New returns the node filesystem mounted at root ("" or "/" for this
// machine's own).
func New(root string) FS {
	if root == "" {
		return FS{}
	}
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	root = filepath.Clean(root)
	if root == "/" {
		return FS{}
	}
	return FS{root: root}
}

// Root is the host directory the node's "/" is at.
func (f FS) Root() string {
	if f.root == "" {
		return "/"
	}
	return f.root
}

// Kind names a sort of file and the most imgtrust reads of it. The name
// appears in errors so that the admin knows which limit was hit.
type Kind struct {
	Name string
	Max  int64
}

// The caps. containers/image itself reads these files whole with no
// limit (only network bodies are capped), so a cap here never refuses a
// file the runtime would use in practice: each is orders of magnitude
// above real files and low enough that a hostile one cannot exhaust a
// node's memory. Signatures and manifests take the runtime's own limits
// for http, which it applies to nothing local; imgtrust applies them to
// file:// and dir: too, so that a local copy cannot do what a server
// cannot.
var (
	// A 10,000-scope policy with inline keyData is about 30 MB.
	PolicyFile = Kind{"policy.json", 64 << 20}
	// registries.d files hold URLs: a few KB each in practice.
	RegistriesDFile = Kind{"registries.d file", 16 << 20}
	// Public keyrings: a key with many signatures is tens of KB; the
	// largest public keyrings distributions ship are a few MB.
	KeyFile = Kind{"key file", 16 << 20}
	// crio.conf and its drop-ins are TOML of a few KB.
	CrioConf = Kind{"CRI-O configuration file", 4 << 20}
	// registries.conf and its drop-ins: TOML of a few KB.
	RegistriesConf = Kind{"registries.conf file", 4 << 20}
	// containers-storage's images.json grows with the node's images
	// (about 1 KB each).
	ImageList = Kind{"containers-storage image list", 256 << 20}
	// Registry credentials (auth.json, docker config.json).
	AuthFile = Kind{"registry credentials file", 4 << 20}
	// containers/image: maxSignatureBodySize, 4 MiB per signature.
	Signature = Kind{"signature", 4 << 20}
	// containers/image: maxManifestBodySize, 4 MiB.
	Manifest = Kind{"manifest", 4 << 20}
	// The runtime binary, read for its Go build information only (which
	// buildinfo finds without reading the whole file); CRI-O is ~50 MB.
	RuntimeBinary = Kind{"runtime binary", 1 << 30}
	// Any other configuration file imgtrust writes (backups are read back
	// as the file they copy).
	ConfigFile = Kind{"configuration file", 64 << 20}
)

// MaxSignatures is how many signatures the runtime reads for one image
// (containers/image: maxLookasideSignatures, 128) before it gives up;
// file:// look-asides and dir: images stop there too.
const MaxSignatures = 128

// EscapeError reports a node path that cannot be resolved inside the
// root. Nothing outside the root is read or changed.
type EscapeError struct {
	Path string
	Root string
	Err  error
}

func (e *EscapeError) Error() string {
	return fmt.Sprintf("%s cannot be resolved inside %s (the node's root): refusing to follow it outside; nothing was read or changed there", e.Path, e.Root)
}

func (e *EscapeError) Unwrap() error { return e.Err }

// NotRegularError reports a FIFO, device, socket or directory where a
// file was expected.
type NotRegularError struct {
	Path string
	Kind string
	What string // "a FIFO", "a device", ...
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file: imgtrust reads a %s only from a regular file", e.Path, e.What, e.Kind)
}

// TooLargeError reports a file over its kind's cap.
type TooLargeError struct {
	Path string
	Kind Kind
	Size int64 // -1 when the size grew while reading
}

func (e *TooLargeError) Error() string {
	size := "more than " + human(e.Kind.Max)
	if e.Size >= 0 {
		size = human(e.Size)
	}
	return fmt.Sprintf("%s is %s: larger than imgtrust reads for a %s (at most %s)", e.Path, size, e.Kind.Name, human(e.Kind.Max))
}

func human(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// loc is a resolved path: the root it is confined to, the path below that
// root (no symlinks, no ".."), and the same as a host path for messages.
type loc struct {
	root string
	rel  string
	host string
}

// Resolve returns the host path that host names as the node sees it: the
// target of every symlink on the way, re-rooted inside the root. A path
// that does not exist resolves as far as it exists (a dangling link gives
// the path of the file it would create).
func (f FS) Resolve(host string) (string, error) {
	l, err := f.locate(host)
	return l.host, err
}

func below(root, abs string) (string, bool) {
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return rel, true
}

func (f FS) locate(host string) (loc, error) {
	abs, err := filepath.Abs(host)
	if err != nil {
		return loc{}, fmt.Errorf("resolving %s: %w", host, err)
	}
	root := f.Root()
	rel, ok := below(root, abs)
	if !ok {
		// A file the admin named outside the node's root: it is
		// resolved as this machine sees it.
		root, rel = "/", strings.TrimPrefix(abs, "/")
	}
	resolved, err := securejoin.SecureJoin(root, rel)
	if err != nil {
		return loc{}, fmt.Errorf("resolving %s inside %s: %w", abs, root, err)
	}
	rel, ok = below(root, resolved)
	if !ok { // SecureJoin never does this; checked so that it cannot matter
		return loc{}, &EscapeError{Path: abs, Root: root}
	}
	return loc{root: root, rel: rel, host: resolved}, nil
}

// wrap names the host path in an error from an os.Root call (which only
// knows the path below the root), keeps errors.Is working, and turns a
// refused escape into an EscapeError.
func (l loc) wrap(op string, host string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if strings.Contains(pe.Err.Error(), "escapes from parent") || errors.Is(pe.Err, syscall.EXDEV) {
			return &EscapeError{Path: host, Root: l.root, Err: err}
		}
		return &fs.PathError{Op: op, Path: host, Err: pe.Err}
	}
	if strings.Contains(err.Error(), "escapes from parent") {
		return &EscapeError{Path: host, Root: l.root, Err: err}
	}
	return fmt.Errorf("%s %s: %w", op, host, err)
}

func (l loc) openRoot() (*os.Root, error) {
	r, err := os.OpenRoot(l.root)
	if err != nil {
		return nil, fmt.Errorf("opening the node's root %s: %w", l.root, err)
	}
	return r, nil
}

// ReadFile reads a regular file of kind k: anything else, or more than
// k.Max bytes, is an error at once, without waiting and without reading.
func (f FS) ReadFile(host string, k Kind) ([]byte, error) {
	return inRoot(f, host, func(r *os.Root, l loc) ([]byte, error) { return readIn(r, l.rel, l, k) })
}

// inRoot resolves host inside the node's root and runs fn with the root
// opened and the location found; the root is closed when fn returns.
func inRoot[T any](f FS, host string, fn func(*os.Root, loc) (T, error)) (T, error) {
	var zero T
	l, err := f.locate(host)
	if err != nil {
		return zero, err
	}
	r, err := l.openRoot()
	if err != nil {
		return zero, err
	}
	defer r.Close()
	return fn(r, l)
}

// ReadFileIn reads name from an open directory root under the same rules
// as ReadFile (safefile reads the current content of a file this way,
// under its lock, through the directory it locked). host names the file
// in messages.
func ReadFileIn(dir *os.Root, name, host string, k Kind) ([]byte, error) {
	return readIn(dir, name, loc{root: dir.Name(), rel: name, host: host}, k)
}

// Open opens a regular file of kind k for reading, under the same rules
// as ReadFile, for readers that need only parts of it (the runtime's
// build information). The caller closes it.
func (f FS) Open(host string, k Kind) (*os.File, error) {
	return inRoot(f, host, func(r *os.Root, l loc) (*os.File, error) { return openIn(r, l.rel, l, k) })
}

func readIn(r *os.Root, name string, l loc, k Kind) ([]byte, error) {
	file, err := openIn(r, name, l, k)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	// The buffer is the size the open file has (openIn checked it against
	// k.Max), plus one byte to see the end: io.ReadAll's doubling from
	// 512 bytes allocated two and a half times a large policy.json (issue
	// 15). A file that grew since is still read up to k.Max+1.
	size := 0
	if fi, err := file.Stat(); err == nil && fi.Size() <= k.Max {
		size = int(fi.Size())
	}
	data := make([]byte, 0, size+1)
	lr := io.LimitReader(file, k.Max+1)
	for {
		n, err := lr.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, l.wrap("reading", l.host, err)
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
	if int64(len(data)) > k.Max {
		return nil, &TooLargeError{Path: l.host, Kind: k, Size: -1}
	}
	return data, nil
}

func openIn(r *os.Root, name string, l loc, k Kind) (*os.File, error) {
	fi, err := r.Lstat(name)
	if err != nil {
		return nil, l.wrap("reading", l.host, err)
	}
	if err := CheckRegular(l.host, k, fi); err != nil {
		return nil, err
	}
	// O_NONBLOCK: should the file have become a FIFO since the lstat,
	// the open returns at once instead of waiting for a writer.
	file, err := r.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, l.wrap("reading", l.host, err)
	}
	if fi, err = file.Stat(); err != nil {
		file.Close()
		return nil, l.wrap("reading", l.host, err)
	}
	if err := CheckRegular(l.host, k, fi); err != nil {
		file.Close()
		return nil, err
	}
	return file, nil
}

// CheckRegular is the check made before a file is opened: an error unless
// fi (from an lstat) is a regular file of at most k.Max bytes. A writer
// that opens a node file itself (an append) makes it first, so that a
// FIFO or device is never opened.
func CheckRegular(host string, k Kind, fi fs.FileInfo) error {
	m := fi.Mode()
	if m.IsRegular() {
		if fi.Size() > k.Max {
			return &TooLargeError{Path: host, Kind: k, Size: fi.Size()}
		}
		return nil
	}
	return &NotRegularError{Path: host, Kind: k.Name, What: describe(m)}
}

func describe(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link that changed while imgtrust read it"
	default:
		return "not a regular file (" + m.Type().String() + ")"
	}
}

// Stat describes the file host names, following links inside the root.
func (f FS) Stat(host string) (fs.FileInfo, error) {
	return inRoot(f, host, func(r *os.Root, l loc) (fs.FileInfo, error) {
		fi, err := r.Lstat(l.rel)
		return fi, l.wrap("inspecting", l.host, err)
	})
}

// ReadDir lists the directory host names, resolved inside the root.
func (f FS) ReadDir(host string) ([]fs.DirEntry, error) {
	return inRoot(f, host, func(r *os.Root, l loc) ([]fs.DirEntry, error) {
		fi, err := r.Lstat(l.rel)
		if err != nil {
			return nil, l.wrap("reading", l.host, err)
		}
		if !fi.IsDir() {
			return nil, &fs.PathError{Op: "reading directory", Path: l.host, Err: syscall.ENOTDIR}
		}
		d, err := r.Open(l.rel)
		if err != nil {
			return nil, l.wrap("reading", l.host, err)
		}
		defer d.Close()
		ents, err := d.ReadDir(-1)
		return ents, l.wrap("reading", l.host, err)
	})
}

// Glob lists the names in dir matching pattern (filepath.Match syntax),
// sorted, as host paths; a missing directory gives none.
func (f FS) Glob(dir, pattern string) ([]string, error) {
	ents, err := f.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if ok, _ := filepath.Match(pattern, e.Name()); ok {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// OpenDir opens the directory host names, resolved inside the root, as an
// os.Root of its own, creating it (and its parents, inside the root) when
// mkdir is set. Every operation through the returned Root stays in that
// directory. The caller closes it.
func (f FS) OpenDir(host string, mkdir bool) (*os.Root, error) {
	return inRoot(f, host, func(r *os.Root, l loc) (*os.Root, error) {
		if mkdir && l.rel != "." {
			if err := r.MkdirAll(l.rel, 0o755); err != nil {
				return nil, l.wrap("creating", l.host, err)
			}
		}
		d, err := r.OpenRoot(l.rel)
		if err != nil {
			return nil, l.wrap("opening", l.host, err)
		}
		return d, nil
	})
}
