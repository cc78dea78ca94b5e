"""One repetition of the Go or the Node.js client's figures (gobench, jsbench).

Each program runs once per repetition (``-repetitions 1``), so that the benchmark
can measure its own baselines right before it: the raw bidi ping-pong and
Python's asks, moments apart from the figures they are divided into.
Every program is bounded in time and, past it, killed with its process group.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal

from actorgrpc_bench.polyglot_programs import JS_DIR, PolyglotPrograms

#: Seconds one repetition of a client program may take: a few seconds in quick
#: mode, under a minute in the full one; this only stops a hung program.
PROGRAM_TIMEOUT = 300

#: ArbiterService.Send calls in flight at once, from every client alike (Python,
#: Go, Node.js): "many in flight", the load a service with many users puts on
#: the arbiter. Each burst is exactly this many calls, because jsbench sends its
#: whole count at once.
ARBITER_SEND_BURST = 1000


class ProgramFailed(RuntimeError):
    """A client program exited with an error or printed no JSON."""


class ClientSizes:
    """Counts of one repetition, the same for Go and Node.js (and Python's)."""

    def __init__(self, rtt_count: int, ask_count: int, tell_count: int):
        self.rtt_count = rtt_count
        self.ask_count = ask_count
        self.tell_count = tell_count


def go_command(programs: PolyglotPrograms, address: str, actor: str, sizes: ClientSizes,
               cacert: str | None) -> list[str]:
    command = [programs.gobench, "-address", address, "-actor", actor, "-repetitions", "1",
               "-rtt-count", str(sizes.rtt_count), "-ask-count", str(sizes.ask_count),
               "-tell-count", str(sizes.tell_count),
               "-arbiter-count", str(ARBITER_SEND_BURST),
               "-arbiter-in-flight", str(ARBITER_SEND_BURST)]
    if cacert:
        command += ["-cacert", cacert]
    return command


def js_command(programs: PolyglotPrograms, address: str, actor: str, sizes: ClientSizes,
               cacert: str | None) -> list[str]:
    command = [programs.node, os.path.join(JS_DIR, "bench", "jsbench.js"),
               "--address", address, "--actor", actor, "--repetitions", "1",
               "--rtt-count", str(sizes.rtt_count), "--ask-count", str(sizes.ask_count),
               "--tell-count", str(sizes.tell_count),
               "--arbiter-count", str(ARBITER_SEND_BURST)]
    if cacert:
        command += ["--cacert", cacert]
    return command


async def run_once(command: list[str], env: dict, cwd: str,
                   timeout: float = PROGRAM_TIMEOUT) -> dict:
    """Run ``command``; the JSON object on the last line of its stdout."""
    process = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        # Its own process group: on a timeout (or if the benchmark is interrupted)
        # it is killed with anything it started.
        start_new_session=True)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except BaseException:
        _kill_group(process.pid)
        await process.wait()
        raise
    if process.returncode != 0:
        raise ProgramFailed(f"{os.path.basename(command[0])} exited with "
                            f"{process.returncode}: {stderr.decode(errors='replace')[-2000:]}")
    lines = stdout.decode().strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        raise ProgramFailed(f"{os.path.basename(command[0])} printed no JSON object: "
                            f"{stdout.decode(errors='replace')[-500:]!r}") from None


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
