// Package runtimever knows which containers/image release added what: the
// policy.json keys and types, the registries.d keys and the reading rules
// that changed over time. A runtime linked with an older release refuses a
// policy.json key it does not know (`Unknown key "keyPaths"`, the parser is
// strict) or silently ignores a registries.d key (the YAML reader is not),
// so a file imgtrust accepts can still break an old node.
//
// Every row was found in the library's own history: the commit that added
// the key (git log -S on github.com/containers/image, whose history the
// container-libs monorepo carries on under image/) and the first release
// tag that contains it (git tag --contains).
package runtimever
