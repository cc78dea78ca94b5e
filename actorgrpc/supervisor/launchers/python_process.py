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
from collections.abc import Collection, Mapping
from typing import IO, TYPE_CHECKING, Any, TypedDict, Unpack, cast

from actorgrpc.supervisor.handles import SubprocessHandle
from actorgrpc.supervisor.launchers.payload import encode_payload, output_path, spawn_payload

if TYPE_CHECKING:
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.protocols import LaunchRecord
    from actorgrpc.supervisor.record import ActorRecord

__all__ = ["ProcessLauncher"]


class ProcessLauncher:
    """Starts each actor with fork+exec and reports its exit."""

    def __init__(self, arbiter: Arbiter) -> None:
        self.arbiter = arbiter
        self.exits = ExitWatchers()

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
            with open(output_path(record), "ab") as log:  # noqa: ASYNC230
                process, exited = await start_child(
                    *self.command(), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, env=env, close_fds=True,
                    pass_fds=(spec_file.fileno(),),
                    # A session (and process group) of its own: signals sent to the
                    # arbiter's group stay there.
                    start_new_session=True)
        record.launched(process.pid, SubprocessHandle(process))
        self.exits.watch(self.arbiter, record, exited)

    async def close(self) -> None:
        """Each actor is stopped through its record; then its exit watchers end."""
        await self.exits.close()


class _ExitWatch(asyncio.subprocess.SubprocessStreamProtocol):
    """The stream protocol of a child, plus a future of its exit code, set as soon as
    it is reaped. ``Process.wait()`` returns only once every pipe is closed as well,
    and an EXEC actor's stdin stays open in the arbiter until then: at shutdown the
    arbiter waited for an actor that was long gone, then "survived SIGKILL"."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        super().__init__(limit=2 ** 16, loop=loop)
        self.exited: asyncio.Future[int] = loop.create_future()
        self.child: asyncio.SubprocessTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        # A subprocess protocol is given a SubprocessTransport (the signature is the one
        # every protocol shares).
        self.child = cast(asyncio.SubprocessTransport, transport)

    def process_exited(self) -> None:
        super().process_exited()
        code = self.child.get_returncode() if self.child is not None else None
        if not self.exited.done() and code is not None:
            self.exited.set_result(code)


class ChildOptions(TypedDict, total=False):
    """What the launchers pass on to ``loop.subprocess_exec`` (``subprocess.Popen``)."""

    stdin: int | IO[Any] | None
    stdout: int | IO[Any] | None
    stderr: int | IO[Any] | None
    env: Mapping[str, str]
    cwd: str | None
    close_fds: bool
    pass_fds: Collection[int]
    start_new_session: bool


async def start_child(*command: str, **options: Unpack[ChildOptions]) -> tuple[
        asyncio.subprocess.Process, asyncio.Future[int]]:
    """``asyncio.create_subprocess_exec`` and a future of the child's exit code."""
    loop = asyncio.get_running_loop()
    watch = _ExitWatch(loop)
    transport, _ = await loop.subprocess_exec(lambda: watch, *command, **options)
    return asyncio.subprocess.Process(transport, watch, loop), watch.exited


class ExitWatchers:
    """The tasks that report children's exits. The launcher's own, not the arbiter's
    kept tasks: the arbiter cancels those as it begins to stop, before it stops its
    actors, and then waited for exits that nothing reported ("survived SIGKILL")."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()

    def watch(self, arbiter: Arbiter, record: LaunchRecord,
              exited: asyncio.Future[int]) -> None:
        task = asyncio.ensure_future(watch_exit(arbiter, record, exited))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def close(self) -> None:
        """After every actor was stopped: what is left watches nothing that matters."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def watch_exit(arbiter: Arbiter, record: LaunchRecord,
                     exited: asyncio.Future[int]) -> None:
    """Report the exit of an actor the arbiter started itself."""
    report_actor_exit(arbiter, record, await exited)


def report_actor_exit(arbiter: Arbiter, record: LaunchRecord, code: int) -> None:
    """Tell the record, then the arbiter, that its actor exited with ``code``."""
    record.on_exit(code)
    # Every record a launcher starts is the spawner's ActorRecord; LaunchRecord names
    # only what the launcher itself touches, less than the arbiter's endings need.
    arbiter.endings.on_actor_exit(cast("ActorRecord", record))
