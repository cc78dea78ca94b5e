"""Entry point of an actor process: ``python -m actorgrpc.child`` (started by the arbiter).

The spawn specification arrives as JSON on an inherited file descriptor whose number
is in the ACTORGRPC_SPEC_FD environment variable (never pickled, never in the
environment or on the command line, where other processes could list it: it holds
the actor's one-time secret and the arbiter's internal credential). The process binds its mailbox, says hello to its monitor, runs the
``start`` hook, heartbeats, and exits when told to stop or when its monitor is gone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys

from .process_control import die_with_parent

SPEC_FD_VARIABLE = "ACTORGRPC_SPEC_FD"
#: Exit code of a process whose actor could not start.
EXIT_START_FAILED = 3
#: Exit code of a process whose monitor went away.
EXIT_MONITOR_LOST = 4


def _die_with_parent(parent_pid: int) -> None:
    """Be killed if the arbiter dies, even by SIGKILL (no orphans)."""
    die_with_parent()
    # The parent may have died before prctl took effect.
    if parent_pid and os.getppid() != parent_pid:
        os._exit(EXIT_MONITOR_LOST)


def main() -> None:
    spec = read_spec(int(os.environ.pop(SPEC_FD_VARIABLE)))
    _die_with_parent(spec.get("parent_pid", 0))
    # The arbiter coordinates shutdown: a terminal's Ctrl-C reaches the whole process
    # group, and the actor must not die before its monitor orders it to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for entry in reversed(spec.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    code = run_in_this_process(spec)
    # Skip interpreter teardown: gRPC's threads make it slow, and nothing is left to do.
    os._exit(code)


def read_spec(fd: int) -> dict:
    """The JSON specification on ``fd`` (read whole, then closed)."""
    with os.fdopen(fd, "rb") as handle:
        return json.loads(handle.read())


def run_in_this_process(spec: dict, standby_socket=None) -> int:
    """Run the actor described by ``spec`` in this process; return the exit code.

    With ``standby_socket``, ``spec`` holds only the settings common to every actor:
    the process prepares itself, then waits there for the actor it will be.
    """
    from .logs import configure_logging
    from .process_actor import run_actor_process, run_standby

    configure_logging(spec.get("log_level", "INFO"), spec.get("log_format", "text"))
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop is a dependency
        runner = asyncio.run
    if standby_socket is not None:
        code = runner(run_standby(spec, standby_socket))
    else:
        code = runner(run_actor_process(spec))
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    return code


if __name__ == "__main__":
    main()
