// Package demo builds a self-contained scratch node for `imgtrust demo`:
// a root directory with policy.json, registries.d, public keys and a
// crio.conf, an in-process registry and a look-aside server on 127.0.0.1
// holding a handful of tiny images that each tell one part of the story
// (signed, unsigned, unknown key, another repository, corrupt signature).
//
// Nothing here touches the real node: everything lives under the scratch
// root and on loopback ports, and Close stops every server it started.
package demo
