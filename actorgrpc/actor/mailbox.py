"""The receiving side of the data plane: the actors a process hosts and its MailboxService.

A process hosts one main actor (a process actor, or the arbiter) and possibly
others (monitors and thread actors in the arbiter). Messages name their target aid;
commands of an actor that runs its own event loop in another thread are run there.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from threading import get_ident
from typing import TYPE_CHECKING, Any, TypeVar

from actorgrpc.actor.commands import _COMMANDS, get_command
from actorgrpc.client.mailbox import ActorNotHosted
from actorgrpc.contract.consts import ACTOR_STATES, DEFAULT_MAX_MESSAGE_BYTES
from actorgrpc.contract.errors import (
    ActorTimeout,
    ActorUnavailable,
    ResourceExhausted,
    shown,
)
from actorgrpc.contract.limits import DEFAULT_LIMITS
from actorgrpc.contract.wire import (
    json_list,
)

if TYPE_CHECKING:
    from actorgrpc.actor.core import Actor
    from actorgrpc.v1 import mailbox_pb2

_T = TypeVar("_T")

logger = logging.getLogger("actorgrpc.mailbox")

#: Result types that are certainly not awaitable (checked first: isawaitable is slow).
_PLAIN = frozenset({str, int, float, bool, type(None), dict, list, tuple})

#: Actors in this state or later host no more messages.
_CLOSED = ACTOR_STATES.CLOSE



class MailboxHost:
    """The actors hosted by one process, and how their commands are run."""

    def __init__(self, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
                 max_pending_calls: int = DEFAULT_LIMITS.max_pending_calls) -> None:
        self.max_message_bytes = max_message_bytes
        #: Commands an actor may have running (its mailbox depth) before more are
        #: refused with RESOURCE_EXHAUSTED.
        self.max_pending_calls = max_pending_calls
        #: The hosted actors by aid (each bound to its loop: see Actor.bind_loop).
        self.actors: dict[str, Actor] = {}
        #: The actor of an envelope that names no target.
        self.main: Actor | None = None
        self.address = ""

    def add(self, actor: Actor, *, main: bool = False) -> None:
        self.actors[actor.aid] = actor
        if main:
            self.main = actor

    def remove(self, actor: Actor) -> None:
        if self.actors.get(actor.aid) is actor:
            del self.actors[actor.aid]

    def actor_for(self, aid: str) -> Actor:
        actor = self.actors.get(aid) if aid else self.main
        if actor is None or actor.state >= _CLOSED:
            raise ActorNotHosted(f"no actor {shown(aid)} at this address")
        return actor

    # -- running commands -------------------------------------------------------

    def start(self, actor: Actor, action: str, args: Sequence[Any],
              kwargs: Mapping[str, Any]) -> Any:
        """Start a command: its result, or an awaitable of it (None for ack=False).

        Raises CommandNotFound / InvalidArgument before running anything. This is
        the hot path of every message: it is kept flat on purpose.
        """
        cmd = _COMMANDS.get(action) or get_command(action)
        if actor.mailbox_depth >= self.max_pending_calls and not cmd.control:
            raise ResourceExhausted(
                f"the mailbox of {actor.name} is full: {actor.mailbox_depth} calls pending "
                f"(max_pending_calls); retry later")
        counts = actor.processed_by_action
        counts[action] = counts.get(action, 0) + 1
        if actor.thread_id == get_ident():
            try:
                outcome = (cmd.function(actor, *args, **kwargs) if kwargs
                           else cmd.function(actor, *args))
            except TypeError as exc:
                # Raised by the call itself (no deeper frame): the arguments do not fit
                # the signature. A TypeError from inside the command is its own error.
                traceback = exc.__traceback__  # (None only for an exception never raised)
                if traceback is not None and traceback.tb_next is None:
                    cmd.bind(actor, args, kwargs)  # raises InvalidArgument with the detail
                raise
        else:
            # The actor runs its own loop in another thread: run the command there.
            cmd.bind(actor, args, kwargs)
            # A hosted actor is bound to its loop (bind_loop runs before MailboxHost.add),
            # so loop is set: not checked again on the message path.
            outcome = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(
                _run_to_end(cmd.function, actor, args, kwargs),
                actor.loop))  # type: ignore[arg-type]
        if not cmd.ack:
            if type(outcome) not in _PLAIN and inspect.isawaitable(outcome):
                _background(outcome, actor, action)
            return None
        return outcome

    async def call_local(self, aid: str, action: str, args: Sequence[Any],
                         kwargs: Mapping[str, Any], timeout: float) -> Any:
        """Run a command of a hosted actor and return its result (no network)."""
        actor = self.actor_for(aid)
        actor.mailbox_depth += 1
        try:
            outcome = self.start(actor, action, args, kwargs)
            if inspect.isawaitable(outcome):
                task = asyncio.ensure_future(outcome)
                actor.command_tasks.add(task)
                try:
                    outcome = await _within(task, timeout, action)
                except asyncio.CancelledError:
                    if task.cancelled() and actor.after_run():
                        raise ActorUnavailable(f"actor {actor.name!r} stopped while handling "
                                               f"{action!r}") from None
                    raise
                finally:
                    actor.command_tasks.discard(task)
            return outcome
        finally:
            actor.mailbox_depth -= 1
            actor.processed += 1

    def tell_local(self, aid: str, action: str, args: Sequence[Any],
                   kwargs: Mapping[str, Any]) -> None:
        actor = self.actor_for(aid)
        outcome = self.start(actor, action, args, kwargs)
        if inspect.isawaitable(outcome):
            _background(outcome, actor, action)
        actor.processed += 1


def _call_ids(envelope: mailbox_pb2.Envelope) -> Sequence[int]:
    """The ids of the calls in an ask envelope (several with ``batch_args_json``)."""
    batch = envelope.batch_args_json
    if batch:
        try:
            return range(envelope.id, envelope.id + max(len(json_list(batch)), 1))
        except ValueError:
            pass
    return (envelope.id,)


async def _within(awaitable: Awaitable[_T], seconds: float, action: str) -> _T:
    """``awaitable``'s result; ActorTimeout when ``seconds`` pass first (it is then
    cancelled). A TimeoutError the command raised itself stays the command's own."""
    timer = asyncio.timeout(seconds)
    try:
        async with timer:
            return await awaitable
    except TimeoutError:
        if timer.expired():
            raise ActorTimeout(f"{shown(action)} did not answer within {seconds:g} s") \
                from None
        raise


async def _run_to_end(function: Callable[..., Any], actor: Actor, args: Sequence[Any],
                      kwargs: Mapping[str, Any]) -> Any:
    result = function(actor, *args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


def _background(awaitable: Awaitable[Any], actor: Actor, action: str) -> None:
    task = asyncio.ensure_future(awaitable)
    actor.keep_task(task, f"command {action!r}")
