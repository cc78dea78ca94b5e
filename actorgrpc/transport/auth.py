"""Bearer-token authentication: roles, the token file, and the check every server runs.

Every RPC on the arbiter and on every actor's mailbox carries
``authorization: Bearer TOKEN`` metadata, except ``grpc.health.v1.Health``. A token
has a role:

* ``read``: Info, ListActors, GetActor, WatchActors, Logs and server reflection;
* ``admin``: everything an operator may do;
* ``internal``: the credential the arbiter generates for its own actors (everything,
  and MonitorService.Heartbeat, which no operator token opens).

Operator tokens come from ``serve --auth-token-file PATH``; without one, only the
Heartbeat is checked (loopback default, see the README's Security section).
Servers keep SHA-256 digests, never the tokens: actors are told digests only.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias

import grpc
import grpc.aio

from actorgrpc.contract.errors import ActorError, PermissionDenied, Unauthenticated

__all__ = ["Role", "TokenTable", "TokenFileError", "load_token_file", "parse_token_file",
           "bearer_metadata", "required_role", "AuthInterceptor", "token_from_metadata"]

#: The metadata key (gRPC metadata keys are lower case).
AUTHORIZATION = "authorization"
_SCHEME = "bearer "
#: Shortest token accepted from a token file: 16 characters of a random token.
MIN_TOKEN_LENGTH = 16
#: RFC 6750's b64token: what can follow "Bearer " in a header.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~+/=-]+")


class Role(enum.IntEnum):
    """What a token may do; a higher role may do what a lower one may (the numbers
    are the wire's TokenRole)."""

    READ = 1
    ADMIN = 2
    INTERNAL = 3


#: Methods a read-only token may call.
READ_METHODS = frozenset(f"/actorgrpc.v1.ArbiterService/{name}" for name in (
    "Info", "ListActors", "GetActor", "WatchActors", "Logs"))
#: Methods only the arbiter's internal credential may call.
INTERNAL_METHODS = frozenset({"/actorgrpc.v1.MonitorService/Heartbeat"})
_OPEN_PREFIX = "/grpc.health.v1.Health/"
_REFLECTION_PREFIX = "/grpc.reflection."


def required_role(method: str) -> Role | None:
    """The least role that may call ``method`` (its full name); None: no token needed."""
    if method.startswith(_OPEN_PREFIX):
        return None
    if method in INTERNAL_METHODS:
        return Role.INTERNAL
    if method in READ_METHODS or method.startswith(_REFLECTION_PREFIX):
        return Role.READ
    return Role.ADMIN


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class TokenTable:
    """Accepted tokens as (SHA-256 digest, role) pairs."""

    entries: tuple[tuple[bytes, Role], ...] = ()

    @classmethod
    def of(cls, tokens: Iterable[tuple[str, Role]]) -> TokenTable:
        return cls(tuple((digest(token), role) for token, role in tokens))

    @classmethod
    def from_accepted(cls, accepted: Iterable[tuple[str, int] | list[Any]]) -> TokenTable:
        """From ``[[sha256 hex, role number], ...]`` (an actor's spawn specification)."""
        return cls(tuple((bytes.fromhex(hex_digest), Role(role))
                         for hex_digest, role in accepted))

    def accepted(self) -> list[list[str | int]]:
        """The form an actor is told: ``[[sha256 hex, role number], ...]``."""
        return [[value.hex(), int(role)] for value, role in self.entries]

    def role_of(self, token: str | None) -> Role | None:
        """The role of ``token``; None when it is not accepted.

        Every entry is compared, in constant time, whatever matches: how long this
        takes says nothing about the token.
        """
        if not token:
            return None
        presented = digest(token)
        found = None
        for value, role in self.entries:
            if hmac.compare_digest(presented, value):
                found = role
        return found

    def __bool__(self) -> bool:
        return bool(self.entries)


class TokenFileError(ValueError):
    """A token file that cannot be used; the message names the file and line."""


def parse_token_file(text: str, path: str = "<tokens>") -> list[tuple[str, Role]]:
    """Parse a token file: one ``ROLE TOKEN`` per line (role ``admin`` or ``read``);
    blank lines and lines starting with ``#`` are ignored."""
    tokens: list[tuple[str, Role]] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        where = f"{path}:{number}"
        if len(parts) != 2:
            raise TokenFileError(f"{where}: expected \"ROLE TOKEN\" (role admin or read)")
        role_name, token = parts
        if role_name not in ("admin", "read"):
            raise TokenFileError(f"{where}: unknown role {role_name[:20]!r}; expected admin "
                                 "or read")
        if len(token) < MIN_TOKEN_LENGTH or not _TOKEN_CHARS.fullmatch(token):
            raise TokenFileError(f"{where}: a token is at least {MIN_TOKEN_LENGTH} of the "
                                 "characters A-Z a-z 0-9 . _ ~ + / = -")
        if token in seen:
            raise TokenFileError(f"{where}: this token is listed twice")
        seen.add(token)
        tokens.append((token, Role[role_name.upper()]))
    if not tokens:
        raise TokenFileError(f"{path}: no tokens (one \"ROLE TOKEN\" per line)")
    return tokens


def load_token_file(path: str) -> list[tuple[str, Role]]:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenFileError(f"{path}: cannot read: {exc}") from None
    return parse_token_file(text, path)


def bearer_metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    """Call metadata that presents ``token`` (none without one)."""
    return ((AUTHORIZATION, f"Bearer {token}"),) if token else ()


def token_from_metadata(metadata: Iterable[tuple[str, str | bytes]] | None) -> str | None:
    """The bearer token of a call's invocation metadata, if any."""
    for key, value in metadata or ():
        if key == AUTHORIZATION and isinstance(value, str) \
                and value[:len(_SCHEME)].lower() == _SCHEME:
            return value[len(_SCHEME):].strip()
    return None


# (A string: grpc's classes are generic in its stubs only.)
_Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


def _refusal(handler: _Handler | None, error: ActorError) -> _Handler:
    """A handler of the same shape as ``handler`` that refuses the call with ``error``."""
    from actorgrpc.transport.boundary import abort_with

    async def refuse_unary(request: object, context: grpc.aio.ServicerContext[Any, Any],
                           ) -> None:
        await abort_with(context, error)

    async def refuse_stream(request_or_iterator: object,
                            context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[None]:
        await abort_with(context, error)
        yield  # pragma: no cover - makes this an async generator

    if handler is None or handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(refuse_unary)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(refuse_stream)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(refuse_unary)
    return grpc.stream_stream_rpc_method_handler(refuse_stream)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Checks the bearer token of every call against a TokenTable.

    ``operator_auth`` False (no token file): only the methods that need the internal
    credential are checked; the rest are open, as on a loopback-only arbiter.
    """

    def __init__(self, table: TokenTable, *, operator_auth: bool) -> None:
        self.table = table
        self.operator_auth = operator_auth

    async def intercept_service(
            self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[_Handler | None]],
            handler_call_details: grpc.HandlerCallDetails) -> _Handler | None:
        required = required_role(handler_call_details.method)
        if required is None or (required is not Role.INTERNAL and not self.operator_auth):
            return await continuation(handler_call_details)
        role = self.table.role_of(token_from_metadata(handler_call_details.invocation_metadata))
        if role is not None and role >= required:
            return await continuation(handler_call_details)
        handler = await continuation(handler_call_details)
        if role is None:
            return _refusal(handler, Unauthenticated(
                "missing or wrong token: send \"authorization: Bearer TOKEN\""))
        return _refusal(handler, PermissionDenied(
            f"the {role.name.lower()} token may not call {handler_call_details.method[:100]}"))
