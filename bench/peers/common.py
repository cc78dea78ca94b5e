"""Shared helpers for the peer benchmarks: statistics, repetition counts, output.

Every peer script imports this with the interpreter of its own virtual
environment, so it uses the standard library only (psutil is imported lazily:
the multiprocessing peer's children re-import their parent script and should
stay small).
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import time
import traceback

KEYS = (
    "spawn_p50_ms",
    "spawn_50_s",
    "send_rtt_p50_us",
    "send_rtt_p99_us",
    "ask_throughput",
    "tell_throughput",
    "actor_to_actor_rtt_p50_us",
    "restart_after_kill_ms",
    "idle_actor_uss_mb",
)

now = time.perf_counter


class Plan:
    """How many repetitions and messages a run uses (``--quick`` shrinks them)."""

    def __init__(self, quick: bool):
        self.quick = quick
        self.spawn_one = 5 if quick else 10  # single spawns, one at a time
        self.spawn_many = 50  # actors created at once
        self.spawn_many_reps = 1 if quick else 3
        self.rounds = 2 if quick else 3  # repetitions of the message workloads
        self.rtt_msgs = 500 if quick else 2000  # sequential asks per round
        self.asks = 2000 if quick else 10000  # asks in flight per round
        self.tells = 3000 if quick else 20000  # tells per round
        self.kills = 2 if quick else 5
        self.idle_actors = 10


def arg_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    return parser


def median(xs):
    return statistics.median(xs)


def percentile(xs, q: float):
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(xs)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


class Results:
    """The JSON object a peer prints: one value per key, plus ``<key>_spread``.

    A workload that raises leaves its keys at None and records the error, so
    one broken workload does not lose the figures of the others.
    """

    def __init__(self, peer: str, version: str, quick: bool):
        self.data = {"peer": peer, "version": version, "quick": quick}
        for key in KEYS:
            self.data[key] = None
        self.errors = {}

    def set(self, key: str, samples, unit_scale: float = 1.0, stat=median):
        """Store stat(samples) * unit_scale and the [min, max] spread of samples."""
        samples = [s * unit_scale for s in samples]
        self.data[key] = round(stat(samples), 3)
        if len(samples) > 1:
            self.data[key + "_spread"] = [round(min(samples), 3), round(max(samples), 3)]

    def set_rtt(self, prefix: str, rounds, p99: bool = True):
        """Store the p50 (and p99) of each round of RTT samples (seconds -> µs).

        The figure is the median of the per-round percentiles; the spread is
        their [min, max] across rounds.
        """
        self.set(prefix + "_p50_us", [percentile(r, 50) for r in rounds], 1e6)
        if p99:
            self.set(prefix + "_p99_us", [percentile(r, 99) for r in rounds], 1e6)

    def run_all(self, workloads, *args):
        """Run each workload function in turn (a failure is recorded, not raised)."""
        for fn in workloads:
            self.run(fn.__name__, fn, *args)

    def run(self, name: str, fn, *args):
        started = now()
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - a workload failure is a result
            self.errors[name] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc(file=sys.stderr)
        log(f"{name}: {now() - started:.1f}s")

    def emit(self):
        if self.errors:
            self.data["errors"] = self.errors
        print(json.dumps(self.data), flush=True)


def rtt_rounds(plan: Plan, call) -> list:
    """``plan.rounds`` rounds of ``plan.rtt_msgs`` sequential ``call()`` round trips (s)."""
    rounds = []
    for _ in range(plan.rounds):
        samples = []
        for _ in range(plan.rtt_msgs):
            t = now()
            call()
            samples.append(now() - t)
        rounds.append(samples)
    return rounds


def log(msg: str):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def uss_mb(pids):
    """Unique set size (MiB) of each process in pids."""
    import psutil

    return [psutil.Process(pid).memory_full_info().uss / 2**20 for pid in pids]


def terminate_gracefully():
    """Turn SIGTERM (sent by the runner's timeout) into SystemExit so that
    ``finally`` blocks shut the library's processes down."""

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def wait_until(predicate, timeout: float, interval: float = 0.001):
    deadline = now() + timeout
    while not predicate():
        if now() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    """True while pid runs; a zombie counts as gone (in the runner's PID
    namespace, orphans are reparented to a PID 1 that never reaps them)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")
