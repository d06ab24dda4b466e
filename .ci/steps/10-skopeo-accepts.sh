#!/usr/bin/env bash
# The runtime's parser judges our files: Debian's skopeo loads every policy
# imgtrust writes (the TUI rule forms' files in ui/testdata/forms too:
# TestSkopeoLoadsTheTUIForms) and refuses every case imgtrust calls an error.
set -euo pipefail
if ! command -v skopeo >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq skopeo >/dev/null
fi
skopeo --version
IMGTRUST_SKOPEO=1 go test -count=1 -run Skopeo -v ./policyio 2>&1 | grep -E '^(=== RUN|--- (FAIL|SKIP)|ok|FAIL|PASS)|skopeo' | grep -v '=== RUN' || true
IMGTRUST_SKOPEO=1 go test -count=1 -run Skopeo ./policyio
# Every policy.json that `imgtrust policy default|set|remove` writes loads.
IMGTRUST_SKOPEO=1 go test -count=1 -run TestSkopeoLoadsPolicySetFiles .
