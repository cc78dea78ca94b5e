#!/usr/bin/env bash
# Go client: stubs are fresh, vet is clean, tests pass against a real arbiter.
set -euo pipefail
cd "$(dirname "$0")/../clients/go"
bash check-gen.sh
test -z "$(gofmt -l .)" || { echo "gofmt: unformatted files:"; gofmt -l .; exit 1; }
go vet ./...
go test -count=1 ./...
