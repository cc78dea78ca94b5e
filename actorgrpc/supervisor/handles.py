"""Handles on what runs an actor: how to signal it, and the stop escalation.

A handle never signals a process that is gone: a child of the arbiter is signalled
only until asyncio has reaped it; a process forked by the fork server is signalled
through a pidfd, which can never reach another process that reuses its pid.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from actorgrpc.actor.core import Actor
    from actorgrpc.supervisor.record import ActorRecord

logger = logging.getLogger("actorgrpc.supervision")

__all__ = ["ProcessHandle", "SubprocessHandle", "PidfdHandle", "ThreadHandle", "escalate"]


class ProcessHandle(Protocol):
    """What the supervisor needs of a running actor's host."""

    pid: int

    def send_signal(self, sig: int) -> None:
        """Deliver ``sig`` unless the process is gone (then do nothing)."""

    def close(self) -> None:
        """Release what the handle holds (a pidfd); it signals nothing after."""


class SubprocessHandle:
    """A child the arbiter started with fork+exec (asyncio reaps it)."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.pid = process.pid

    def send_signal(self, sig: int) -> None:
        if self.process.returncode is None:
            try:
                self.process.send_signal(sig)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        stdin = self.process.stdin
        if stdin is not None:
            stdin.close()  # an EXEC actor reads end of file: its arbiter is done with it


class PidfdHandle:
    """A process forked by the fork server (not our child), held by a pidfd."""

    def __init__(self, pid: int, pidfd: int):
        self.pid = pid
        self.pidfd: int | None = pidfd

    def send_signal(self, sig: int) -> None:
        if self.pidfd is None:
            return
        try:
            signal.pidfd_send_signal(self.pidfd, sig)
        except ProcessLookupError:
            pass  # exited (and maybe reaped): its pid may be someone else's now

    def exited(self) -> bool:
        """True once the process has exited (a pidfd polls readable from then on)."""
        import select

        if self.pidfd is None:
            return True
        poller = select.poll()
        poller.register(self.pidfd, select.POLLIN)
        return bool(poller.poll(0))

    def close(self) -> None:
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


class ThreadHandle:
    """A thread actor of the arbiter: stopped through its Actor, never signalled."""

    def __init__(self, actor: Actor,
                 abandon: Callable[[ActorRecord, str], None] | None = None) -> None:
        #: None once closed: its record holds no thread actor after its exit.
        self.actor: Actor | None = actor
        self.pid = os.getpid()
        #: ``abandon(record, why)``: give up on a thread that does not stop.
        self.abandon = abandon

    def send_signal(self, sig: int) -> None:
        """Signals would reach the arbiter itself: a thread actor is stopped instead."""

    def close(self) -> None:
        self.actor = None


async def escalate(record: ActorRecord, reason: str, timeout: float) -> None:
    """Stop the actor of ``record``: a stop order (or, for a thread, its stop), then
    SIGTERM, then SIGKILL, ``timeout`` seconds apart; returns once it exited or
    SIGKILL was ignored for ``timeout`` seconds (logged)."""
    handle = record.handle
    if isinstance(handle, ThreadHandle):
        actor = handle.actor
        if actor is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await actor.stop()
        except TimeoutError:
            logger.error("%s(%s): thread actor did not stop in %s s", record.name, record.aid,
                         timeout, extra={"actor": record})
        if not await record.join(timeout) and handle.abandon is not None:
            handle.abandon(record, f"did not stop within {2 * timeout:g} s")
        return
    if handle is None and record.exit_code is None:
        # Not launched yet: its spawner ends it as soon as the launch returns, or
        # when the launch times out (spawn_timeout): either way it exits.
        await record.join()
        return
    if record.stream_attached:
        record.order_stop(reason, timeout)
        if await record.join(timeout):
            return
        logger.warning("%s(%s) ignored the stop order; terminating", record.name, record.aid,
                       extra={"actor": record})
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if handle is not None:
            handle.send_signal(sig)
        if await record.join(timeout):
            return
    logger.error("%s(%s) survived SIGKILL", record.name, record.aid, extra={"actor": record})
