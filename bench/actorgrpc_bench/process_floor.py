"""The floor that a new gRPC-Python process sets: bare processes, forked at once.

``spawn_50_s`` and ``idle_actor_uss_mb`` are absolute figures; this baseline,
measured in the same run (see process_floor_client), shows what bare gRPC
processes cost on this machine today. This module is the parent of those processes:
run as ``python -m actorgrpc_bench.process_floor COLLECTOR_PORT``, it has imported
the actorgrpc package (as ``-m`` does: grpc, protobuf, uvloop, ...) like the
arbiter's fork server, freezes those objects as the fork server does, and starts
nothing, so it may fork. Each child does the least that an actor process must:
start a grpc.aio server on 127.0.0.1:0, open a channel to the collector, report
its port on it, and answer a ping.

It prints ``ready``, then reads commands on stdin, one per line:
  ``fork N``  fork N children at once; prints their pids on one line
  ``kill``    SIGKILL and reap them; prints ``killed``
anything else gets ``error ...``. End of file kills the children too (they also
die with this process).
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import sys
import traceback

import grpc
import uvloop

from actorgrpc.actor.process_control import die_with_parent
from actorgrpc_bench.bytes_server import start_bytes_server

SERVICE = "bench.Floor"
REPORT = f"/{SERVICE}/Report"
PING = f"/{SERVICE}/Ping"


async def _ping(request: bytes, context) -> bytes:
    return b"pong"


async def _serve_and_report(collector_port: int) -> None:
    _server, port = await start_bytes_server(
        SERVICE, {"Ping": grpc.unary_unary_rpc_method_handler(_ping)})
    # Kept open, as an actor keeps its channel to its monitor.
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{collector_port}")
    await channel.unary_unary(REPORT)(str(port).encode())
    await asyncio.Event().wait()  # until the parent kills us


def _child(collector_port: int, parent_pid: int) -> None:
    """One bare gRPC process (never returns)."""
    code = 0
    try:
        die_with_parent()
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)
        uvloop.run(_serve_and_report(collector_port))
    except BaseException:  # noqa: BLE001 - a forked child: report, then _exit, never unwind
        traceback.print_exc()  # on the benchmark's stderr
        code = 1
    os._exit(code)


def main() -> None:
    collector_port = int(sys.argv[1])
    die_with_parent()
    # The benchmark decides when we stop (end of file); Ctrl-C in its terminal
    # reaches it, and it closes our stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # As the fork server does: objects that exist now stay out of the children's
    # collections, which would otherwise walk (and copy) every page of them.
    gc.collect()
    gc.freeze()
    children: list[int] = []
    try:
        print("ready", flush=True)
        for line in iter(sys.stdin.readline, ""):
            command = line.split()
            if command[:1] == ["fork"] and len(command) == 2 and command[1].isdigit():
                forked, parent_pid = [], os.getpid()
                for _ in range(int(command[1])):
                    pid = os.fork()
                    if pid == 0:
                        _child(collector_port, parent_pid)
                    forked.append(pid)
                children.extend(forked)
                print(" ".join(map(str, forked)), flush=True)
            elif command == ["kill"]:
                _kill(children)
                print("killed", flush=True)
            else:
                print(f"error: unknown command {line.strip()!r}", flush=True)
    finally:
        _kill(children)


def _kill(children: list[int]) -> None:
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    for pid in children:
        os.waitpid(pid, 0)
    children.clear()


if __name__ == "__main__":
    main()
