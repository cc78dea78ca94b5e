"""Starts process actors as fresh interpreters (``python -m actorgrpc.actor.process``).

Slower than the fork server (~0.1 s to import grpc); used when there is none
(``ACTORGRPC_FORK_SERVER=0``, for debugging and for tests of this path).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from typing import TYPE_CHECKING

from actorgrpc.supervisor.handles import SubprocessHandle
from actorgrpc.supervisor.launchers.payload import encode_payload, spawn_payload

if TYPE_CHECKING:
    from actorgrpc.supervisor.protocols import LaunchRecord

__all__ = ["ProcessLauncher"]


class ProcessLauncher:
    """Starts each actor with fork+exec and reports its exit."""

    def __init__(self, arbiter):
        self.arbiter = arbiter

    def command(self) -> list[str]:
        return [sys.executable, "-m", "actorgrpc.actor.process"]

    async def start(self, record: LaunchRecord) -> None:
        data = encode_payload(spawn_payload(self.arbiter, record))
        # The specification holds secrets: handed over on an unlinked file that only
        # the child inherits (a pipe would block on a large `extra`).
        with tempfile.TemporaryFile() as spec_file:
            spec_file.write(data)
            spec_file.seek(0)
            env = dict(os.environ, ACTORGRPC_SPEC_FD=str(spec_file.fileno()))
            # Children find modules the way the arbiter did (its script's folder, cwd).
            # A local file opened for appending: microseconds, cheaper than a thread hop.
            with open(record.log_path, "ab") as log:  # noqa: ASYNC230
                process = await asyncio.create_subprocess_exec(
                    *self.command(), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, env=env, close_fds=True,
                    pass_fds=(spec_file.fileno(),),
                    # A session (and process group) of its own: signals sent to the
                    # arbiter's group stay there.
                    start_new_session=True)
        record.launched(process.pid, SubprocessHandle(process))
        self.arbiter.keep_task(asyncio.ensure_future(watch_exit(self.arbiter, record, process)),
                               f"watch {record.name}")

    async def close(self) -> None:
        """Nothing of its own to stop: each actor is stopped through its record."""


async def watch_exit(arbiter, record, process: asyncio.subprocess.Process) -> None:
    """Report the exit of an actor the arbiter started itself."""
    code = await process.wait()
    record.on_exit(code)
    arbiter.endings.on_actor_exit(record)
