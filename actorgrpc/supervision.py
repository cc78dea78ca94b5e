"""The arbiter's view of each actor it started (pulsar's ActorProxyMonitor), and how
actors are started: in a new OS process, or in a thread of the arbiter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque

from .consts import ACTOR_ACTION_TIMEOUT, ACTOR_STATES, KIND_PROCESS, KIND_THREAD
from .errors import SpawnError
from .proxy import ActorProxy
from .v1 import actor_pb2, monitor_pb2
from .values import to_struct

logger = logging.getLogger("actorgrpc.supervision")

#: Lines of an actor's output kept in its crash report.
STDERR_TAIL_LINES = 20


class ActorProxyMonitor:
    """What the arbiter knows about one actor, and the handle to control it."""

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
        self.beat = monitor_pb2.Beat()
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

    @property
    def info(self) -> dict:
        return self.summary_dict()

    @property
    def notified(self) -> float:
        """Monotonic time of the last heartbeat."""
        return self.last_beat

    def is_alive(self) -> bool:
        return self.state < ACTOR_STATES.CLOSE and self.exit_code is None

    def launched(self, pid: int) -> None:
        """Its process (or thread) exists. A warm standby may already have said
        hello, even that it runs, before the launcher hears back: never go back."""
        self.pid = pid
        self.state = max(self.state, ACTOR_STATES.INACTIVE)

    # -- events from the actor -----------------------------------------------------

    def on_hello(self, hello) -> None:
        self.address = hello.address
        self.pid = self.pid or hello.pid
        self.stream_attached = True
        self.last_beat = time.monotonic()
        if self.state < ACTOR_STATES.STARTING:
            self.state = ACTOR_STATES.STARTING
        if hello.HasField("beat"):
            self.on_beat(hello.beat)

    def on_beat(self, beat) -> None:
        self.last_beat = time.monotonic()
        self.beat = beat
        if beat.state:
            self.state = max(self.state, int(beat.state)) if beat.state < ACTOR_STATES.CLOSE \
                else self.state
        if self.state == ACTOR_STATES.RUN and not self.running.done():
            self.started_at = time.time()
            self.running.set_result(self.proxy)

    def on_failure(self, failure) -> None:
        self.failure = failure.message
        if not self.running.done():
            self.running.set_exception(SpawnError(
                f"actor {self.name!r} failed to start: {failure.message}",
                remote_type=failure.type))

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
            tail = self.stderr_tail()
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
            from .events import STOPPING

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
            self.orders.put_nowait(monitor_pb2.HeartbeatResponse(
                stop=monitor_pb2.StopOrder(reason=reason, timeout_seconds=timeout)))
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
            elif self.kind == KIND_PROCESS and self.pid and self.exit_code is None:
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

    def stderr_tail(self, lines: int = STDERR_TAIL_LINES) -> str:
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 16384))
            text = handle.read().decode("utf-8", "replace")
        return "\n".join(deque(text.splitlines(), maxlen=lines))

    def summary(self) -> actor_pb2.ActorSummary:
        now = time.time()
        running = self.state == ACTOR_STATES.RUN
        summary = actor_pb2.ActorSummary(
            actor=self.proxy.to_ref(), kind=self.kind, pid=self.pid,
            monitor=self.monitor.name if self.monitor else "",
            uptime_seconds=round(now - self.started_at, 3) if running and self.started_at else 0.0,
            restarts=self.restarts,
            heartbeat_age_seconds=round(time.monotonic() - self.last_beat, 3)
            if self.kind == KIND_PROCESS and self.is_alive() else 0.0,
            memory_rss_bytes=self.beat.memory_rss_bytes, cpu_percent=self.beat.cpu_percent,
            exit_code=self.exit_code or 0)
        details = {"created_at": self.created_at, "mailbox_depth": self.beat.mailbox_depth,
                   "processed": self.beat.processed, "log_path": self.log_path or "",
                   "restart": self.spec.restart, "backoff_seconds": round(self.backoff, 3)}
        if self.gave_up:
            details["gave_up"] = self.gave_up
        if self.exit_code is not None:
            details.update(exited_at=self.exited_at, exit=describe_exit(self.exit_code),
                           stop_requested=self.stop_requested, failure=self.failure,
                           stderr_tail=self.stderr_tail())
        summary.details.CopyFrom(to_struct(details))
        return summary

    def summary_dict(self) -> dict:
        from .values import from_struct

        s = self.summary()
        return {"aid": self.aid, "name": self.name, "kind": self.kind, "pid": self.pid,
                "state": self.state, "address": self.address, "restarts": self.restarts,
                "uptime": s.uptime_seconds, "heartbeat_age": s.heartbeat_age_seconds,
                "memory_rss": s.memory_rss_bytes, "cpu_percent": s.cpu_percent,
                "exit_code": self.exit_code, "details": from_struct(s.details)}

    def __repr__(self) -> str:
        return f"ActorProxyMonitor({self.name}({self.aid}), state={self.state})"


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
    """Starts process actors: a fresh interpreter running ``actorgrpc.child``.

    The arbiter runs gRPC, and gRPC does not survive ``fork()``, so actors are
    started with fork+exec.
    """

    def __init__(self, arbiter):
        self.arbiter = arbiter

    def command(self) -> list[str]:
        return [sys.executable, "-m", "actorgrpc.child"]

    async def start(self, record: ActorProxyMonitor) -> None:
        payload = spawn_payload(self.arbiter, record)
        env = dict(os.environ)
        env["ACTORGRPC_SPEC"] = json.dumps(payload)
        # Children find modules the way the arbiter did (its script's folder, cwd).
        with open(record.log_path, "ab") as log:
            record.process = await asyncio.create_subprocess_exec(
                *self.command(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=env, close_fds=True,
                # A session (and process group) of its own: signals sent to the
                # arbiter's group stay there.
                start_new_session=True)
        record.launched(record.process.pid)
        asyncio.ensure_future(self._watch(record))

    async def _watch(self, record: ActorProxyMonitor) -> None:
        code = await record.process.wait()
        record.on_exit(code)
        self.arbiter.on_actor_exit(record)


def spawn_payload(arbiter, record: ActorProxyMonitor | None) -> dict:
    """What an actor process needs to know to boot (sent as JSON, never pickled).

    Without a record: only the settings every actor shares (for standby processes).
    """
    payload = {
        "arbiter_address": arbiter.address, "host": arbiter.actor_host,
        "modules": list(arbiter.hooks.modules),
        "max_message_bytes": arbiter.max_message_bytes,
        "parent_pid": os.getpid(), "sys_path": [p for p in sys.path if p],
        "log_level": arbiter.log_level, "log_format": arbiter.log_format,
    }
    if record is not None:
        spec = record.spec
        payload.update({
            "aid": record.aid, "name": record.name,
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
        self.by_pid: dict[int, ActorProxyMonitor] = {}
        fork_server.on_exit = self._on_exit
        if standby:
            common = spawn_payload(arbiter, None)
            common["parent_pid"] = fork_server.pid
            fork_server.configure(common, standby)

    async def start(self, record: ActorProxyMonitor) -> None:
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

    async def start(self, record: ActorProxyMonitor) -> None:
        from .actor import Actor

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
            record.on_beat(monitor_pb2.Beat(state=ACTOR_STATES.RUN))

        def report_failure(exc):
            from .status import fill_failure

            failure = actor_pb2.Failure()
            fill_failure(failure, exc)
            record.on_failure(failure)

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
