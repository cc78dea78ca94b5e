#!/usr/bin/env bash
# Runs every test of the project. Parts whose toolchain is missing are reported as
# SKIPPED, loudly, and make the run fail unless ACTORGRPC_ALLOW_SKIP=1.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
skipped=()

section() { printf '\n==== %s ====\n' "$1"; }

# run_part TITLE NAME TOOL SCRIPT WHAT-IS-LOST: run SCRIPT when TOOL is on the PATH,
# else say loudly what was not done and remember NAME as skipped.
run_part() {
  section "$1"
  if command -v "$3" >/dev/null 2>&1; then
    bash "$4" || status=1
  else
    echo "!!! SKIPPED: $3 is not installed; $5 !!!"
    skipped+=("$2")
  fi
}

run_part "grpcurl (for tests/test_grpcurl.py)" grpcurl go scripts/install-grpcurl.sh \
  "grpcurl was NOT installed and tests/test_grpcurl.py fails unless ACTORGRPC_ALLOW_SKIP=1"
run_part "buf (for tests/test_lint.py)" buf npm scripts/install-buf.sh \
  "buf was NOT installed and tests/test_lint.py fails unless ACTORGRPC_ALLOW_SKIP=1"

section "Python tests (unit, integration, conformance, generated-code check)"
.venv/bin/python -m pytest -q -p no:cacheprovider --durations=15 || status=1

# The data plane once more without gRPC's private internals (the fast path of
# actorgrpc/transport/stream_ops.py): what runs on a grpcio it was not tested with.
section "Python data-plane tests again, ACTORGRPC_GRPC_FAST_PATH=0"
ACTORGRPC_GRPC_FAST_PATH=0 .venv/bin/python -m pytest -q -p no:cacheprovider -m dataplane \
  || status=1

run_part "Go client tests" go go scripts/test-go.sh "the Go client was NOT tested"
# npm comes with Node.js; test-js.sh needs both.
run_part "JS client tests" js npm scripts/test-js.sh "the JS client was NOT tested"

section "Cluster tests (root: network namespaces, etcd)"; make test-cluster || status=1
section "Summary"
if [ ${#skipped[@]} -gt 0 ]; then
  echo "!!! skipped parts: ${skipped[*]} !!!"
  if [ "${ACTORGRPC_ALLOW_SKIP:-0}" != 1 ]; then status=1; fi
fi
if [ $status -eq 0 ]; then echo "all test suites passed"; else echo "SOME TEST SUITES FAILED"; fi
exit $status
