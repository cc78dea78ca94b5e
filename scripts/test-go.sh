#!/usr/bin/env bash
# Go client and actor SDK: stubs are fresh, gofmt and vet are clean, tests
# pass against real arbiters, with the race detector (the Go demo actor the
# tests spawn is built with it too).
set -euo pipefail
cd "$(dirname "$0")/../clients/go"
bash check-gen.sh
test -z "$(gofmt -l .)" || { echo "gofmt: unformatted files:"; gofmt -l .; exit 1; }
go vet ./...
go test -race -count=1 ./...
