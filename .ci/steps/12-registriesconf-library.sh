#!/usr/bin/env bash
# registriesconf reimplements containers/image's pkg/sysregistriesv2 (it
# must read through nodefs under --root): the library itself, linked in
# the bench module, must give the same answers on every configuration of
# the table (load or refuse, entry, pull sources, search registries).
set -euo pipefail
cd "$(dirname "$0")/../../bench"
go test -count=1 -run 'TestRegistriesConfMatchesLibrary|TestShortNamesMatchLibrary' .
