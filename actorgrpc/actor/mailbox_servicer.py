"""MailboxService over a MailboxHost: Call, and the Stream whose sessions read frames of
envelopes, run their commands in order and write the replies back in batches.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import grpc

from actorgrpc.actor.mailbox import _CLOSED, _PLAIN, MailboxHost, _call_ids, _within
from actorgrpc.client.mailbox import ActorNotHosted
from actorgrpc.contract.consts import DEFAULT_SEND_TIMEOUT
from actorgrpc.contract.errors import (
    ActorError,
    ActorUnavailable,
    CommandError,
    InvalidArgument,
    MessageTooLarge,
    shown,
    status_of,
)
from actorgrpc.contract.frame_reader import BadEnvelope, MalformedFrame, read_frame
from actorgrpc.contract.framing import FrameWriter
from actorgrpc.contract.limits import STREAM_PAUSE_INFLIGHT
from actorgrpc.contract.values import _problem, check_numbers, fill_value, from_list, from_struct
from actorgrpc.contract.wire import (
    NotJson,
    batch_reply_entry,
    failure_entry,
    has_suspect_numbers,
    json_arguments,
    json_bytes,
    json_list,
    listed,
    reply_entry,
    reply_json_entry,
)
from actorgrpc.transport.stream_ops import FAST_PATH
from actorgrpc.v1 import mailbox_pb2, mailbox_pb2_grpc
from actorgrpc.v1.mailbox_pb2 import Envelope

if TYPE_CHECKING:
    from actorgrpc.actor.core import Actor
    from actorgrpc.actor.protocols import CallContext, MailboxStreamContext

logger = logging.getLogger("actorgrpc.mailbox")

#: Most replies in one frame.
MAX_REPLY_BATCH = 1024
#: Reply frames that may wait for the network before the stream reads no more.
MAX_QUEUED_REPLY_FRAMES = 2


class MailboxServicer(mailbox_pb2_grpc.MailboxServiceServicer):
    """MailboxService over a MailboxHost."""

    def __init__(self, host: MailboxHost) -> None:
        self.host = host

    async def Call(self, request: mailbox_pb2.CallRequest,
                   context: CallContext) -> mailbox_pb2.CallResponse:
        if not math.isfinite(request.timeout_seconds) or request.timeout_seconds < 0:
            raise InvalidArgument("timeout_seconds must be a finite number of seconds >= 0")
        timeout = request.timeout_seconds or context.time_remaining() or DEFAULT_SEND_TIMEOUT
        result = await self.host.call_local(
            request.target, request.action, from_list(request.args),
            from_struct(request.kwargs), timeout)
        response = mailbox_pb2.CallResponse()
        try:
            fill_value(response.result, result, "result")
        except (InvalidArgument, RecursionError, ValueError) as exc:
            raise CommandError(f"the result of {shown(request.action)} is not JSON-shaped: "
                               f"{exc}") from None
        return response

    async def Stream(self, request_iterator: object, context: MailboxStreamContext) -> None:
        session = _StreamSession(self.host, context)
        await session.run(request_iterator)

    # Replies are written as bytes already encoded by actorgrpc.contract.wire; frames are
    # read as lists of envelopes, salvaged envelope by envelope when a frame does
    # not parse (see read_frame).
    # (Attributes of the function, read by actorgrpc.transport.server.add_service.)
    Stream.raw_response = True  # type: ignore[attr-defined]
    Stream.request_deserializer = staticmethod(  # type: ignore[attr-defined]
        lambda data: read_frame(data))


class _StreamSession:
    """One MailboxService.Stream: envelopes in, replies out in batches.

    The handler task reads a frame, runs its synchronous commands in order and
    queues all their replies as one frame, whose write starts at once while the
    next frame is read; a burst shares frames. The reply to a frame of one
    envelope, and that of a coroutine command when it completes, is written at once
    when nothing else is being written (else it is queued).
    """

    def __init__(self, host: MailboxHost, context: MailboxStreamContext) -> None:
        self.host = host
        self.limit = host.max_message_bytes - 64
        self.inflight = 0
        #: Set whenever the writer or a command finishes (the end waits on it).
        self.idle = asyncio.Event()
        self.writer = FrameWriter(context.write, max_bytes=self.limit,
                                  max_entries=MAX_REPLY_BATCH, on_error=self._broken,
                                  on_idle=self.idle.set, max_queued=MAX_QUEUED_REPLY_FRAMES,
                                  hand_driven=FAST_PATH)
        self.context = context
        self.error: BaseException | None = None
        #: True while the replies to a frame of several envelopes are collected.
        self.collecting = False

    async def run(self, request_iterator: object) -> None:
        read = self.context.read
        handle = self._handle
        writer = self.writer
        try:
            while self.error is None:
                envelopes = await read()
                if envelopes is grpc.aio.EOF:
                    break
                if type(envelopes) is MalformedFrame:
                    raise InvalidArgument(envelopes.description)
                # Envelopes now: mypy does not narrow away non-final classes tested as above.
                if len(envelopes) == 1:  # type: ignore[arg-type]
                    handle(envelopes[0])  # type: ignore[index]
                else:
                    self.collecting = True  # their replies leave together
                    for envelope in envelopes:  # type: ignore[union-attr]
                        handle(envelope)
                    self.collecting = False
                writer.flush()
                if self.inflight >= STREAM_PAUSE_INFLIGHT:
                    await self._fewer_inflight()
                room = writer.room()
                if room is not None:
                    # The client does not read its replies as fast as it sends: read
                    # no more until they are written (gRPC's flow control then holds
                    # the client back), instead of queueing replies without bound.
                    await room
        except grpc.aio.AioRpcError:
            return  # the client went away
        # The client closed its side: finish what is running, then end the stream.
        while self.error is None and (self.inflight or writer.writing or writer.frames):
            # Flushed before the event is cleared: a flush with nothing to write
            # reports idle at once, and a wait on an event already set returns
            # without yielding, which would spin the loop while a command runs.
            writer.flush()
            if self.inflight or writer.writing:
                self.idle.clear()
                await self.idle.wait()

    async def _fewer_inflight(self) -> None:
        """Read no more while this stream has STREAM_PAUSE_INFLIGHT commands running:
        back-pressure (gRPC's flow control holds the client) before the actor's
        mailbox bound refuses calls."""
        while self.error is None and self.inflight >= STREAM_PAUSE_INFLIGHT:
            self.idle.clear()
            await self.idle.wait()

    def _broken(self, exc: BaseException) -> None:
        """A reply could not be written: the stream is over."""
        self.error = exc
        self.writer.close()
        self.idle.set()

    def _handle(self, envelope: Envelope | BadEnvelope) -> None:
        # The hot path of every message. Each field of the parsed envelope is read
        # once: every read builds a new Python object.
        if type(envelope) is not Envelope:  # read_frame's BadEnvelope: it did not parse
            if not envelope.tell:
                # (Neither class is final: mypy narrows only the branch that matched.)
                self._fail(envelope.id, envelope.error)  # type: ignore[union-attr]
            return
        tell = envelope.tell
        target = envelope.target
        host = self.host
        actor = host.actors.get(target) if target else host.main
        if actor is None or actor.state >= _CLOSED:
            if not tell:
                not_hosted = ActorNotHosted(f"no actor {target!r} at this address")
                for call_id in _call_ids(envelope):
                    self._fail(call_id, not_hosted)
            return
        action = envelope.action
        args_json = envelope.args_json
        try:
            if args_json:
                try:
                    args = json_arguments(args_json)
                    kwargs_json = envelope.kwargs_json
                    kwargs = json_arguments(kwargs_json) if kwargs_json else {}
                except InvalidArgument:
                    raise
                except ValueError as exc:
                    raise InvalidArgument(f"args_json / kwargs_json is not valid JSON: {exc}") \
                        from None
                if type(args) is not list or type(kwargs) is not dict:
                    raise InvalidArgument(
                        "args_json must be a JSON array, kwargs_json a JSON object")
            else:
                batch_json = envelope.batch_args_json
                if batch_json:
                    self._handle_batch(envelope, actor, action, batch_json, tell)
                    return
                values = envelope.values
                args = from_list(values.args) if values.args.values else ()
                kwargs = from_struct(values.kwargs) if values.kwargs.fields else {}
            outcome = host.start(actor, action, args, kwargs)
        except Exception as exc:  # noqa: BLE001 - the user's command: any error is its reply
            actor.processed += 1
            if tell:
                actor.log_command_error(action, exc)
            else:
                self._fail(envelope.id, exc)
            return
        if type(outcome) in _PLAIN or not inspect.isawaitable(outcome):
            actor.processed += 1
            if not tell:
                self._succeed(envelope.id, outcome, action, bool(args_json))
            return
        self._track(outcome, envelope, actor, envelope.id, bool(args_json))

    def _handle_batch(self, envelope: Envelope, actor: Actor, action: str, batch_json: bytes,
                      tell: bool) -> None:
        """The calls coalesced in one envelope (``batch_args_json``), in order, each
        exactly as if it had come in an envelope of its own. Call ``i`` of an ask
        batch has id ``envelope.id + i``; the results of consecutive calls that
        succeed at once share one Reply (``batch_results_json``)."""
        first_id = envelope.id
        try:
            calls = json_list(batch_json)
        except ValueError as exc:
            actor.processed += 1
            error: Exception = InvalidArgument(
                f"batch_args_json must be a JSON array of argument arrays ({exc})")
            if tell:
                actor.log_command_error(action, error)
            else:
                self._fail(first_id, error)  # which ids it held is unknown
            return
        start = self.host.start
        run = _ResultRun(self, action)
        # The number policy, per call: a call out of range fails alone.
        suspect = has_suspect_numbers(batch_json)
        for call_id, args in enumerate(calls, first_id):
            if actor.state >= _CLOSED:
                # As for envelopes that would have followed: not hosted any more.
                if tell:
                    return
                error = ActorNotHosted(f"no actor {actor.aid!r} at this address")
            else:
                try:
                    if type(args) is not list:
                        raise InvalidArgument("every element of batch_args_json must be a "
                                              "JSON array (the positional arguments)")
                    if suspect:
                        check_numbers(args)
                    outcome = start(actor, action, args, {})
                except Exception as exc:  # noqa: BLE001 - the user's command: its reply
                    actor.processed += 1
                    if tell:
                        actor.log_command_error(action, exc)
                        continue
                    error = exc
                else:
                    if type(outcome) not in _PLAIN and inspect.isawaitable(outcome):
                        run.flush()  # its reply comes later: the earlier ones go first
                        self._track(outcome, envelope, actor, call_id, True)
                        continue
                    actor.processed += 1
                    if tell:
                        continue
                    try:
                        run.add(call_id, json_bytes(outcome))
                        continue
                    except NotJson:
                        error = CommandError(f"the result of {shown(action)} is not JSON-shaped: "
                                             f"{_problem(outcome, 'result')}")
            run.flush()  # replies keep the order of the calls
            self._fail(call_id, error)
        run.flush()

    def _track(self, outcome: Awaitable[Any], envelope: Envelope, actor: Actor, call_id: int,
               as_json: bool) -> None:
        """Run a command's awaitable outcome; its reply (or logged error) follows."""
        self.inflight += 1
        actor.mailbox_depth += 1
        if envelope.timeout_seconds > 0:
            outcome = _within(outcome, envelope.timeout_seconds, envelope.action)
        task = asyncio.ensure_future(outcome)
        actor.command_tasks.add(task)
        # mypy cannot infer a lambda whose defaults carry its arguments (a def costs more).
        task.add_done_callback(
            lambda t, e=envelope, a=actor, i=call_id, j=as_json:  # type: ignore[misc]
            self._finished(t, e, a, i, j))

    def _finished(self, task: asyncio.Future[Any], envelope: Envelope, actor: Actor,
                  call_id: int, as_json: bool) -> None:
        self.inflight -= 1
        actor.command_tasks.discard(task)
        actor.mailbox_depth -= 1
        actor.processed += 1
        exc: BaseException | None
        if task.cancelled():
            exc = (ActorUnavailable(f"actor {actor.name!r} stopped while handling "
                                    f"{shown(envelope.action)}")
                   if actor.after_run() else
                   ActorUnavailable(f"{shown(envelope.action)} was cancelled"))
        else:
            # The server's own deadline is an ActorTimeout already (see _within); a
            # TimeoutError is the command's own: UNKNOWN, like any error it raises.
            exc = task.exception()
        if envelope.tell:
            if exc is not None:
                actor.log_command_error(envelope.action, exc)
        elif exc is not None:
            self._fail(call_id, exc)
        else:
            self._succeed(call_id, task.result(), envelope.action, as_json)
        self.writer.flush()
        self.idle.set()

    def _succeed(self, call_id: int, result: Any, action: str, as_json: bool) -> None:
        try:
            entry = (reply_json_entry if as_json else reply_entry)(call_id, result)
        except NotJson:
            self._fail(call_id, CommandError(f"the result of {shown(action)} is not JSON-shaped: "
                                             f"{_problem(result, 'result')}"))
            return
        if len(entry) > self.limit:
            self._fail(call_id, MessageTooLarge(
                f"the result of {shown(action)} exceeds the maximum message size "
                f"({self.host.max_message_bytes} bytes)"))
            return
        self._reply(entry)

    def _fail(self, call_id: int, exc: BaseException) -> None:
        code, message, remote_type = status_of(exc)
        # Failure.type: the user's exception type for a command that raised, else the
        # class of our own error (MessageTooLarge, ActorNotHosted, ...).
        kind = remote_type or (type(exc).__name__ if isinstance(exc, ActorError) else "")
        self._reply(failure_entry(call_id, code.value[0], message, kind))

    def _reply(self, entry: bytes) -> None:
        """Send one Reply: written at once, alone, when it is the only one to go and
        nothing is being written (the usual answer to a lone call); otherwise queued
        to leave with the others."""
        writer = self.writer
        if not self.collecting and writer.can_write_now():
            writer.write_now(entry)  # one Reply is a whole StreamResponse
        else:
            writer.push(entry)


class _ResultRun:
    """The JSON results of consecutive successful calls of one batch, waiting to
    leave together in one Reply (``batch_results_json``)."""

    def __init__(self, session: _StreamSession, action: str) -> None:
        self.session = session
        self.action = action
        self.first_id = 0
        self.results: list[bytes] = []
        self.size = 0

    def add(self, call_id: int, data: bytes) -> None:
        if not self.results:
            self.first_id, self.size = call_id, 0
        data = listed(data)
        self.results.append(data)
        self.size += len(data)
        if self.size > self.session.limit // 2:  # well within a frame
            self.flush()

    def flush(self) -> None:
        results, self.results = self.results, []
        if not results:
            return
        session = self.session
        entry = batch_reply_entry(self.first_id, results)
        if len(entry) <= session.limit:
            session.writer.push(entry)
            return
        # A result too large on its own (a run is flushed at half the limit).
        for call_id, data in enumerate(results, self.first_id):
            entry = batch_reply_entry(call_id, [data])
            if len(entry) <= session.limit:
                session.writer.push(entry)
            else:
                session._fail(call_id, MessageTooLarge(
                    f"the result of {self.action!r} exceeds the maximum message size "
                    f"({session.host.max_message_bytes} bytes)"))
