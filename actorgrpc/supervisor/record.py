"""The arbiter's view of each actor it started (pulsar's ActorRecord), and how
actors are started: in a new OS process, or in a thread of the arbiter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from actorgrpc.compat import PulsarRecordNames
from actorgrpc.contract.consts import (ACTOR_ACTION_TIMEOUT, ACTOR_STATES, KIND_THREAD,
                     OWN_PROCESS_KINDS)
from actorgrpc.contract.errors import SpawnError, status_of
from actorgrpc.contract.proxy import ActorProxy

logger = logging.getLogger("actorgrpc.supervisor.record")

#: Lines of an actor's output kept in its crash report.
STDERR_TAIL_LINES = 20


@dataclass
class Load:
    """An actor's load, from its last heartbeat."""

    memory_rss_bytes: int = 0
    cpu_percent: float = 0.0
    mailbox_depth: int = 0
    processed: int = 0
    processed_by_action: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StopOrder:
    """An order sent down an actor's heartbeat stream."""

    reason: str
    timeout: float


def new_secret() -> str:
    """A one-time secret for an actor's hello (192 bits)."""
    return secrets.token_urlsafe(24)


class ActorRecord(PulsarRecordNames):
    """What the arbiter knows about one actor, and the handle to control it
    (pulsar's ActorRecord)."""

    def __init__(self, *, aid, spec, monitor, log_path=None, restarts=0):
        self.aid = aid
        self.spec = spec
        self.name = spec.name or aid
        self.kind = spec.kind
        self.monitor = monitor
        self.state = ACTOR_STATES.INITIAL
        self.address = ""
        self.pid = 0
        self.process: asyncio.subprocess.Process | None = None
        self.thread_actor = None
        self.log_path = log_path
        self.restarts = restarts
        self.created_at = time.time()
        self.started_at = 0.0
        self.exited_at = 0.0
        self.exit_code: int | None = None
        self.last_beat = time.monotonic()
        self.load = Load()
        #: The one-time secret its hello must carry (process actors only); None once
        #: used: a second hello for the same aid is refused.
        self.secret: str | None = new_secret() if self.kind in OWN_PROCESS_KINDS else None
        #: Set when an operator (or the arbiter) asked it to stop: not a crash.
        self.stop_requested = False
        self.failure: str = ""
        self.running: asyncio.Future = asyncio.get_running_loop().create_future()
        self.exited = asyncio.Event()
        self.orders: asyncio.Queue = asyncio.Queue()
        self.stream_attached = False
        self._stop_task: asyncio.Task | None = None
        #: Seconds of each step of stop → terminate → kill (ACTOR_ACTION_TIMEOUT).
        self.action_timeout = ACTOR_ACTION_TIMEOUT
        #: Seconds waited before this incarnation was started (restart backoff).
        self.backoff = 0.0
        #: Why its supervisor gave up restarting it, if it did.
        self.gave_up = ""
        #: ``publish(event_type, detail)``: set by the arbiter to its EventBus.
        self.publish = lambda event_type, detail="": None

    # -- pulsar's surface ----------------------------------------------------------

    @property
    def proxy(self) -> ActorProxy:
        return ActorProxy(self.aid, self.name, self.address, self.state)

    def is_alive(self) -> bool:
        return self.state < ACTOR_STATES.CLOSE and self.exit_code is None

    def launched(self, pid: int) -> None:
        """Its process (or thread) exists. A warm standby may already have said
        hello, even that it runs, before the launcher hears back: never go back."""
        self.pid = pid
        self.state = max(self.state, ACTOR_STATES.INACTIVE)

    # -- events from the actor -----------------------------------------------------

    def accepts_hello(self, secret: str) -> bool:
        """True when a hello with ``secret`` is this actor's own: it has a secret not
        yet used and no stream attached. Compared in constant time."""
        expected = self.secret
        return (expected is not None and not self.stream_attached
                and secrets.compare_digest(secret.encode(), expected.encode()))

    def on_hello(self, address: str, pid: int) -> None:
        """Its authenticated hello: the only way its address is ever set."""
        self.secret = None
        self.address = address
        self.pid = self.pid or pid
        self.stream_attached = True
        self.last_beat = time.monotonic()
        if self.state < ACTOR_STATES.STARTING:
            self.state = ACTOR_STATES.STARTING

    def on_beat(self, state: int | None, load: Load | None = None) -> None:
        self.last_beat = time.monotonic()
        if load is not None:
            self.load = load
        # States only move forward here; CLOSE and TERMINATE come from its exit.
        if state is not None and state < ACTOR_STATES.CLOSE:
            self.state = max(self.state, state)
        if self.state == ACTOR_STATES.RUN and not self.running.done():
            self.started_at = time.time()
            self.running.set_result(self.proxy)

    def on_failure(self, message: str, remote_type: str = "") -> None:
        self.failure = message
        if not self.running.done():
            self.running.set_exception(SpawnError(
                f"actor {self.name!r} failed to start: {message}", remote_type=remote_type))

    def on_stream_closed(self) -> None:
        self.stream_attached = False

    def on_exit(self, code: int) -> None:
        """The actor's process (or thread) is gone: code, or minus the signal number."""
        if self.exit_code is not None:
            return
        self.exit_code = code
        # The record is kept for its crash report: drop what only a live actor needs.
        self.thread_actor = None
        self.process = None
        self.exited_at = time.time()
        self.state = ACTOR_STATES.CLOSE if code == 0 else ACTOR_STATES.TERMINATE
        if not self.running.done():
            detail = self.failure or describe_exit(code)
            tail = "\n".join(self.output_tail())
            self.running.set_exception(SpawnError(
                f"actor {self.name!r} exited before it was running ({detail})"
                + (f"; last output:\n{tail}" if tail else "")))
        self.exited.set()

    # -- control -------------------------------------------------------------------

    async def stop(self, reason: str = "stop requested", timeout: float | None = None,
                   requested: bool = True) -> int:
        """Stop gracefully, then terminate, then kill; return the exit code.

        ``requested=False`` is for the supervisor's own stops of a faulty actor
        (hung): its exit then counts as a crash and its restart policy applies.
        """
        if timeout is None:
            timeout = self.action_timeout
        if requested:
            self.stop_requested = True
        if self._stop_task is None:
            from actorgrpc.supervisor.events import STOPPING

            self.publish(STOPPING, reason)
            self._stop_task = asyncio.ensure_future(self._escalate(reason, timeout))
        await asyncio.shield(self._stop_task)
        return self.exit_code

    async def _escalate(self, reason: str, timeout: float) -> None:
        if self.exit_code is not None:
            return
        if self.state < ACTOR_STATES.STOPPING:
            self.state = ACTOR_STATES.STOPPING
        if self.kind == KIND_THREAD:
            await self._stop_thread(timeout)
            return
        if self.stream_attached:
            self.orders.put_nowait(StopOrder(reason, timeout))
            if await self.join(timeout):
                return
            logger.warning("%s(%s) ignored the stop order; terminating", self.name, self.aid,
                           extra={"actor": self})
        for sig in (signal.SIGTERM, signal.SIGKILL):
            self.send_signal(sig)
            if await self.join(timeout):
                return
        logger.error("%s(%s) survived SIGKILL", self.name, self.aid, extra={"actor": self})

    async def _stop_thread(self, timeout: float) -> None:
        actor = self.thread_actor
        if actor is None:
            self.on_exit(0)
            return
        try:
            await asyncio.wait_for(actor.stop(), timeout)
        except Exception:
            logger.error("%s(%s): thread actor did not stop in %s s", self.name, self.aid,
                         timeout, extra={"actor": self})
        await self.join(timeout)

    def send_signal(self, sig) -> None:
        process = self.process
        try:
            if process is not None:
                if process.returncode is None:
                    process.send_signal(sig)
            elif self.kind in OWN_PROCESS_KINDS and self.pid and self.exit_code is None:
                # Forked by the fork server: not our child, but ours to signal until
                # the fork server reports its exit.
                os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """Terminate the life of the actor now (SIGKILL)."""
        self.stop_requested = True
        self.send_signal(signal.SIGKILL)

    async def join(self, timeout: float | None = None) -> bool:
        """Wait until the actor has exited; False if ``timeout`` passed first."""
        try:
            await asyncio.wait_for(self.exited.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    # -- reporting -----------------------------------------------------------------

    def output_tail(self, lines: int = STDERR_TAIL_LINES) -> list[str]:
        """The last lines of its captured output."""
        if not self.log_path or not os.path.exists(self.log_path):
            return []
        with open(self.log_path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16384))
            text = handle.read().decode("utf-8", "replace")
        return list(deque(text.splitlines(), maxlen=lines))

    def summary_dict(self) -> dict:
        """Its summary as JSON (what Info and the dashboard show)."""
        from actorgrpc.supervisor.summaries import summary_json, summary_of

        return summary_json(summary_of(self))

    def __repr__(self) -> str:
        return f"ActorRecord({self.name}({self.aid}), state={self.state})"


def describe_exit(code: int | None) -> str:
    if code is None:
        return "running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class ProcessLauncher:
    """Starts process actors: a fresh interpreter running ``actorgrpc.actor.process``.

    The arbiter runs gRPC, and gRPC does not survive ``fork()``, so actors are
    started with fork+exec.
    """

    def __init__(self, arbiter):
        self.arbiter = arbiter

    def command(self) -> list[str]:
        return [sys.executable, "-m", "actorgrpc.actor.process"]

    async def start(self, record: ActorRecord) -> None:
        payload = spawn_payload(self.arbiter, record)
        # The specification holds secrets: handed over on an unlinked file that only
        # the child inherits (a pipe would block on a large `extra`).
        with tempfile.TemporaryFile() as spec_file:
            spec_file.write(json.dumps(payload).encode())
            spec_file.seek(0)
            env = dict(os.environ, ACTORGRPC_SPEC_FD=str(spec_file.fileno()))
            # Children find modules the way the arbiter did (its script's folder, cwd).
            with open(record.log_path, "ab") as log:
                record.process = await asyncio.create_subprocess_exec(
                    *self.command(), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, env=env, close_fds=True,
                    pass_fds=(spec_file.fileno(),),
                    # A session (and process group) of its own: signals sent to the
                    # arbiter's group stay there.
                    start_new_session=True)
        record.launched(record.process.pid)
        asyncio.ensure_future(self._watch(record))

    async def _watch(self, record: ActorRecord) -> None:
        code = await record.process.wait()
        record.on_exit(code)
        self.arbiter.on_actor_exit(record)


def spawn_payload(arbiter, record: ActorRecord | None) -> dict:
    """What an actor process needs to know to boot (sent as JSON, never pickled).

    Without a record: only the settings every actor shares (for standby processes).
    """
    payload = {
        "arbiter_address": arbiter.address, "host": arbiter.actor_host,
        "modules": list(arbiter.hooks.modules),
        "max_message_bytes": arbiter.max_message_bytes,
        "parent_pid": os.getpid(), "sys_path": [p for p in sys.path if p],
        "log_level": arbiter.log_level, "log_format": arbiter.log_format,
        **arbiter.security.to_spec(),
    }
    if record is not None:
        spec = record.spec
        payload.update({
            "aid": record.aid, "name": record.name, "secret": record.secret,
            "monitor": record.monitor.aid if record.monitor else "arbiter",
            "start": spec.start, "stopping": spec.stopping,
            "periodic_task": spec.periodic_task,
            "periodic_interval": spec.periodic_interval, "timeout": spec.timeout,
            "extra": spec.extra,
        })
    return payload


class ForkServerLauncher:
    """Starts process actors by forking them from the fork server (milliseconds)."""

    def __init__(self, arbiter, fork_server, standby: int = 0):
        self.arbiter = arbiter
        self.fork_server = fork_server
        self.by_pid: dict[int, ActorRecord] = {}
        fork_server.on_exit = self._on_exit
        if standby:
            common = spawn_payload(arbiter, None)
            common["parent_pid"] = fork_server.pid
            fork_server.configure(common, standby)

    async def start(self, record: ActorRecord) -> None:
        payload = spawn_payload(self.arbiter, record)
        payload["parent_pid"] = self.fork_server.pid
        pid = self.fork_server.assign_standby(dict(payload, log_path=record.log_path))
        if pid is None:
            pid = await self.fork_server.spawn(record.aid, payload, record.log_path)
        self.by_pid[pid] = record
        record.launched(pid)

    def _on_exit(self, pid: int, code: int) -> None:
        record = self.by_pid.pop(pid, None)
        if record is not None:
            record.on_exit(code)
            self.arbiter.on_actor_exit(record)


class ThreadLauncher:
    """Starts thread actors: a thread of the arbiter with an event loop of its own."""

    def __init__(self, arbiter):
        self.arbiter = arbiter

    async def start(self, record: ActorRecord) -> None:
        from actorgrpc.actor.core import Actor

        arbiter = self.arbiter
        spec = record.spec
        hooks = arbiter.hooks
        resolve = (lambda h: hooks.resolve(h) if isinstance(h, str) else h)
        actor = Actor(aid=record.aid, name=record.name, kind=KIND_THREAD,
                      runtime=arbiter.runtime, hooks=hooks,
                      start=resolve(spec.start), stopping=resolve(spec.stopping),
                      periodic_task=resolve(spec.periodic_task),
                      periodic_interval=spec.periodic_interval, extra=spec.extra,
                      monitor=record.monitor.aid if record.monitor else "arbiter",
                      timeout=spec.timeout)
        actor.address = arbiter.address
        record.thread_actor = actor
        record.address = arbiter.address
        record.pid = os.getpid()
        host_loop = asyncio.get_running_loop()

        def report_running():
            record.on_beat(ACTOR_STATES.RUN)

        def report_failure(exc):
            _code, message, remote_type = status_of(exc)
            record.on_failure(message, remote_type)

        def report_exit(code):
            arbiter.mailbox_host.remove(actor)
            record.on_exit(code)
            arbiter.on_actor_exit(record)

        async def life():
            actor.bind_loop()
            try:
                await actor.boot()
            except BaseException as exc:
                host_loop.call_soon_threadsafe(report_failure, exc)
                return 1
            arbiter.mailbox_host.add(actor)
            host_loop.call_soon_threadsafe(report_running)
            await actor.wait_stopped()
            return actor.exit_code or 0

        def main():
            try:
                code = asyncio.run(life())
            except BaseException:
                logger.exception("thread actor %s crashed", record.name,
                                 extra={"actor": record})
                code = 1
            host_loop.call_soon_threadsafe(report_exit, code)

        thread = threading.Thread(target=main, name=f"actor-{record.name}", daemon=True)
        record.launched(os.getpid())
        thread.start()
