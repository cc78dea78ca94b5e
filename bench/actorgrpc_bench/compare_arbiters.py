"""ArbiterService.Send on the checkout's arbiter against a candidate change, interleaved.

    python -m actorgrpc_bench.compare_arbiters --candidate FOLDER [--repetitions 9]
        [--in-flight 1000] [--sequential 500]

(from bench/, with the checkout's venv). FOLDER holds another ``actorgrpc`` package
(a copy of the checkout's with the change applied: ``cp -r actorgrpc /tmp/x/``, then
edit /tmp/x/actorgrpc). Two arbiters run side by side, A from the checkout and B from
FOLDER, each with a Python process actor; every repetition measures both, in
alternating order (A then B, B then A: neither always gets the warmer machine):

* ArbiterService.Send calls/s with ``--in-flight`` at once (from the Go client when
  Go is here: it leaves more of the two cores to the arbiter; else from this process),
  and the arbiter's CPU per call;
* the p50 of ``--sequential`` sequential Sends from this process (what one caller sees).

It prints each figure's median for A and B and the median of the per-repetition
ratios B/A with their spread: on this shared machine a single run of either arbiter
drifts by ±20 %, so only ratios measured moments apart mean anything.
"""

from __future__ import annotations

import os

# Before grpc is imported, as the actorgrpc command line does (this process runs
# gRPC and starts programs).
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

import argparse
import shutil
import sys
import tempfile
import time

from actorgrpc.client.connect import connect
from actorgrpc_bench.arbiter_process import ArbiterUnderTest
from actorgrpc_bench.baseline_client import p50_us
from actorgrpc_bench.polyglot_clients import run_once
from actorgrpc_bench.polyglot_programs import GO_DIR, PolyglotPrograms
from actorgrpc_bench.process_stats import cpu_seconds
from actorgrpc_bench.python_client import arbiter_send_burst
from actorgrpc_bench.stats import rounded, summarize

ACTOR = "bench-compared"

#: Bursts per repetition and arbiter: three bursts make one figure of ~2 s.
BURSTS = 3


def _log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


class Side:
    """One arbiter of the comparison, its client and its actor."""

    def __init__(self, label: str, arbiter: ArbiterUnderTest):
        self.label = label
        self.arbiter = arbiter
        self.client = None
        self.samples: dict[str, list[float]] = {}

    def add(self, key: str, value: float) -> None:
        self.samples.setdefault(key, []).append(value)


async def _sequential_p50(client, count: int) -> float:
    for _ in range(100):
        await client.send_via_arbiter(ACTOR, "echo", "hello")
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        await client.send_via_arbiter(ACTOR, "echo", "hello")
        timings.append(time.perf_counter() - start)
    return p50_us(timings)


async def _measure(side: Side, programs: PolyglotPrograms, in_flight: int,
                   sequential: int) -> None:
    before = cpu_seconds(side.arbiter.pid)
    if programs.has_go:
        figures = await run_once(
            [programs.gobench, "-address", side.arbiter.address, "-actor", ACTOR,
             "-measure", "arbiter", "-repetitions", str(BURSTS),
             "-arbiter-count", str(in_flight), "-arbiter-in-flight", str(in_flight)],
            programs.environment(None), GO_DIR)
        rate = figures["go_arbiter_send_throughput"]
    else:
        rates = [await arbiter_send_burst(side.client, ACTOR, in_flight) for _ in range(BURSTS)]
        rate = sorted(rates)[len(rates) // 2]
    side.add("throughput", rate)
    side.add("arbiter_cpu_us_per_call",
             (cpu_seconds(side.arbiter.pid) - before) / (BURSTS * in_flight) * 1e6)
    side.add("sequential_p50_us", await _sequential_p50(side.client, sequential))


async def compare(candidate: str, repetitions: int, in_flight: int, sequential: int) -> None:
    if not os.path.isfile(os.path.join(candidate, "actorgrpc", "__init__.py")):
        raise SystemExit(f"{candidate} holds no actorgrpc package")
    programs = PolyglotPrograms(_log)
    run_dirs = [tempfile.mkdtemp(prefix="actorgrpc-bench-compare-") for _ in range(2)]
    sides: list[Side] = []
    try:
        programs.prepare()
        sides.append(Side("A (checkout)", ArbiterUnderTest(run_dirs[0])))
        sides.append(Side(f"B ({candidate})", ArbiterUnderTest(run_dirs[1], code=candidate)))
        for side in sides:
            side.client = await connect(side.arbiter.address).__aenter__()
            await side.client.spawn(name=ACTOR)
            await arbiter_send_burst(side.client, ACTOR, in_flight)  # warm
        for repetition in range(repetitions):
            order = sides if repetition % 2 == 0 else sides[::-1]
            for side in order:
                await _measure(side, programs, in_flight, sequential)
            _log(f"repetition {repetition + 1}/{repetitions}: " + "; ".join(
                f"{side.label[0]} {side.samples['throughput'][-1]:.0f}/s "
                f"{side.samples['arbiter_cpu_us_per_call'][-1]:.0f} µs/call "
                f"seq {side.samples['sequential_p50_us'][-1]:.0f} µs" for side in sides))
    finally:
        for side in sides:
            if side.client is not None:
                await side.client.__aexit__(None, None, None)
            side.arbiter.stop()
        programs.close()
        for run_dir in run_dirs:
            shutil.rmtree(run_dir, ignore_errors=True)
    a, b = sides
    driver = "the Go client" if programs.has_go else "this Python process"
    print(f"ArbiterService.Send, {in_flight} in flight from {driver}; {repetitions} "
          f"repetitions, alternating. A = {a.label}, B = {b.label}")
    print(f"{'figure':<26}{'A':>10}{'B':>10}{'B/A':>9}  spread of B/A")
    for key in a.samples:
        ratios = [y / x for x, y in zip(a.samples[key], b.samples[key], strict=True)]
        ratio, spread = summarize(ratios)
        print(f"{key:<26}{rounded(summarize(a.samples[key])[0]):>10}"
              f"{rounded(summarize(b.samples[key])[0]):>10}{rounded(ratio):>9}  "
              f"[{rounded(spread[0])}, {rounded(spread[1])}]")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidate", required=True,
                        help="a folder holding the changed actorgrpc package")
    parser.add_argument("--repetitions", type=int, default=9)
    parser.add_argument("--in-flight", type=int, default=1000)
    parser.add_argument("--sequential", type=int, default=500)
    args = parser.parse_args(argv)
    import uvloop

    uvloop.run(compare(args.candidate, args.repetitions, args.in_flight, args.sequential))


if __name__ == "__main__":
    main()
