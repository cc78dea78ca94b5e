#!/usr/bin/env bash
# Runs every test of the project. Parts whose toolchain is missing are reported as
# SKIPPED, loudly, and make the run fail unless ACTORGRPC_ALLOW_SKIP=1. The summary
# gives each part's time (CI must finish well within its limit on two cores).
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
skipped=()
timings=()
part=""
part_started=$SECONDS

# section TITLE: start a part (and close the timing of the previous one).
section() {
  if [ -n "$part" ]; then timings+=("$(printf '%5ss  %s' $((SECONDS - part_started)) "$part")"); fi
  part=$1
  part_started=$SECONDS
  printf '\n==== %s ====\n' "$1"
}

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

# Two pytest-xdist workers: the suite mostly waits on the processes it starts (alone
# it keeps two cores ~40% busy). Measured here: one process, no coverage, 7.1 min;
# two workers with coverage, 5.1-6.4 min (the machine shared or not). Whole files
# per worker (--dist loadfile): a module's shared arbiter starts once. Coverage (pyproject's [tool.coverage.*]) measures every Python process
# the tests start: arbiters, fork servers, actors, CLI commands.
section "Python tests (unit, integration, conformance, generated-code check), with coverage"
rm -f .coverage .coverage.*
# An absolute data file: actors may run in other directories.
COVERAGE_FILE="$PWD/.coverage" .venv/bin/python -m coverage run -m pytest -q -p no:cacheprovider \
  -n 2 --dist loadfile --durations=15 || status=1

section "Coverage of actorgrpc (the floor is fail_under in pyproject.toml)"
# A process killed while it saved its data (SIGKILL, in the supervision tests) leaves
# a half-written file: counted here instead of a warning each, and not combined.
unreadable=$(COVERAGE_FILE="$PWD/.coverage" .venv/bin/python -m coverage combine -q 2>&1 \
  | grep -c "isn't a coverage data file")
rm -f .coverage.*
if [ "$unreadable" -gt 0 ]; then
  echo "($unreadable data files half-written by processes killed while saving: left out)"
fi
COVERAGE_FILE="$PWD/.coverage" .venv/bin/python -m coverage report || status=1

# The cluster tests (root: network namespaces, etcd) mostly wait on leases and
# elections (about 4 min, little CPU): they run beside the data-plane rerun and the Go
# and JS tests, their output kept until those are done, so that the whole run stays
# within CI's limit (serially it would not).
section "Cluster tests (root: network namespaces, etcd), started beside the next parts"
cluster_log=$(mktemp)
cluster_started=$SECONDS
make test-cluster >"$cluster_log" 2>&1 &
cluster_pid=$!

# The data plane once more without gRPC's private internals (the fast path of
# actorgrpc/transport/stream_ops.py): what runs on a grpcio it was not tested with.
section "Python data-plane tests again, ACTORGRPC_GRPC_FAST_PATH=0"
# One process (~95 s; ~60 s on two workers, but one exec-actor stop was seen to fail
# there once, not reproduced since: kept serial until understood).
ACTORGRPC_GRPC_FAST_PATH=0 .venv/bin/python -m pytest -q -p no:cacheprovider -m dataplane \
  || status=1

run_part "Go client tests" go go scripts/test-go.sh "the Go client was NOT tested"
# npm comes with Node.js; test-js.sh needs both.
run_part "JS client tests" js npm scripts/test-js.sh "the JS client was NOT tested"

section "Cluster tests: their output"
wait "$cluster_pid" || status=1
cat "$cluster_log"
rm -f "$cluster_log"
echo "(the cluster tests took $((SECONDS - cluster_started)) s, beside the parts above)"

section "Summary"
printf '%s\n' "${timings[@]}"
printf '%5ss  in all\n' "$SECONDS"
if [ ${#skipped[@]} -gt 0 ]; then
  echo "!!! skipped parts: ${skipped[*]} !!!"
  if [ "${ACTORGRPC_ALLOW_SKIP:-0}" != 1 ]; then status=1; fi
fi
if [ $status -eq 0 ]; then echo "all test suites passed"; else echo "SOME TEST SUITES FAILED"; fi
exit $status
