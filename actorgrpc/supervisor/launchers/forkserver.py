"""The arbiter's side of its fork server (see forkserver_process for the other side).

``ForkServerLauncher`` starts process actors by handing a warm standby its
specification (one message), or by asking the fork server to fork. It learns of
exits from the fork server's reports; each actor is held by a pidfd, so signals
never reach a reused pid, and if the fork server dies (its actors die with it, by
their parent-death signal) the pidfds still say when each is gone: every record is
closed, and a new fork server is started.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from actorgrpc.contract.errors import ActorUnavailable
from actorgrpc.supervisor.handles import PidfdHandle
from actorgrpc.supervisor.launchers.payload import encode_payload, spawn_payload
from actorgrpc.supervisor.launchers.python_process import report_actor_exit

logger = logging.getLogger("actorgrpc.supervisor.forkserver")

if TYPE_CHECKING:
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.protocols import LaunchRecord

__all__ = ["ForkServer", "ForkServerLauncher"]

#: Seconds the fork server may take to exit once its commands socket closes.
CLOSE_TIMEOUT = 2.0
#: Most fds one report carries (a standby's socket and pidfd).
MAX_REPORT_FDS = 2


class ForkServer:
    """A running fork server process and the two sockets to it."""

    def __init__(self, process: asyncio.subprocess.Process, writer: asyncio.StreamWriter,
                 reports: socket.socket, on_exit: Callable[[int, int], None],
                 on_lost: Callable[[], None]):
        self.process = process
        self.pid = process.pid
        self.reports = reports
        #: The commands socket, as a stream.
        self.writer = writer
        self.on_exit = on_exit
        self.on_lost = on_lost
        #: Standby processes ready to be assigned: pid → (our end of its socket, pidfd).
        self.standbys: dict[int, tuple[socket.socket, int]] = {}
        #: Spawns waiting for their report: aid → future of (pid, pidfd).
        self.pending: dict[str, asyncio.Future[tuple[int, int]]] = {}
        self.alive = True

    @classmethod
    async def start(cls, on_exit: Callable[[int, int], None],
                    on_lost: Callable[[], None]) -> ForkServer:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        reports, their_reports = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "actorgrpc.supervisor.launchers.forkserver_process",
                str(theirs.fileno()), str(their_reports.fileno()), str(os.getpid()),
                stdin=asyncio.subprocess.DEVNULL,
                pass_fds=(theirs.fileno(), their_reports.fileno()))
        finally:
            theirs.close()
            their_reports.close()
        ours.setblocking(False)
        _reader, writer = await asyncio.open_connection(sock=ours)
        server = cls(process, writer, reports, on_exit, on_lost)
        server._watch_reports()
        return server

    def _watch_reports(self) -> None:
        self.reports.setblocking(False)
        asyncio.get_running_loop().add_reader(self.reports, self._receive)

    def _send(self, message: dict[str, Any], payload: bytes | None = None) -> None:
        if payload is None:
            self.writer.write(json.dumps(message).encode() + b"\n")
            return
        # The specification is already JSON: spliced in, not decoded and encoded again.
        head = json.dumps(message).encode()[:-1]
        self.writer.write(head + b', "spec": ' + payload + b"}\n")

    def configure(self, common: dict[str, Any], standby: int) -> None:
        """Tell the server the settings every actor shares; keep ``standby`` warm."""
        self._send({"op": "configure", "common": common, "standby": standby})

    def assign_standby(self, payload: bytes) -> tuple[int, int] | None:
        """Make a standby the actor of ``payload``: (its pid, its pidfd), or None when
        no standby is ready (the caller asks for a fork)."""
        line = payload + b"\n"
        while self.standbys:
            pid, (assign, pidfd) = self.standbys.popitem()
            try:
                # Into an empty socket buffer: sent at once, whole, up to its size.
                sent = assign.send(line)
            except OSError:
                sent = 0  # that standby died: try the next
            self._send({"op": "taken", "pid": pid})
            if sent == len(line):
                assign.close()
                return pid, pidfd
            if 0 < sent:
                # A large specification: the standby reads the rest as it comes.
                assign.setblocking(True)
                assign.sendall(line[sent:])
                assign.close()
                return pid, pidfd
            assign.close()
            os.close(pidfd)
        return None

    async def spawn(self, aid: str, payload: bytes) -> tuple[int, int]:
        """Fork an actor; (its pid, its pidfd)."""
        if not self.alive:
            raise ActorUnavailable("the fork server is not running; try again")
        future: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()
        self.pending[aid] = future
        self._send({"op": "spawn", "aid": aid}, payload)
        try:
            return await future
        finally:
            self.pending.pop(aid, None)

    def _receive(self) -> None:
        while True:
            try:
                data, fds, _flags, _address = socket.recv_fds(self.reports, 65536,
                                                              MAX_REPORT_FDS)
            except BlockingIOError:
                return
            except OSError:
                data, fds = b"", []
            if not data:
                self._lost()
                return
            self._handle(json.loads(data), fds)

    def _handle(self, message: dict[str, Any], fds: list[int]) -> None:
        op = message["op"]
        if op == "spawned":
            future = self.pending.get(message["aid"])
            if future is not None and not future.done():
                future.set_result((message["pid"], fds[0]))
            else:
                os.close(fds[0])
        elif op == "standby":
            assign = socket.socket(fileno=fds[0])
            assign.setblocking(False)
            self.standbys[message["pid"]] = (assign, fds[1])
        elif op == "error":
            future = self.pending.get(message["aid"])
            if future is not None and not future.done():
                future.set_exception(ActorUnavailable(
                    f"the fork server could not start the actor: {message['message']}"))
        elif op == "exited":
            standby = self.standbys.pop(message["pid"], None)
            if standby is not None:  # a standby that died before being used
                standby[0].close()
                os.close(standby[1])
            else:
                self.on_exit(message["pid"], message["code"])

    def _lost(self) -> None:
        """The reports ended: the fork server is gone (or we closed it)."""
        if not self.alive:
            return
        self.alive = False
        try:
            asyncio.get_running_loop().remove_reader(self.reports)
        except (RuntimeError, ValueError):
            pass
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ActorUnavailable(
                    "the fork server died while starting the actor; try again"))
        self._drop_standbys()
        self.on_lost()

    def _drop_standbys(self) -> None:
        for assign, pidfd in self.standbys.values():
            assign.close()  # a standby reads end of file and exits
            os.close(pidfd)
        self.standbys.clear()

    async def close(self) -> None:
        """Stop the server (it exits when its commands socket closes) and reap it."""
        self.alive = False
        self._drop_standbys()
        try:
            asyncio.get_running_loop().remove_reader(self.reports)
        except (RuntimeError, ValueError):
            pass
        self.writer.close()
        self.reports.close()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


class ForkServerLauncher:
    """Starts process actors from a fork server, and starts a new server if it dies."""

    def __init__(self, arbiter: Arbiter, standby: int = 0) -> None:
        self.arbiter = arbiter
        self.standby = standby
        self.server: ForkServer | None = None
        self.by_pid: dict[int, LaunchRecord] = {}
        #: Settled once the latest fork server is started (or failed to start).
        self._ready: asyncio.Future[None] | None = None
        self._closing = False
        #: Fork servers started so far (the first, then one per loss).
        self.started = 0

    async def open(self) -> None:
        """Start a fork server (again, after a loss) and configure its standbys."""
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        try:
            server = await ForkServer.start(self._on_exit, self._on_lost)
            common = spawn_payload(self.arbiter)
            common["parent_pid"] = server.pid
            server.configure(common, self.standby)
            self.server = server
            self.started += 1
            self._ready.set_result(None)
        except BaseException as exc:
            self._ready.set_exception(ActorUnavailable(f"no fork server: {exc}"))
            self._ready.exception()  # retrieved: a later spawn raises it
            raise

    async def start(self, record: LaunchRecord) -> None:
        payload = spawn_payload(self.arbiter, record)
        if self._ready is not None and not self._ready.done():
            await asyncio.shield(self._ready)  # a new fork server is starting
        server = self.server
        if server is None or not server.alive:
            raise ActorUnavailable("the fork server is not running; try again")
        payload["parent_pid"] = server.pid
        data = encode_payload(payload)
        assigned = server.assign_standby(data)
        pid, pidfd = assigned if assigned is not None else await server.spawn(record.aid, data)
        self.by_pid[pid] = record
        record.launched(pid, PidfdHandle(pid, pidfd))

    def _on_exit(self, pid: int, code: int) -> None:
        record = self.by_pid.pop(pid, None)
        if record is not None:
            report_actor_exit(self.arbiter, record, code)

    def _on_lost(self) -> None:
        if self._closing:
            return
        logger.error("the fork server died; its actors die with it; starting another")
        loop = asyncio.get_running_loop()
        for pid, record in list(self.by_pid.items()):
            # Every record here was launched with a PidfdHandle (see start).
            handle = cast("PidfdHandle | None", record.handle)
            if handle is None or handle.pidfd is None:
                continue
            # Each dies by its parent-death signal: its pidfd says when.
            loop.add_reader(handle.pidfd, self._orphan_gone, pid, handle.pidfd)
        dead = self.server
        self.arbiter.keep_task(asyncio.ensure_future(self._replace(dead)),
                               "start a new fork server")

    def _orphan_gone(self, pid: int, pidfd: int) -> None:
        asyncio.get_running_loop().remove_reader(pidfd)
        record = self.by_pid.pop(pid, None)
        if record is not None:
            record.failure = record.failure or "its fork server died (exit status unknown)"
            report_actor_exit(self.arbiter, record, -signal.SIGKILL)

    async def _replace(self, dead: ForkServer | None) -> None:
        if dead is not None:
            await dead.close()  # reaped: no zombie is left behind
        if not self._closing and not self.arbiter.after_run():
            await self.open()

    async def close(self) -> None:
        self._closing = True
        if self.server is not None:
            await self.server.close()
