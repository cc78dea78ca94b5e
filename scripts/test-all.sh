#!/usr/bin/env bash
# Runs every test of the project. Parts whose toolchain is missing are reported as
# SKIPPED, loudly, and make the run fail unless ACTORGRPC_ALLOW_SKIP=1.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
skipped=()

section() { printf '\n==== %s ====\n' "$1"; }

section "grpcurl (for tests/test_grpcurl.py)"
if command -v go >/dev/null 2>&1; then
  bash scripts/install-grpcurl.sh || status=1
else
  echo "!!! SKIPPED: Go is not installed; grpcurl was NOT installed and tests/test_grpcurl.py fails unless ACTORGRPC_ALLOW_SKIP=1 !!!"
  skipped+=(grpcurl)
fi

section "buf (for tests/test_lint.py)"
if command -v npm >/dev/null 2>&1; then
  bash scripts/install-buf.sh || status=1
else
  echo "!!! SKIPPED: npm is not installed; buf was NOT installed and tests/test_lint.py fails unless ACTORGRPC_ALLOW_SKIP=1 !!!"
  skipped+=(buf)
fi

section "Python tests (unit, integration, conformance, generated-code check)"
.venv/bin/python -m pytest -q -p no:cacheprovider || status=1

section "Go client tests"
if command -v go >/dev/null 2>&1; then
  bash scripts/test-go.sh || status=1
else
  echo "!!! SKIPPED: Go is not installed; the Go client was NOT tested !!!"
  skipped+=(go)
fi

section "JS client tests"
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  bash scripts/test-js.sh || status=1
else
  echo "!!! SKIPPED: Node.js/npm are not installed; the JS client was NOT tested !!!"
  skipped+=(js)
fi

section "Summary"
if [ ${#skipped[@]} -gt 0 ]; then
  echo "!!! skipped parts: ${skipped[*]} !!!"
  if [ "${ACTORGRPC_ALLOW_SKIP:-0}" != 1 ]; then status=1; fi
fi
if [ $status -eq 0 ]; then echo "all test suites passed"; else echo "SOME TEST SUITES FAILED"; fi
exit $status
