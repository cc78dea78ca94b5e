"""What the arbiter knows about one actor (pulsar's ActorProxyMonitor), as plain values.

A record is told what happens (hello, beats, failure, exit) and holds the state;
its handle (actorgrpc.supervisor.handles) is how the actor is signalled; its crash
report is what is kept once it exited. Protobuf is built elsewhere (summaries).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from actorgrpc.compat import PulsarRecordNames
from actorgrpc.contract.consts import ACTOR_ACTION_TIMEOUT, ACTOR_STATES, OWN_PROCESS_KINDS
from actorgrpc.contract.errors import SpawnError
from actorgrpc.contract.proxy import ActorProxy

if TYPE_CHECKING:
    from actorgrpc.contract.spawn_spec import SpawnSpec
    from actorgrpc.supervisor.handles import ProcessHandle
    from actorgrpc.supervisor.monitor import Monitor

__all__ = ["ActorRecord", "Load", "StopOrder", "CrashReport", "describe_exit", "new_secret"]

#: Lines of an actor's output kept in its crash report.
OUTPUT_TAIL_LINES = 20
#: Bytes read from the end of its log for them.
OUTPUT_TAIL_BYTES = 16384


@dataclass
class Load:
    """An actor's load, from its last heartbeat."""

    memory_rss_bytes: int = 0
    cpu_percent: float = 0.0
    mailbox_depth: int = 0
    processed: int = 0
    processed_by_action: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StopOrder:
    """An order sent down an actor's heartbeat stream."""

    reason: str
    timeout: float


@dataclass(frozen=True)
class CrashReport:
    """How an incarnation ended."""

    exit_code: int
    exit_description: str
    exited_at: float
    stop_requested: bool
    failure: str
    output_tail: list[str]


def new_secret() -> str:
    """A one-time secret for an actor's hello (192 bits)."""
    return secrets.token_urlsafe(24)


def describe_exit(code: int | None) -> str:
    if code is None:
        return "running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


#: ``publish(event_type, record, detail)``: how a record reports its events.
Publish = Callable[[int, "ActorRecord", str], None]


class ActorRecord(PulsarRecordNames):
    """One incarnation of an actor, as its supervisor sees it."""

    def __init__(self, *, aid: str, spec: SpawnSpec, monitor: Monitor | None = None,
                 log_path: str | None = None, restarts: int = 0,
                 publish: Publish | None = None,
                 action_timeout: float = ACTOR_ACTION_TIMEOUT) -> None:
        self.aid = aid
        self.spec = spec
        self.name = spec.name or aid
        self.kind = spec.kind
        #: The Monitor that supervises it; None for the arbiter's own children.
        self.monitor = monitor
        self.state = ACTOR_STATES.INITIAL
        self.address = ""
        self.pid = 0
        #: How it is signalled (a ProcessHandle); None until launched.
        self.handle: ProcessHandle | None = None
        self.log_path = log_path
        self.restarts = restarts
        self.created_at = time.time()
        self.started_at = 0.0
        self.exited_at = 0.0
        self.exit_code: int | None = None
        self.last_beat = time.monotonic()
        self.load = Load()
        #: Set when an operator (or the arbiter) asked it to stop: not a crash.
        self.stop_requested = False
        self.failure = ""
        #: Seconds waited before this incarnation was started (restart backoff).
        self.backoff = 0.0
        #: Why its supervisor gave up restarting it, if it did.
        self.gave_up = ""
        #: Seconds of each step of stop → terminate → kill.
        self.action_timeout = action_timeout
        #: The one-time secret its hello must carry (actors with a process of their
        #: own); None once used: a second hello for the same aid is refused.
        self.secret: str | None = new_secret() if self.kind in OWN_PROCESS_KINDS else None
        self.stream_attached = False
        self.running: asyncio.Future[ActorProxy] = asyncio.get_running_loop().create_future()
        self.exited = asyncio.Event()
        self.orders: asyncio.Queue[StopOrder] = asyncio.Queue()
        self._publish = publish
        self._stop_task: asyncio.Task[None] | None = None

    # -- identity ------------------------------------------------------------------

    @property
    def proxy(self) -> ActorProxy:
        return ActorProxy(self.aid, self.name, self.address, self.state)

    def is_alive(self) -> bool:
        return self.state < ACTOR_STATES.CLOSE and self.exit_code is None

    def publish(self, event_type: int, detail: str = "") -> None:
        if self._publish is not None:
            self._publish(event_type, self, detail)

    # -- what happens to it ----------------------------------------------------------

    def launched(self, pid: int, handle: ProcessHandle) -> None:
        """Its process (or thread) exists. A warm standby may already have said
        hello, even that it runs, before the launcher hears back: never go back."""
        self.pid = pid
        self.handle = handle
        self.state = max(self.state, ACTOR_STATES.INACTIVE)

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
        """Its heartbeat stream ended: an actor with a process of its own is gone or
        broken either way; what is left of it is stopped (see the arbiter)."""
        self.stream_attached = False

    def on_exit(self, code: int) -> None:
        """Its process (or thread) is gone: code, or minus the signal number."""
        if self.exit_code is not None:
            return
        self.exit_code = code
        if self.handle is not None:
            self.handle.close()
        self.exited_at = time.time()
        self.state = ACTOR_STATES.CLOSE if code == 0 else ACTOR_STATES.TERMINATE
        if not self.running.done():
            detail = self.failure or describe_exit(code)
            tail = "\n".join(self.output_tail())
            self.running.set_exception(SpawnError(
                f"actor {self.name!r} exited before it was running ({detail})"
                + (f"; last output:\n{tail}" if tail else "")))
        self.exited.set()

    # -- control ---------------------------------------------------------------------

    def order_stop(self, reason: str, timeout: float) -> None:
        """Send a stop order down its heartbeat stream."""
        self.orders.put_nowait(StopOrder(reason, timeout))

    async def stop(self, reason: str = "stop requested", timeout: float | None = None,
                   requested: bool = True) -> int | None:
        """Stop gracefully, then terminate, then kill; return the exit code.

        ``requested=False`` is for the supervisor's own stops of a faulty actor
        (hung): its exit then counts as a crash and its restart policy applies.
        """
        from actorgrpc.supervisor.events import STOPPING

        if requested:
            self.stop_requested = True
        if self._stop_task is None:
            if self.exit_code is None and self.state < ACTOR_STATES.STOPPING:
                self.state = ACTOR_STATES.STOPPING
            self.publish(STOPPING, reason)
            self._stop_task = asyncio.ensure_future(self._stop(reason, timeout))
        await asyncio.shield(self._stop_task)
        return self.exit_code

    async def _stop(self, reason: str, timeout: float | None) -> None:
        from actorgrpc.supervisor.handles import escalate

        if self.exit_code is None:
            await escalate(self, reason, self.action_timeout if timeout is None else timeout)

    def kill(self) -> None:
        """End the actor now (SIGKILL); not a crash."""
        self.stop_requested = True
        if self.handle is not None:
            self.handle.send_signal(signal.SIGKILL)

    async def join(self, timeout: float | None = None) -> bool:
        """Wait until the actor has exited; False if ``timeout`` passed first."""
        try:
            async with asyncio.timeout(timeout):
                await self.exited.wait()
            return True
        except TimeoutError:
            return False

    # -- reporting -------------------------------------------------------------------

    def output_tail(self, lines: int = OUTPUT_TAIL_LINES) -> list[str]:
        """The last lines of its captured output."""
        if not self.log_path or not os.path.exists(self.log_path):
            return []
        with open(self.log_path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - OUTPUT_TAIL_BYTES))
            text = handle.read().decode("utf-8", "replace")
        return list(deque(text.splitlines(), maxlen=lines))

    def crash_report(self) -> CrashReport | None:
        """How it ended; None while it runs."""
        if self.exit_code is None:
            return None
        return CrashReport(exit_code=self.exit_code,
                           exit_description=describe_exit(self.exit_code),
                           exited_at=self.exited_at, stop_requested=self.stop_requested,
                           failure=self.failure, output_tail=self.output_tail())

    def summary_dict(self) -> dict[str, Any]:
        """Its summary as JSON (what Info and the dashboard show)."""
        from actorgrpc.supervisor.summaries import summary_json, summary_of

        return summary_json(summary_of(self))

    def __repr__(self) -> str:
        return f"ActorRecord({self.name}({self.aid}), state={self.state})"
