"""The receiving side of the data plane: the actors a process hosts and its MailboxService.

A process hosts one main actor (a process actor, or the arbiter) and possibly
others (monitors and thread actors in the arbiter). Messages name their target aid;
commands of an actor that runs its own event loop in another thread are run there.
"""

from __future__ import annotations

import asyncio
import inspect
import logging

import grpc

from .commands import get_command
from .consts import DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_SEND_TIMEOUT
from .errors import (ActorNotFound, ActorTimeout, ActorUnavailable, CommandError,
                     MessageTooLarge)
from .mailbox_client import NOT_HOSTED
from .status import fill_failure, rpc_method
from .v1 import mailbox_pb2, mailbox_pb2_grpc
from .values import _fill_value, from_list, from_struct

logger = logging.getLogger("actorgrpc.mailbox")

#: Most replies in one frame.
MAX_REPLY_BATCH = 1024


class _NotHosted(ActorNotFound):
    """The target aid is not hosted here (the command was not run)."""

    def __init__(self, aid):
        super().__init__(f"no actor {aid!r} at this address", remote_type=NOT_HOSTED)


class MailboxHost:
    """The actors hosted by one process, and how their commands are run."""

    def __init__(self, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES):
        self.max_message_bytes = max_message_bytes
        self.actors: dict = {}
        self.main = None
        self.address = ""

    def add(self, actor, *, main: bool = False) -> None:
        self.actors[actor.aid] = actor
        if main:
            self.main = actor

    def remove(self, actor) -> None:
        if self.actors.get(actor.aid) is actor:
            del self.actors[actor.aid]

    def actor_for(self, aid: str):
        if not aid:
            if self.main is None:
                raise _NotHosted(aid)
            return self.main
        actor = self.actors.get(aid)
        if actor is None or actor.closed():
            raise _NotHosted(aid)
        return actor

    # -- running commands -------------------------------------------------------

    def start(self, actor, action: str, args, kwargs):
        """Start a command: its result, or an awaitable of it.

        Raises CommandNotFound / InvalidArgument before running anything.
        """
        cmd = get_command(action)
        cmd.bind(actor, args, kwargs)
        counts = actor.processed_by_action
        counts[action] = counts.get(action, 0) + 1
        if actor.foreign_loop():
            future = asyncio.run_coroutine_threadsafe(
                _run_to_end(cmd.function, actor, args, kwargs), actor.loop)
            outcome = asyncio.wrap_future(future)
        else:
            outcome = cmd.function(actor, *args, **kwargs)
        if not cmd.ack:
            if inspect.isawaitable(outcome):
                _background(outcome, actor, action)
            return None
        return outcome

    async def call_local(self, aid: str, action: str, args, kwargs, timeout: float):
        """Run a command of a hosted actor and return its result (no network)."""
        actor = self.actor_for(aid)
        actor.mailbox_depth += 1
        try:
            outcome = self.start(actor, action, args, kwargs)
            if inspect.isawaitable(outcome):
                task = asyncio.ensure_future(outcome)
                actor.command_tasks.add(task)
                try:
                    outcome = await asyncio.wait_for(task, timeout)
                except asyncio.TimeoutError:
                    raise ActorTimeout(f"{action!r} did not answer within {timeout:g} s") from None
                except asyncio.CancelledError:
                    if task.cancelled() and actor.stopped():
                        raise ActorUnavailable(f"actor {actor.name!r} stopped while handling "
                                               f"{action!r}") from None
                    raise
                finally:
                    actor.command_tasks.discard(task)
            return outcome
        finally:
            actor.mailbox_depth -= 1
            actor.processed += 1

    def tell_local(self, aid: str, action: str, args, kwargs) -> None:
        actor = self.actor_for(aid)
        outcome = self.start(actor, action, args, kwargs)
        if inspect.isawaitable(outcome):
            _background(outcome, actor, action)
        actor.processed += 1


async def _run_to_end(function, actor, args, kwargs):
    result = function(actor, *args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


def _background(awaitable, actor, action) -> None:
    task = asyncio.ensure_future(awaitable)
    actor.keep_task(task, f"command {action!r}")


class MailboxServicer(mailbox_pb2_grpc.MailboxServiceServicer):
    """MailboxService over a MailboxHost."""

    def __init__(self, host: MailboxHost):
        self.host = host

    @rpc_method
    async def Call(self, request, context):
        timeout = request.timeout_seconds or context.time_remaining() or DEFAULT_SEND_TIMEOUT
        result = await self.host.call_local(
            request.target, request.action, from_list(request.args),
            from_struct(request.kwargs), timeout)
        response = mailbox_pb2.CallResponse()
        try:
            _fill_value(response.result, result, "result")
        except Exception as exc:
            raise CommandError(f"the result of {request.action!r} is not JSON-shaped: {exc}")
        return response

    async def Stream(self, request_iterator, context):
        session = _StreamSession(self.host, context)
        await session.run(request_iterator)


class _StreamSession:
    """One MailboxService.Stream: envelopes in, replies out in batches."""

    def __init__(self, host: MailboxHost, context):
        self.host = host
        self.context = context
        self.replies: list = []
        self.wakeup = asyncio.Event()
        self.reading = True
        self.inflight = 0
        self.limit = host.max_message_bytes - 64

    async def run(self, request_iterator) -> None:
        reader = asyncio.ensure_future(self._read(request_iterator))
        replies = self.replies
        try:
            while True:
                if replies:
                    batch = replies[:MAX_REPLY_BATCH]
                    del replies[:MAX_REPLY_BATCH]
                    await self.context.write(mailbox_pb2.StreamResponse(replies=batch))
                    continue
                if not self.reading and self.inflight == 0:
                    break
                self.wakeup.clear()
                await self.wakeup.wait()
        finally:
            reader.cancel()

    async def _read(self, request_iterator) -> None:
        try:
            async for request in request_iterator:
                for envelope in request.envelopes:
                    self._handle(envelope)
        except asyncio.CancelledError:
            raise
        except grpc.aio.AioRpcError:
            pass  # the client went away; pending commands still finish
        finally:
            self.reading = False
            self.wakeup.set()

    def _handle(self, envelope) -> None:
        host = self.host
        try:
            actor = host.actor_for(envelope.target)
        except Exception as exc:
            if not envelope.tell:
                self._fail(envelope.id, exc)
            return
        try:
            args = from_list(envelope.args) if envelope.args.values else ()
            kwargs = from_struct(envelope.kwargs) if envelope.kwargs.fields else {}
            outcome = host.start(actor, envelope.action, args, kwargs)
        except Exception as exc:
            actor.processed += 1
            if envelope.tell:
                actor.log_command_error(envelope.action, exc)
            else:
                self._fail(envelope.id, exc)
            return
        if inspect.isawaitable(outcome):
            self.inflight += 1
            actor.mailbox_depth += 1
            if envelope.timeout_seconds > 0:
                outcome = asyncio.wait_for(outcome, envelope.timeout_seconds)
            task = asyncio.ensure_future(outcome)
            actor.command_tasks.add(task)
            task.add_done_callback(
                lambda t, e=envelope, a=actor: self._finished(t, e, a))
        else:
            actor.processed += 1
            if not envelope.tell:
                self._succeed(envelope.id, outcome, envelope.action)

    def _finished(self, task, envelope, actor) -> None:
        self.inflight -= 1
        actor.command_tasks.discard(task)
        actor.mailbox_depth -= 1
        actor.processed += 1
        if task.cancelled():
            exc = (ActorUnavailable(f"actor {actor.name!r} stopped while handling "
                                    f"{envelope.action!r}")
                   if actor.stopped() else ActorTimeout(f"{envelope.action!r} was cancelled"))
        else:
            exc = task.exception()
            if isinstance(exc, asyncio.TimeoutError):
                exc = ActorTimeout(
                    f"{envelope.action!r} did not finish within {envelope.timeout_seconds:g} s")
        if envelope.tell:
            if exc is not None:
                actor.log_command_error(envelope.action, exc)
        elif exc is not None:
            self._fail(envelope.id, exc)
        else:
            self._succeed(envelope.id, task.result(), envelope.action)
        self.wakeup.set()

    def _succeed(self, call_id: int, result, action: str) -> None:
        reply = mailbox_pb2.Reply(id=call_id)
        try:
            _fill_value(reply.result, result, "result")
        except Exception as exc:
            self._fail(call_id, CommandError(f"the result of {action!r} is not JSON-shaped: {exc}"))
            return
        if reply.ByteSize() > self.limit:
            self._fail(call_id, MessageTooLarge(
                f"the result of {action!r} exceeds the maximum message size "
                f"({self.host.max_message_bytes} bytes)"))
            return
        self.replies.append(reply)
        self.wakeup.set()

    def _fail(self, call_id: int, exc: BaseException) -> None:
        reply = mailbox_pb2.Reply(id=call_id)
        fill_failure(reply.failure, exc)
        self.replies.append(reply)
        self.wakeup.set()
