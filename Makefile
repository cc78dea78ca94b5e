# actorgrpc — the two commands: `make run` (an arbiter on 127.0.0.1:7070 with the
# example module) and `make test` (every test: Python, Go, JS, conformance, checks).
#
# `make test` (scripts/test-all.sh) runs the Python suite on two pytest-xdist workers
# under coverage, prints the 15 slowest tests and the coverage report (it fails below
# the floor, fail_under in pyproject.toml), and ends with each part's time. Not in it:
#   make test-bench     the benchmark's own test (minutes: tests/test_bench.py)
#   make test-cluster   the cluster layer's tests (root: etcd, network namespaces)
#   make fuzz           longer property-based fuzzing of every RPC
#   make test-python    the Python suite alone, one process, no coverage

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIND ?= 127.0.0.1:7070
PROTO_FILES := $(wildcard protos/actorgrpc/v1/*.proto)

.PHONY: all install run test fuzz test-python test-go test-js test-bench proto proto-check lint bench bench-quick clean tools image container-smoke bench-peers bench-peers-quick

all: install

# The virtual environment, rebuilt when the dependency pins change.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Extra options of `actorgrpc serve` for `make run`, e.g.
#   make run ARGS="--metrics-port 9108 --dashboard 8108"   (metrics and the dashboard)
#   make run BIND=127.0.0.1:7171 ARGS="--config my.toml --log-format json"
ARGS ?=

run: install
	@echo "Starting an arbiter on $(BIND) with the example module actorgrpc.examples.demo."
	@echo "In another terminal, for instance:"
	@echo "  $(VENV)/bin/actorgrpc spawn --name w1 --address $(BIND)"
	@echo "  $(VENV)/bin/actorgrpc send w1 add 2 3 --address $(BIND)"
	@echo "  $(VENV)/bin/actorgrpc ps --address $(BIND)"
	@echo "  grpcurl -plaintext -d '{\"target\":\"w1\",\"action\":\"echo\",\"args\":[\"hi\"]}' $(BIND) actorgrpc.v1.ArbiterService/Send"
	@echo "Metrics and the dashboard: make run ARGS=\"--metrics-port 9108 --dashboard 8108\"."
	@echo "Stop with Ctrl-C (or $(VENV)/bin/actorgrpc stop arbiter --address $(BIND))."
	$(VENV)/bin/actorgrpc serve --bind $(BIND) -m actorgrpc.examples.demo $(ARGS)

test: install
	bash scripts/test-all.sh

test-python: install
	$(PY) -m pytest -q

test-go: install
	bash scripts/test-go.sh

test-js: install
	bash scripts/test-js.sh

# Regenerate every generated file from the protos (never edit them by hand).
proto: install
	cd protos && ../$(PY) -m grpc_tools.protoc -I. --python_out=.. --pyi_out=.. \
		--grpc_python_out=.. $(patsubst protos/%,%,$(PROTO_FILES))
	@if command -v go >/dev/null 2>&1; then bash clients/go/gen.sh; \
	else echo "make proto: Go is not installed; Go stubs NOT regenerated" >&2; fi

# Static checks: buf lint on the protos, ruff, mypy (strict on the core; pyproject's
# [tool.mypy]), the import layers (import-linter), the size limits. The same checks run
# in `make test` (tests/test_lint.py), so .ci/run runs them too.
lint: install
	bash scripts/install-buf.sh
	$(VENV)/bin/ruff check actorgrpc bench tests scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q tests/test_lint.py

# Longer property-based fuzzing of every RPC (make test runs 15 examples per RPC).
fuzz: install
	ACTORGRPC_FUZZ_EXAMPLES=$${ACTORGRPC_FUZZ_EXAMPLES:-400} $(PY) -m pytest -q --timeout=0 tests/test_fuzz.py

bench: install
	$(VENV)/bin/actorgrpc bench

bench-quick: install
	$(VENV)/bin/actorgrpc bench --quick

# The benchmark's own test (tests/test_bench.py: every figure reported, plain and
# with --tls --auth, no process left behind; no speed asserted). Minutes, so not
# in `make test`. The Node.js client's packages first, when npm is there (the
# benchmark runs jsbench.js and the Node demo actor; without Node it says SKIPPED).
test-bench: install
	@if command -v npm >/dev/null 2>&1; then \
	  cd clients/js && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "!!! make test-bench: npm is not installed: the Node.js figures are SKIPPED !!!"; fi
	ACTORGRPC_BENCH_TEST=1 $(PY) -m pytest -q -p no:cacheprovider -s tests/test_bench.py

# The same workloads on Ray, Thespian and multiprocessing, side by side (minutes;
# separate environments under .bench-envs/). Not part of the tests.
bench-peers: install
	bash scripts/bench-peers.sh

bench-peers-quick: install
	bash scripts/bench-peers.sh --quick

clean:
	rm -rf $(VENV) .tools build *.egg-info .pytest_cache

tools:
	bash scripts/install-grpcurl.sh

# Build the arbiter image with podman (root; storage in $$PODMAN_DATA, outside the repo).
image:
	BUILD_ONLY=1 bash scripts/container-smoke.sh

# Build, run, health-check, Spawn/Send through grpcurl, stop. Needs root, podman, minutes.
container-smoke: tools
	bash scripts/container-smoke.sh

# The cluster layer's tests (tests/cluster/, see its README): real etcd members, and
# hosts as network namespaces. Root only. Installs etcd (apt) and the cluster extra
# when missing; the whole run is bounded (SIGTERM after 5 min: the namespace harness
# still tears down; SIGKILL 60 s later, whose leftovers the next run removes).
.PHONY: test-cluster cluster-need-root
CLUSTER_TIMEOUT ?= 300

cluster-need-root:
	@if [ "$$(id -u)" -ne 0 ]; then \
	  echo "make test-cluster: refusing to run as $$(id -un): the cluster tests need root (network namespaces, ip netns, etcd run as another user). Run it as root, e.g. sudo make test-cluster." >&2; \
	  exit 1; \
	fi

$(VENV)/.cluster-installed: $(VENV)/.installed pyproject.toml constraints.txt
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,cluster]'
	touch $@

# Figures of a cluster (root): cross-host vs same-host send RTT, failover time, cost
# of an idle arbiter on etcd (messages/s) and in CPU. Bounded like test-cluster.
.PHONY: bench-cluster
bench-cluster: cluster-need-root $(VENV)/.cluster-installed
	bash scripts/cluster/install-etcd.sh
	timeout --signal=TERM --kill-after=60 $(CLUSTER_TIMEOUT) $(PY) -m tests.cluster.bench_cluster

test-cluster: cluster-need-root $(VENV)/.cluster-installed
	bash scripts/cluster/install-etcd.sh
	ACTORGRPC_CLUSTER_TESTS=1 timeout --signal=TERM --kill-after=60 $(CLUSTER_TIMEOUT) \
		$(PY) -m pytest -q -p no:cacheprovider tests/cluster
