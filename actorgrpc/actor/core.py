"""The Actor: identity, state, hooks, commands and messaging of one actor."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from actorgrpc.actor.context import get_actor, set_actor
from actorgrpc.actor.info_bounds import JsonValue, bounded_extra, bounded_message
from actorgrpc.actor.logs import MAX_LOGGED_MESSAGE, ErrorLogBudget, clipped
from actorgrpc.compat import PulsarActorNames
from actorgrpc.contract.consts import ACTOR_STATES, KIND_ARBITER, KIND_MONITOR, KIND_PROCESS
from actorgrpc.contract.errors import ActorError

if TYPE_CHECKING:
    from actorgrpc.actor.hooks import HookResolver
    from actorgrpc.actor.protocols import Hook, Runtime
    from actorgrpc.client.routing import Target
    from actorgrpc.contract.proxy import ActorProxy

__all__ = ["Actor"]

logger = logging.getLogger("actorgrpc.actor.core")

#: Seconds the ``stopping`` hook may run before the actor closes anyway.
STOPPING_HOOK_TIMEOUT = 5.0


class Actor(PulsarActorNames):
    """An actor: a unit of state that reacts to messages, in its own event loop.

    Instances live inside the process (or thread) that runs them; other actors
    hold an ``ActorProxy``. ``extra`` is free for user data and shows in ``info``.
    """

    def __init__(self, *, aid: str, name: str, kind: str, runtime: Runtime | None,
                 hooks: HookResolver, start: Hook | None = None,
                 stopping: Hook | None = None, periodic_task: Hook | None = None,
                 periodic_interval: float = 1.0, extra: Mapping[str, Any] | None = None,
                 monitor: str = "arbiter", timeout: float = 30.0) -> None:
        self.aid = aid
        self.name = name
        self.kind = kind
        #: How this actor reaches the world: router, spawner, host loop (see runtime.py).
        #: None only for an arbiter that has not started yet (it builds its own).
        self.runtime = runtime
        #: The HookResolver of the modules the operator allowed.
        self.hooks = hooks
        self.start_hook = start
        self.stopping_hook = stopping
        self.periodic_task_hook = periodic_task
        self.periodic_interval = periodic_interval
        self.extra: dict[str, Any] = dict(extra or {})
        self.monitor_name = monitor
        self.timeout = timeout
        self.state = ACTOR_STATES.INITIAL
        self.address = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread_id = 0
        self.created_at = time.time()
        self.started_at = 0.0
        self.processed = 0
        #: Commands started, by action name (reported in heartbeats).
        self.processed_by_action: dict[str, int] = {}
        self.mailbox_depth = 0
        #: (time, message) of the latest notifications.
        self.notifications: deque[tuple[float, JsonValue]] = deque(maxlen=20)
        self.exit_code: int | None = None
        self.next_periodic_task: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        #: Commands being run for callers; those still running when it stops fail
        #: with UNAVAILABLE.
        self.command_tasks: set[asyncio.Future[Any]] = set()
        #: Set once it has stopped (made again by bind_loop, in the loop it binds).
        self._stopped = asyncio.Event()
        self._error_budget = ErrorLogBudget()
        self._stopping_task: asyncio.Task[None] | None = None

    # -- pulsar's predicates -------------------------------------------------------

    @property
    def info_state(self) -> str:
        """Current state description: initial, running, stopping, closed, terminated."""
        return ACTOR_STATES.DESCRIPTION[self.state]

    @property
    def proxy(self) -> ActorProxy:
        from actorgrpc.contract.proxy import ActorProxy

        return ActorProxy(self.aid, self.name, self.address, self.state)

    def is_running(self) -> bool:
        """True when the state is RUN and the loop is running."""
        return self.state == ACTOR_STATES.RUN and bool(self.loop and self.loop.is_running())

    def started(self) -> bool:
        """True once the actor has reached RUN (it may have stopped since)."""
        return self.state >= ACTOR_STATES.RUN

    def after_run(self) -> bool:
        """True when the actor is stopping or has already stopped."""
        return self.state >= ACTOR_STATES.STOPPING

    def stopped(self) -> bool:
        """True if the actor has exited in a clean fashion (CLOSE)."""
        return self.state == ACTOR_STATES.CLOSE

    def closed(self) -> bool:
        """True when the actor has exited (CLOSE or TERMINATE)."""
        return self.state >= ACTOR_STATES.CLOSE

    def is_arbiter(self) -> bool:
        return self.kind == KIND_ARBITER

    def is_monitor(self) -> bool:
        return self.kind == KIND_MONITOR

    def is_process(self) -> bool:
        """True for an actor that has an OS process of its own."""
        return self.kind == KIND_PROCESS

    def foreign_loop(self) -> bool:
        """True when called from a thread other than the actor's own."""
        return self.thread_id != threading.get_ident()

    def __repr__(self) -> str:
        return f"{self.name}({self.aid})"

    __str__ = __repr__

    # -- messaging -------------------------------------------------------------

    async def send(self, target: Target, action: str, *args: Any,
                   _timeout: float | None = None, **kwargs: Any) -> Any:
        """Run ``action`` on ``target`` and return its result.

        ``target`` is an ActorProxy, an aid, a name, "arbiter" or "monitor". The
        deadline is ``_timeout`` seconds (default 5); remote errors are raised as
        ``ActorError`` subclasses.
        """
        if target == "monitor":
            target = self.monitor_name
        runtime = self.runtime
        if runtime is None:
            raise _not_started(self)
        router = runtime.router
        return await runtime.on_host(
            lambda: router.send(target, action, args, kwargs, timeout=_timeout))

    async def tell(self, target: Target, action: str, *args: Any, **kwargs: Any) -> None:
        """Deliver ``action`` to ``target`` without waiting for a result."""
        if target == "monitor":
            target = self.monitor_name
        runtime = self.runtime
        if runtime is None:
            raise _not_started(self)
        router = runtime.router
        await runtime.on_host(lambda: router.tell(target, action, args, kwargs))

    async def spawn(self, **params: Any) -> ActorProxy:
        """Spawn a new actor (through the arbiter); return its ActorProxy once running."""
        runtime = self.runtime
        if runtime is None:
            raise _not_started(self)
        return await runtime.on_host(lambda: runtime.spawn(**params))

    # -- life cycle --------------------------------------------------------------

    def bind_loop(self) -> None:
        """Attach the actor to the running loop and thread (its home from now on)."""
        self.loop = asyncio.get_running_loop()
        self.thread_id = threading.get_ident()
        self._stopped = asyncio.Event()
        set_actor(self, process_wide=self.kind in (KIND_PROCESS, KIND_ARBITER))

    async def boot(self) -> None:
        """STARTING → run the ``start`` hook → RUN; schedules the periodic task."""
        self.state = ACTOR_STATES.STARTING
        if self.start_hook is not None:
            await _call_hook(self.start_hook, self)
        self.state = ACTOR_STATES.RUN
        self.started_at = time.time()
        if self.periodic_task_hook is not None:
            self._schedule_periodic()

    def _schedule_periodic(self) -> None:
        self.next_periodic_task = self._bound_loop().call_later(
            self.periodic_interval, self._run_periodic)

    def _run_periodic(self) -> None:
        hook = self.periodic_task_hook
        if self.state != ACTOR_STATES.RUN or hook is None:
            return

        async def run() -> None:
            try:
                await _call_hook(hook, self)
            except Exception:
                logger.exception("%s: periodic_task failed", self)
            finally:
                if self.state == ACTOR_STATES.RUN:
                    self._schedule_periodic()

        self.keep_task(asyncio.ensure_future(run()), "periodic_task")

    async def stop(self, exc: BaseException | None = None,
                   exit_code: int | None = None) -> None:
        """Gracefully stop: STOPPING → ``stopping`` hook → CLOSE (or TERMINATE on error).

        Safe to call more than once; every call waits for the same stop.
        """
        if self.loop is None:
            self.state = ACTOR_STATES.CLOSE
            return
        if self.foreign_loop():
            future = asyncio.run_coroutine_threadsafe(self.stop(exc, exit_code), self.loop)
            return await asyncio.wrap_future(future)
        if self._stopping_task is None:
            self._stopping_task = asyncio.ensure_future(self._stop(exc, exit_code))
        await asyncio.shield(self._stopping_task)

    async def _stop(self, exc: BaseException | None, exit_code: int | None) -> None:
        if self.next_periodic_task is not None:
            self.next_periodic_task.cancel()
        if self.state < ACTOR_STATES.STOPPING:
            self.state = ACTOR_STATES.STOPPING
            if self.runtime is not None:  # an arbiter stopped before it started has none
                await self.runtime.on_state_change(self)
            if self.stopping_hook is not None:
                try:
                    async with asyncio.timeout(STOPPING_HOOK_TIMEOUT):
                        await _call_hook(self.stopping_hook, self)
                except Exception:
                    logger.exception("%s: stopping hook failed", self)
        if exc is not None and exit_code is None:
            exit_code = 1
        self.exit_code = exit_code or 0
        self.state = ACTOR_STATES.CLOSE if self.exit_code == 0 else ACTOR_STATES.TERMINATE
        for task in list(self._tasks) + list(self.command_tasks):
            task.cancel()
        self._stopped.set()

    def stop_soon(self, reason: str = "") -> None:
        """Stop after the current message has been answered."""
        if reason:
            logger.info("%s: stopping (%s)", self, reason)
        loop = self._bound_loop()
        loop.call_soon_threadsafe(lambda: self.keep_task(
            asyncio.ensure_future(self.stop()), "stop"))

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    def _bound_loop(self) -> asyncio.AbstractEventLoop:
        """The actor's event loop; RuntimeError before bind_loop."""
        if self.loop is None:
            raise _not_started(self)
        return self.loop

    # -- information -----------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """A nested dictionary: ``actor``, ``events``, ``extra`` and ``system``."""
        from actorgrpc.actor.system_info import system_info

        now = time.time()
        return {
            "actor": {
                "name": self.name,
                "aid": self.aid,
                "kind": self.kind,
                "state": self.state,
                "state_description": self.info_state,
                "address": self.address,
                "monitor": self.monitor_name,
                "uptime": round(now - self.started_at, 3) if self.started_at else 0.0,
                "process_id": os.getpid(),
                "thread_id": self.thread_id,
                "is_process": self.is_process(),
                "timeout": self.timeout,
            },
            "events": {
                "processed": self.processed,
                "processed_by_action": dict(self.processed_by_action),
                "mailbox_depth": self.mailbox_depth,
                "tasks": len(self._tasks),
                "loop": type(self.loop).__module__ + "." + type(self.loop).__name__,
                "notifications": [
                    {"time": when, "message": message} for when, message in self.notifications
                ],
            },
            "extra": bounded_extra(self.extra),
            "system": system_info(),
        }

    def record_notification(self, message: object, when: float) -> None:
        self.notifications.append((when, bounded_message(message)))

    # -- helpers ------------------------------------------------------------------

    def keep_task(self, task: asyncio.Future[Any], what: str) -> None:
        """Hold a reference to a background task and log its failure."""
        self._tasks.add(task)

        def done(t: asyncio.Future[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled():
                exc = t.exception()
                if exc is not None:
                    self.log_command_error(what, exc)

        task.add_done_callback(done)

    def log_command_error(self, action: str, exc: BaseException) -> None:
        """Log a command's failure that no caller hears of (a tell, a background task):
        in full up to the error budget, then counted (see ErrorLogBudget)."""
        allowed, suppressed = self._error_budget.allow()
        if suppressed:
            logger.warning("%s: %d more command errors were not logged (at most %d per "
                           "%g s)", self, suppressed, self._error_budget.burst,
                           self._error_budget.window)
        if not allowed:
            return
        action = clipped(str(action))
        if isinstance(exc, ActorError):
            logger.warning("%s: %s failed: %s", self, action, clipped(str(exc)))
        else:
            logger.error("%s: %s raised %s: %s", self, action, type(exc).__name__,
                         clipped(str(exc)), exc_info=_short_traceback(exc))


def _not_started(actor: Actor) -> RuntimeError:
    return RuntimeError(f"{actor} has not started: it has no event loop or runtime yet")


async def _call_hook(hook: Hook, actor: Actor) -> object:
    result = hook(actor)
    if inspect.isawaitable(result):
        result = await result
    return result


def _short_traceback(exc: BaseException) -> BaseException:
    """The exc_info of ``exc`` with its message cut (the traceback shows it again)."""
    if len(str(exc)) <= MAX_LOGGED_MESSAGE:
        return exc
    short = RuntimeError(f"{type(exc).__name__} (message cut above)")
    short.__traceback__ = exc.__traceback__
    return short


def current_actor_or_fail() -> Actor:
    actor = get_actor()
    if actor is None:
        raise RuntimeError(
            "no actor in this thread: use actorgrpc.connect(address) from client code")
    return actor
