"""``actorgrpc bench``: actorgrpc's paths measured against raw gRPC in the same run.

A development tool, not part of the installed package: it runs from a checkout
(``make bench``). Processes it starts find it through ``environment()``.
"""

import os

#: The folder holding this package (bench/ of the checkout).
BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def environment() -> dict:
    """The environment of a process that imports ``actorgrpc_bench`` (the arbiter under
    test, whose actors use ``actorgrpc_bench.commands``; the baseline helpers)."""
    paths = [BENCH_DIR, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
