"""``connect(address)``: the async client for code that is not itself an actor."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable
from typing import Any, TypeAlias, TypedDict, TypeVar, Unpack, cast

import grpc
import grpc.aio

from actorgrpc.client.routing import ArbiterStub, LocalHost, Router, Target
from actorgrpc.contract.consts import DEFAULT_SEND_TIMEOUT
from actorgrpc.contract.enums import state_to_wire
from actorgrpc.contract.errors import error_from_rpc_error
from actorgrpc.contract.proxy import ActorProxy
from actorgrpc.contract.spawn_spec import SpawnSpec
from actorgrpc.contract.values import from_struct
from actorgrpc.transport.auth import bearer_metadata
from actorgrpc.transport.channels import ChannelSecurity
from actorgrpc.transport.tls import ClientTls
from actorgrpc.v1 import actor_pb2, arbiter_pb2

__all__ = ["Client", "connect", "client_security"]

#: The forms of ``tls`` (see ``client_security``).
TlsOption: TypeAlias = bool | str | ClientTls | grpc.ChannelCredentials | None

_Request = TypeVar("_Request")
_Response = TypeVar("_Response")


class RouterOptions(TypedDict, total=False):
    """The keyword arguments of ``Router`` that ``connect`` and ``Client`` pass on."""

    max_message_bytes: int
    local_host: LocalHost | None
    arbiter_channel: grpc.aio.Channel | None


#: Where ``connect`` finds a token when it is given none.
TOKEN_ENVIRONMENT_VARIABLE = "ACTORGRPC_TOKEN"


def client_security(token: str | None = None, tls: TlsOption = None) -> ChannelSecurity:
    """How a client connects: ``token`` (default ``$ACTORGRPC_TOKEN``) and ``tls``:

    * None or False: plaintext;
    * True: TLS, verified with the system's root certificates;
    * a string: TLS, verified with that PEM file of CA certificates;
    * a ``ClientTls``: roots, a client certificate for mTLS, a server name;
    * a ``grpc.ChannelCredentials``: used as is.
    """
    if token is None:
        token = os.environ.get(TOKEN_ENVIRONMENT_VARIABLE) or None
    server_name = ""
    if tls is None or tls is False:
        credentials = None
    elif tls is True:
        credentials = grpc.ssl_channel_credentials()
    elif isinstance(tls, str):
        credentials = ClientTls(ca_file=tls).credentials()
    elif isinstance(tls, ClientTls):
        credentials, server_name = tls.credentials(), tls.server_name
    elif isinstance(tls, grpc.ChannelCredentials):
        credentials = tls
    else:
        raise TypeError(f"tls must be a bool, a CA file path, a ClientTls or "
                        f"grpc.ChannelCredentials, not {type(tls).__name__}")
    return ChannelSecurity(credentials=credentials, metadata=bearer_metadata(token),
                           server_name=server_name)


class Client:
    """A connection to an arbiter; ``send`` goes straight to the actors' mailboxes.

    Use it as ``async with connect("127.0.0.1:7070") as client: ...``. With
    ``token`` (or ``$ACTORGRPC_TOKEN``) every call presents it; ``tls`` turns on TLS
    (see ``client_security``), for the arbiter and every actor reached directly.
    """

    def __init__(self, address: str, *, token: str | None = None, tls: TlsOption = None,
                 **router_options: Unpack[RouterOptions]) -> None:
        self.address = address
        self.router = Router(address, security=client_security(token, tls), **router_options)
        self.stub: ArbiterStub = self.router.arbiter
        #: Metadata of every call (the bearer token): pass it to calls on ``stub``.
        self.metadata = self.router.metadata

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.router.close()

    async def _unary(self, method: grpc.aio.UnaryUnaryMultiCallable[_Request, _Response],
                     request: _Request, timeout: float | None) -> _Response:
        try:
            return await method(request, timeout=timeout, metadata=self.metadata)
        except grpc.aio.AioRpcError as exc:
            raise error_from_rpc_error(exc) from None

    async def spawn(self, *, _timeout: float | None = None, **params: Any) -> ActorProxy:
        """Start an actor; return its proxy once it is RUNNING (SpawnError otherwise)."""
        request = SpawnSpec.from_kwargs(**params).to_request()
        response = await self._unary(self.stub.Spawn, request, _timeout)
        return ActorProxy.from_ref(response.actor)

    def send(self, target: Target, action: str, *args: Any, _timeout: float | None = None,
             **kwargs: Any) -> asyncio.Future[Any]:
        """Run ``action`` on ``target`` (proxy, aid or name); await the result.

        Sent directly to the actor's mailbox; the deadline is ``_timeout`` seconds
        (default 5). Remote errors are raised as ``ActorError`` subclasses. Returns
        a Future (no task per call), so thousands can be in flight at once.
        """
        return self.router.send(target, action, args, kwargs, timeout=_timeout)

    def tell(self, target: Target, action: str, *args: Any, **kwargs: Any) -> Awaitable[None]:
        """Deliver ``action`` to ``target`` without waiting for its result (await it)."""
        return self.router.tell(target, action, args, kwargs)

    async def send_via_arbiter(self, target: Target, action: str, *args: Any,
                               _timeout: float | None = None, **kwargs: Any) -> Any:
        """Like ``send`` but through ``ArbiterService.Send`` (what grpcurl uses)."""
        from actorgrpc.contract.values import fill_args, fill_kwargs, from_value

        timeout = DEFAULT_SEND_TIMEOUT if _timeout is None else _timeout
        request = arbiter_pb2.SendRequest(target=str(getattr(target, "aid", target)),
                                          action=action, timeout_seconds=timeout)
        fill_args(request.args, args)
        fill_kwargs(request.kwargs, kwargs)
        response = await self._unary(self.stub.Send, request, timeout + 1.0)
        return from_value(response.result)

    async def info(self, target: Target = "", *,
                   _timeout: float | None = None) -> dict[str, Any]:
        """The info dictionary of an actor (``""`` for the arbiter)."""
        aid = cast(str, getattr(target, "aid", target)) or ""  # a proxy's aid, or target
        response = await self._unary(self.stub.Info, arbiter_pb2.InfoRequest(target=aid),
                                     _timeout or DEFAULT_SEND_TIMEOUT)
        return from_struct(response.info)

    async def stop(self, target: Target, *, _timeout: float | None = None) -> int:
        """Stop an actor and wait until it has exited; return its exit code."""
        aid = cast(str, getattr(target, "aid", target))  # a proxy's aid, or target
        response = await self._unary(self.stub.Stop, arbiter_pb2.StopRequest(target=aid),
                                     _timeout)
        self.router.forget(aid)
        return response.exit_code

    async def list_actors(self, *, name_prefix: str = "", state: int | None = None,
                          monitor: str = "",
                          include_exited: bool = False) -> list[actor_pb2.ActorSummary]:
        """Every actor the arbiter knows (all pages), as ActorSummary messages.

        ``state`` filters by one of ``ACTOR_STATES``; the summaries carry the wire's
        states (``actorgrpc.contract.enums.state_from_wire`` turns them back).
        """
        wire_state = (actor_pb2.ACTOR_STATE_UNSPECIFIED if state is None
                      else state_to_wire(state))
        actors: list[actor_pb2.ActorSummary]
        actors, token = [], ""
        while True:
            request = arbiter_pb2.ListActorsRequest(
                name_prefix=name_prefix, state=wire_state, monitor=monitor, page_token=token,
                include_exited=include_exited, page_size=1000)
            response = await self._unary(self.stub.ListActors, request, DEFAULT_SEND_TIMEOUT)
            actors.extend(response.actors)
            token = response.next_page_token
            if not token:
                return actors

    async def get_actor(self, target: str) -> ActorProxy:
        """Resolve an aid or name to a proxy (pulsar's ``get_actor(aid)``)."""
        return await self.router.resolve(target, fresh=True)


def connect(address: str, *, token: str | None = None, tls: TlsOption = None,
            **options: Unpack[RouterOptions]) -> Client:
    """A client of the arbiter at ``address``; use with ``async with``.

    ``token`` defaults to ``$ACTORGRPC_TOKEN``; ``tls`` is off by default (see
    ``client_security`` for its forms).
    """
    return Client(address, token=token, tls=tls, **options)
