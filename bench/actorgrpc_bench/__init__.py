"""``actorgrpc bench``: actorgrpc's paths measured against raw gRPC in the same run.

A development tool, not part of the installed package: it runs from a checkout
(``make bench``; ``make test-bench`` runs its test). Processes it starts find it
through ``environment()``.

How to read the output (``--json`` prints the same keys as one object):

* Each figure ``key`` is the median of the run's repetitions; ``key_spread`` is
  [min, max] of them. A wide spread means the machine was busy: trust ratios
  more than absolute times, and the medians more than any single repetition.
* ``*_ratio`` keys divide a figure by a baseline measured moments before, in the
  same repetition (raw grpc.aio bidi ping-pong for round trips, Python's asks on
  the same actor for throughput), then take the median of those ratios. They are
  what the goals table judges; the baselines are reported beside them
  (``raw_grpc_*``, ``polyglot_baseline_*``, ``exec_actor_baseline_*``).
* ``*_cpu_us`` / ``*_cpu_ms`` say where the time goes: CPU per message or per
  spawn in each process (``arbiter_send_arbiter_cpu_us`` against
  ``raw_grpc_unary_server_cpu_us``: an ArbiterService.Send costs the arbiter that
  much more than a bare unary call costs a bare grpc.aio server).
* ``go_*`` and ``js_*`` come from the Go and Node.js clients (clients/go/cmd/gobench,
  clients/js/bench/jsbench.js) against a Python process actor;
  ``go_actor_*`` and ``node_actor_*`` from the Python client against a Go and a
  Node.js demo actor run as EXEC actors. When a toolchain is missing these keys
  are absent and ``polyglot_skipped`` says why (the goals table says SKIPPED).

See bench/README.md for every phase and key.
"""

import os

#: The folder holding this package (bench/ of the checkout).
BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def environment() -> dict:
    """The environment of a process that imports ``actorgrpc_bench`` (the arbiter under
    test, whose actors use ``actorgrpc_bench.commands``; the baseline helpers)."""
    paths = [BENCH_DIR, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
