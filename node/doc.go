// Package node is the one home of the node's layout and facts: where
// policy.json, registries.d, the keys directory, crio.conf and
// containers-storage's lists live under --root (Paths), and what those
// node files say about the images the node depends on (the pause image,
// stored images, containers' images) and which policy CRI-O reads.
//
// It is a leaf: it imports only model and nodefs, so that policyio, gpg,
// workspace, impact and the commands can all depend on it without
// depending on each other for a path.
package node
