"""What every client command shares: where the arbiter is and how to reach it,
exit codes, running a call and turning its errors into messages."""

from __future__ import annotations

import asyncio
import functools
import json
import math
import sys
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from actorgrpc.contract.consts import ACTOR_STATES
from actorgrpc.contract.errors import ActorError

if TYPE_CHECKING:
    from actorgrpc.client.connect import Client

_T = TypeVar("_T")
_Command = TypeVar("_Command", bound=Callable[..., Any])

ADDRESS_ENV = "ACTORGRPC_ADDRESS"
DEFAULT_ADDRESS = "127.0.0.1:7070"

#: Exit codes of the client subcommands.
EXIT_ERROR = 1
EXIT_UNREACHABLE = 2
EXIT_NOT_FOUND = 3
EXIT_UNIMPLEMENTED = 4
EXIT_INTERRUPTED = 130

#: State names a filter accepts ("running", ...): the names every client shows.
STATE_NAMES = {description: number for number, description in
               ACTOR_STATES.DESCRIPTION.items()}


_CONNECTION_KEYS = ("token", "token_file", "tls", "cacert", "cert", "key", "tls_server_name")


if TYPE_CHECKING:
    _FloatParamType = click.ParamType[float, Any]
else:  # subscriptable only in recent click releases (pyproject allows click>=8.1)
    _FloatParamType = click.ParamType


class SecondsType(_FloatParamType):
    """A finite number of seconds > 0 (click's FloatRange lets NaN and inf through)."""

    name = "seconds"

    def __init__(self, minimum: float = 0.0) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, float | int) and not isinstance(value, bool):
            number = float(value)
        else:
            try:
                number = float(value)
            except ValueError:
                self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(number) or number <= 0 or number < self.minimum:
            bound = f">= {self.minimum:g}" if self.minimum else "> 0"
            self.fail(f"must be a finite number of seconds {bound}, got {value!r}",
                      param, ctx)
        return number


#: Seconds given on the command line: finite and positive.
SECONDS = SecondsType()


def address_option(fn: Callable[..., _T]) -> Callable[..., _T]:
    """The options of every client command: where the arbiter is and how to reach it.

    The security options are kept in the click context, where ``client_for`` finds them.
    """

    @functools.wraps(fn)
    def with_connection(*args: Any, **kwargs: Any) -> _T:
        settings = {key: kwargs.pop(key) for key in _CONNECTION_KEYS}
        click.get_current_context().meta["actorgrpc.connection"] = settings
        return fn(*args, **kwargs)

    options = [
        click.option("--address", envvar=ADDRESS_ENV, default=DEFAULT_ADDRESS,
                     show_default=True, help=f"The arbiter's HOST:PORT (or ${ADDRESS_ENV})."),
        click.option("--token", envvar="ACTORGRPC_TOKEN", default=None,
                     help="Bearer token (or $ACTORGRPC_TOKEN)."),
        click.option("--token-file", envvar="ACTORGRPC_TOKEN_FILE", default=None,
                     type=click.Path(dir_okay=False),
                     help="File holding the token (or $ACTORGRPC_TOKEN_FILE)."),
        click.option("--tls", is_flag=True, envvar="ACTORGRPC_TLS",
                     help="Use TLS with the system's root certificates."),
        click.option("--cacert", envvar="ACTORGRPC_CACERT", default=None,
                     type=click.Path(dir_okay=False),
                     help="Use TLS, trusting this PEM CA file (or $ACTORGRPC_CACERT)."),
        click.option("--cert", envvar="ACTORGRPC_CERT", default=None,
                     type=click.Path(dir_okay=False),
                     help="Client certificate for mutual TLS (or $ACTORGRPC_CERT)."),
        click.option("--key", envvar="ACTORGRPC_KEY", default=None,
                     type=click.Path(dir_okay=False),
                     help="Key of the client certificate (or $ACTORGRPC_KEY)."),
        click.option("--tls-server-name", default=None,
                     help="Name to verify in the server's certificate."),
    ]
    for option in reversed(options):
        with_connection = option(with_connection)
    return with_connection


def run_client(coroutine_factory: Callable[[], Coroutine[Any, Any, _T]],
               address: str = "") -> _T:
    """Run a client coroutine; turn errors into messages and exit codes."""
    try:
        return asyncio.run(coroutine_factory())
    except ActorError as exc:
        fail(exc, address)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)


def fail(exc: ActorError, address: str = "") -> NoReturn:
    """Print ``exc`` for a person and exit with its code (see the module docstring)."""
    from actorgrpc.contract.errors import ActorNotFound, ActorUnavailable, CommandNotFound

    if isinstance(exc, ActorUnavailable):
        where = f" at {address}" if address else ""
        click.echo(f"error: arbiter{where} unreachable or actor unavailable: {exc}", err=True)
        sys.exit(EXIT_UNREACHABLE)
    if isinstance(exc, ActorNotFound):
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_NOT_FOUND)
    if isinstance(exc, CommandNotFound):
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_UNIMPLEMENTED)
    click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
    sys.exit(EXIT_ERROR)


def client_for(address: str) -> Client:
    from actorgrpc.client.connect import connect
    from actorgrpc.transport.tls import ClientTls

    settings = click.get_current_context().meta.get("actorgrpc.connection", {})
    token = settings.get("token")
    if not token and settings.get("token_file"):
        token = _read_token(settings["token_file"])
    tls: ClientTls | bool | None = None
    if settings.get("cacert") or settings.get("cert") or settings.get("tls_server_name"):
        tls = ClientTls(ca_file=settings.get("cacert") or "",
                        cert_file=settings.get("cert") or "",
                        key_file=settings.get("key") or "",
                        server_name=settings.get("tls_server_name") or "")
    elif settings.get("tls"):
        tls = True
    try:
        return connect(address, token=token, tls=tls)
    except ValueError as exc:  # TlsError: a certificate file that cannot be used
        raise click.ClickException(str(exc)) from None


def _read_token(path: str) -> str:
    """The token of a file holding it alone, or the first of a server's token file."""
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                parts = line.split()
                if parts and not parts[0].startswith("#"):
                    return parts[-1]
    except OSError as exc:
        raise click.ClickException(f"cannot read the token file {path}: {exc.strerror}") \
            from None
    raise click.ClickException(f"the token file {path} holds no token")


async def stream_of(call: AsyncIterable[_T]) -> AsyncIterator[_T]:
    """Iterate a server-streaming call, raising ActorError subclasses on failure."""
    import grpc

    from actorgrpc.contract.errors import error_from_rpc_error

    try:
        async for message in call:
            yield message
    except grpc.aio.AioRpcError as exc:
        raise error_from_rpc_error(exc) from None


def json_object(text: str, hint: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=hint) from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint=hint)
    return value


def json_arg(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def filter_options(fn: _Command) -> _Command:
    fn = click.option("--monitor", default="", help="Only workers of this monitor.")(fn)
    fn = click.option("--state", type=click.Choice(list(STATE_NAMES)), default=None,
                      help="Only actors in this state.")(fn)
    fn = click.option("--name-prefix", default="", help="Only names starting with this.")(fn)
    return fn
