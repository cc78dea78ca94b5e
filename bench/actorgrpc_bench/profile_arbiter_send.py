"""Where the arbiter's time goes while clients drive ArbiterService.Send.

    python -m actorgrpc_bench.profile_arbiter_send [--seconds 12] [--in-flight 1000]
        [--top 25] [--native/--no-native] [--raw FILE]

(with bench/ on PYTHONPATH, or ``../.venv/bin/python -m`` from bench/). It starts an
arbiter under test and a Python process actor, drives ``echo`` through
ArbiterService.Send with ``--in-flight`` calls at once, from the Go client when Go
is here (it leaves the CPU to the arbiter), else from this process; and records the
arbiter with py-spy (``pip install py-spy``; root, or ptrace allowed). It prints the
calls/s, the arbiter's and the actor's CPU per call, and the arbiter main thread's
top frames by self and by inclusive share.

By default py-spy samples without stopping the arbiter (``--nonblocking``): the
arbiter runs at full speed, and time in C (gRPC's Cython and core, uvloop) is
charged to the nearest Python frame, ``Runner.run`` for the loop itself. ``--native``
sees into the C frames, but stops the arbiter for every sample: its throughput
drops to a fifth, and the shares of system calls grow with it; use it to name C
frames, not to weigh them.
"""

from __future__ import annotations

import os

# Before grpc is imported (as the actorgrpc command line does): this process runs
# gRPC and starts programs; gRPC's fork handlers would only warn and get in the way.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

import argparse
import asyncio
import shutil
import sys
import tempfile
import time

from actorgrpc.client.connect import connect
from actorgrpc_bench.arbiter_process import ArbiterUnderTest
from actorgrpc_bench.polyglot_clients import run_once
from actorgrpc_bench.polyglot_programs import GO_DIR, PolyglotPrograms
from actorgrpc_bench.process_stats import cpu_seconds
from actorgrpc_bench.python_client import arbiter_send_burst
from actorgrpc_bench.stack_profile import ThreadProfile, table

#: Samples per second py-spy takes (its default is 100: 250 makes a 12 s
#: recording of ~3,000 main-thread samples, ±1 % on a 25 % share).
SAMPLE_RATE = 250

ACTOR = "bench-profiled"

#: The arbiter's main thread by part, from the leaf frame of each sample: (part,
#: patterns of the leaf). First match wins; "Runner.run" is the loop's own frame,
#: so a leaf there is C code with no Python frame above it in this call: gRPC's
#: Cython and core (the unary calls' machinery, completion queue events) and uvloop.
PARTS = [
    ("gRPC Cython/core + uvloop (no Python frame)", ("Runner.run",)),
    ("mailbox stream write (gRPC's, from framing)", ("FrameWriter._step ",)),
    ("mailbox stream read + reply decode", ("MailboxConnection._read_loop",)),
    ("asyncio/inspect: gRPC's per-call tasks, asyncio.wait", (
        "asyncio/", "_weakrefset", "inspect.py", "<frozen abc>")),
    ("actorgrpc: interceptors, error boundary, deserializer", (
        "transport/auth.py", "transport/boundary.py", "transport/server.py")),
    ("actorgrpc: Value/ListValue <-> Python", ("contract/values.py",)),
    ("actorgrpc: router, mailbox client, envelopes", (
        "contract/wire.py", "client/mailbox.py", "client/routing.py", "contract/framing.py")),
    ("actorgrpc: ArbiterServicer.Send, registry", (
        "supervisor/services.py", "supervisor/registry.py", "supervisor/record.py",
        "supervisor/arbiter.py")),
]


def by_part(profile: ThreadProfile) -> list[tuple[str, float]]:
    """Self shares summed by PARTS; what matches none is "other"."""
    sums: dict[str, int] = {}
    for frame, count in profile.self_counts.items():
        part = next((name for name, patterns in PARTS
                     if any(pattern in frame for pattern in patterns)), "other")
        sums[part] = sums.get(part, 0) + count
    return sorted(((part, profile.share(count)) for part, count in sums.items()),
                  key=lambda row: -row[1])


def _log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


async def _drive(client, programs: PolyglotPrograms, address: str, in_flight: int,
                 until: asyncio.Future) -> tuple[int, float]:
    """Bursts of ArbiterService.Send until ``until`` is done; (calls, seconds)."""
    calls, start = 0, time.perf_counter()
    while not until.done():
        if programs.has_go:
            # One Go repetition per burst: a few hundred ms each, so the driving
            # stops soon after the recording does.
            await run_once([programs.gobench, "-address", address, "-actor", ACTOR,
                            "-measure", "arbiter", "-repetitions", "1",
                            "-arbiter-count", str(in_flight),
                            "-arbiter-in-flight", str(in_flight)],
                           programs.environment(None), GO_DIR)
        else:
            await arbiter_send_burst(client, ACTOR, in_flight)
        calls += in_flight
    return calls, time.perf_counter() - start


async def profile(seconds: float, in_flight: int, top: int, native: bool,
                  raw_path: str | None) -> None:
    py_spy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    if not os.path.exists(py_spy):
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    programs = PolyglotPrograms(_log)
    run_dir = tempfile.mkdtemp(prefix="actorgrpc-bench-profile-")
    raw = raw_path or os.path.join(run_dir, "stacks.txt")
    arbiter = None
    try:
        programs.prepare()
        arbiter = ArbiterUnderTest(run_dir)
        async with connect(arbiter.address) as client:
            await client.spawn(name=ACTOR)
            actor_pid = (await client.send(ACTOR, "info"))["actor"]["process_id"]
            await arbiter_send_burst(client, ACTOR, in_flight)  # warm: routes, streams
            command = [py_spy, "record", "--pid", str(arbiter.pid), "--duration",
                       str(int(seconds)), "--rate", str(SAMPLE_RATE), "--format", "raw",
                       "--function", "--threads", "--output", raw]
            command.append("--native" if native else "--nonblocking")
            spy = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            recorded = asyncio.ensure_future(spy.communicate())
            arbiter_cpu, actor_cpu = cpu_seconds(arbiter.pid), cpu_seconds(actor_pid)
            calls, elapsed = await _drive(client, programs, arbiter.address, in_flight,
                                          recorded)
            arbiter_cpu = cpu_seconds(arbiter.pid) - arbiter_cpu
            actor_cpu = cpu_seconds(actor_pid) - actor_cpu
            _, spy_errors = await recorded
            if spy.returncode != 0:
                raise SystemExit(f"py-spy failed: {spy_errors.decode(errors='replace')}")
            await client.stop(ACTOR)
        with open(raw) as lines:
            main_thread = ThreadProfile(lines, "MainThread")
    finally:
        if arbiter is not None:
            arbiter.stop()
        programs.close()
        shutil.rmtree(run_dir, ignore_errors=True)
    driver = "the Go client" if programs.has_go else "this Python process"
    print(f"ArbiterService.Send from {driver}, {in_flight} in flight, py-spy "
          f"{'--native' if native else '--nonblocking'} at {SAMPLE_RATE} Hz for {int(seconds)} s")
    print(f"  {calls / elapsed:.0f} calls/s while recording; CPU per call: arbiter "
          f"{arbiter_cpu / calls * 1e6:.0f} µs, actor {actor_cpu / calls * 1e6:.0f} µs")
    print(f"  arbiter main thread: {main_thread.total} samples\n")
    print(table(by_part(main_thread), "by part (self time of the leaf frames)"))
    print()
    print(table(main_thread.top_inclusive(top), "inclusive (Python frames below the loop)"))
    print()
    print(table(main_thread.top_self(top), "self"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--in-flight", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--native", action="store_true",
                        help="see into C frames (stops the arbiter for every sample)")
    parser.add_argument("--raw", default=None, help="keep py-spy's collapsed stacks here")
    args = parser.parse_args(argv)
    import uvloop

    uvloop.run(profile(args.seconds, args.in_flight, args.top, args.native, args.raw))


if __name__ == "__main__":
    main()
