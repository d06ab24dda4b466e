// Package nodefs is the node's filesystem as imgtrust sees it under
// --root: every path the node would open is resolved the way the node's
// own kernel would resolve it, inside the root, and node files are read
// as regular files of bounded size only.
//
// Resolution. kiOS admins run imgtrust in a debug pod with the node's "/"
// mounted at, say, /host. A symlink /host/etc/containers/policy.json ->
// /usr/share/x/policy.json means /usr/share/x/policy.json *on the node*,
// that is /host/usr/share/x/policy.json here; following it on the pod
// would read and edit the pod's file while the node keeps its own. So a
// path is resolved with chroot semantics: an absolute link target /x is
// R/x, and ".." never climbs above R. Go's os.Root cannot do that alone:
// it refuses absolute links and links that leave the root instead of
// re-rooting them (openat2 RESOLVE_BENEATH, not RESOLVE_IN_ROOT). So the
// path is resolved with filepath-securejoin's SecureJoin, which re-roots
// exactly as the node would, and every open, rename, mkdir and remove is
// then done through an os.Root of R on the resolved path. The resolved
// path holds no symlinks; if the tree changes between the two steps so
// that the path would leave R, os.Root refuses it and imgtrust says so
// (EscapeError) instead of touching anything outside R.
//
// Paths given here are host paths (what Paths.Host makes of a node
// path, or a file the admin named with a flag). A host path inside the
// root is a node path and is confined; a path outside the root is one
// the admin named explicitly (--policy ./test.json) and is resolved as
// the machine imgtrust runs on sees it. With --root / the two are the
// same, and imgtrust behaves as the node itself.
//
// Bounds. A FIFO as policy.json would make every read wait for a writer
// forever; /dev/zero or a sparse 2 GB file would fill memory. ReadFile
// looks at the file before opening it (lstat), opens it non-blocking,
// checks again on the open descriptor (fstat) that it is a regular file,
// and reads at most the cap of the file's kind.
package nodefs
