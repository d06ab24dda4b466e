// Package registriesconf reads the node's registries.conf and
// registries.conf.d (containers-registries.conf(5), v2 TOML, and the v1
// format the main file may still use) as containers/image does, and
// answers what a pull needs from it: which [[registry]] entry applies to
// a reference, the pull sources it tries in order (mirrors, then the
// primary), whether a source is blocked, and the candidates a short name
// resolves to.
//
// It mirrors go.podman.io/image/v5 pkg/sysregistriesv2 and pkg/shortnames
// rule by rule (each cited beside it) instead of importing them: the
// library reads through os with no confinement under --root and no size
// limit, keeps a process-wide cache, creates /var/cache/containers and a
// lock file when it resolves an alias, reports no line or column, and
// importing it moves golang.org/x/crypto (whose frozen openpgp the node's
// mechanism is) and sigstore to newer versions.
package registriesconf
