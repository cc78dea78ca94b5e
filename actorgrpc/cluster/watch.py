"""A watch on etcd that survives disconnects and delivers every event once, in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import grpc.aio

from ._wire import from_event, map_error, rpc_pb2
from .errors import EtcdAuthError, EtcdError, EtcdUnavailable, WatchCompacted
from .model import Event

if TYPE_CHECKING:
    from .etcd import EtcdClient

__all__ = ["Watch"]

log = logging.getLogger(__name__)

# After a broken stream, open the next one after this pause, doubled up to the cap
# while it keeps failing; back to the start once a stream was established.
_RETRY_PAUSE = 0.05
_RETRY_PAUSE_MAX = 0.5


class Watch:
    """Ordered events on a key or a prefix that survive disconnects.

    Iterate with ``async for events in watch``: each item is the list of events of one
    etcd answer, in revision order (events of one revision are never split). When the
    stream breaks (member restarted or killed, member lost its leader, network cut),
    the watch opens a new stream, on any member, from the revision after the last one
    delivered: nothing is lost or repeated. It raises :class:`WatchCompacted` when
    that revision was compacted (read again and start a new watch), and other
    :class:`EtcdError` for what retrying cannot fix (permissions). ``close()`` ends it.
    """

    def __init__(self, client: EtcdClient, key: bytes, range_end: bytes, start_revision: int,
                 prev_kv: bool) -> None:
        self._client = client
        self._key, self._range_end, self._prev_kv = key, range_end, prev_kv
        #: The next revision this watch will deliver (0 until the first stream said
        #: which revision "now" was, when started without a revision).
        self.next_revision = start_revision
        #: Streams opened again after a break (for tests and metrics).
        self.reconnects = 0
        #: Set while a stream is established; cleared when it breaks.
        self.connected = asyncio.Event()
        self._queue: asyncio.Queue[list[Event] | BaseException] = asyncio.Queue()
        self._closed = False
        client._track_watch(self, True)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="etcd-watch")

    def __aiter__(self) -> AsyncIterator[list[Event]]:
        return self

    async def __anext__(self) -> list[Event]:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if isinstance(item, StopAsyncIteration):
            self._queue.put_nowait(item)  # keep ending every later __anext__
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            raise item
        return item

    async def close(self) -> None:
        """Stop the watch; a pending or later ``__anext__`` ends the iteration."""
        if not self._closed:
            self._closed = True
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._queue.put_nowait(StopAsyncIteration())
            self._client._track_watch(self, False)

    async def __aenter__(self) -> Watch:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _run(self) -> None:
        pause = _RETRY_PAUSE
        try:
            while True:
                token = self._client._token
                try:
                    await self._stream()
                    log.debug("etcd watch: stream ended by the server, reopening")
                except grpc.aio.AioRpcError as exc:
                    error = map_error(exc)
                    if (exc.code() == grpc.StatusCode.UNAUTHENTICATED
                            and "invalid auth token" in (exc.details() or "")
                            and self._client._user is not None):
                        await self._client._authenticate(token)  # expired: get another
                    elif isinstance(error, EtcdAuthError) or \
                            exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                        raise error from exc  # the same request would fail again
                    # Anything else is retried: besides UNAVAILABLE, a stream whose
                    # connection dies under a write fails with INTERNAL ("Internal
                    # error from Core"), seen when a cut-off member's connection is
                    # closed by keepalive.
                    log.info("etcd watch: stream broke (%s), reopening from revision %d",
                             error, self.next_revision)
                except (TimeoutError, EtcdUnavailable) as exc:
                    log.info("etcd watch: %s, reopening from revision %d",
                             exc or "no answer to the create request", self.next_revision)
                if self.connected.is_set():
                    pause = _RETRY_PAUSE  # it had worked: the first retry comes quickly
                self.connected.clear()
                self.reconnects += 1
                await asyncio.sleep(pause)
                pause = min(pause * 2, _RETRY_PAUSE_MAX)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - what retrying cannot fix: the reader gets it
            self._queue.put_nowait(exc)
        finally:
            self.connected.clear()

    async def _stream(self) -> None:
        """One watch stream: create it, then deliver its events until it breaks."""
        client = self._client
        if client._channel is None:
            raise EtcdError("the etcd client was closed")
        call = client._watch_stub.Watch(metadata=client._metadata())
        try:
            create = rpc_pb2.WatchCreateRequest(
                key=self._key, range_end=self._range_end, start_revision=self.next_revision,
                prev_kv=self._prev_kv)
            # The created answer is bounded like any call; what follows may be silent
            # for hours, which is why the streams rely on gRPC keepalive pings and on
            # etcd cancelling a leaderless member's streams (hasleader).
            async with asyncio.timeout(client.timeout):
                await call.write(rpc_pb2.WatchRequest(create_request=create))
                created = await call.read()
            if created is grpc.aio.EOF:
                raise EtcdUnavailable("watch stream closed before it was created")
            self._check_cancel(created)
            if self.next_revision == 0:
                # Started "from now": the stream is in sync at the created revision.
                self.next_revision = created.header.revision + 1
            self.connected.set()
            if created.events:  # etcd does not put events in the created answer; be safe
                self._deliver(created)
            while True:
                response = await call.read()
                if response is grpc.aio.EOF:
                    return
                self._check_cancel(response)
                if response.events:
                    self._deliver(response)
                elif not response.created:
                    # A progress notification: sent only to a watcher in sync, so every
                    # event up to the header's revision has been delivered.
                    self.next_revision = max(self.next_revision, response.header.revision + 1)
        finally:
            call.cancel()

    def _check_cancel(self, response: rpc_pb2.WatchResponse) -> None:
        if response.compact_revision:
            raise WatchCompacted(response.compact_revision)
        if response.canceled:
            reason = response.cancel_reason or "no reason given"
            if "permission denied" in reason or "auth" in reason:
                raise EtcdAuthError(f"etcd watch canceled: {reason}")
            raise EtcdUnavailable(f"etcd watch canceled: {reason}")

    def _deliver(self, response: rpc_pb2.WatchResponse) -> None:
        events = [from_event(e) for e in response.events]
        # Resume after the last delivered revision: a revision's events come in one
        # answer (no fragmenting is asked for), so none of them can be split.
        self.next_revision = events[-1].revision + 1
        self._queue.put_nowait(events)
