#!/usr/bin/env bash
# Go client and actor SDK: stubs are fresh, gofmt and vet are clean, tests
# pass against real arbiters, with the race detector (the Go demo actor the
# tests spawn is built with it too).
set -euo pipefail
cd "$(dirname "$0")/../clients/go"
bash check-gen.sh
test -z "$(gofmt -l .)" || { echo "gofmt: unformatted files:"; gofmt -l .; exit 1; }
go vet ./...
# The race detector needs cgo and a C compiler; without them the tests still
# run, and say loudly what is not checked.
race=-race
if [ "$(go env CGO_ENABLED)" != 1 ] || ! command -v "$(go env CC)" >/dev/null 2>&1; then
  echo "!!! test-go.sh: no cgo / C compiler: running WITHOUT the race detector !!!"
  race=
fi
# The conformance tests run the Node.js demo actor too: it needs clients/js's packages.
if command -v npm >/dev/null && [ ! -d ../js/node_modules/@grpc/grpc-js ]; then
  (cd ../js && npm ci --no-audit --no-fund --loglevel=error); fi
go test $race -count=1 ./...
