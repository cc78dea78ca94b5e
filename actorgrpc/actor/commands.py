"""The ``@command`` decorator, the table of commands and the standard commands.

A command is a function ``fn(actor, *args, **kwargs)`` that an actor runs when it
receives a message naming it. Commands come from this module (the standard ones)
and from the modules the operator allows with ``-m``: importing such a module
registers its ``@command`` functions, so every actor imports them at boot.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

from actorgrpc.contract.errors import CommandNotFound, InvalidArgument, shown
from actorgrpc.contract.references import register_reference

if TYPE_CHECKING:
    from actorgrpc.actor.core import Actor

__all__ = ["command", "Command", "get_command", "command_names"]

F = TypeVar("F", bound=Callable[..., Any])

#: The default of ``Command.signature``: "that of ``function``" (filled in at creation).
_SIGNATURE_OF_FUNCTION = inspect.Signature()


@dataclass(frozen=True)
class Command:
    """A registered command."""

    name: str
    function: Callable[..., Any]
    #: False for fire-and-forget commands: the sender is answered None at once.
    ack: bool = True
    #: Checks the arguments of a call (see bind); that of ``function`` by default.
    signature: inspect.Signature = field(repr=False, default=_SIGNATURE_OF_FUNCTION)
    #: Run even when the actor's mailbox is full (max_pending_calls): what an operator
    #: needs to see and stop a flooded actor. Such a command must return at once.
    control: bool = False

    def __post_init__(self) -> None:
        if self.signature is _SIGNATURE_OF_FUNCTION:
            # Frozen: set the way dataclasses set fields of frozen instances.
            object.__setattr__(self, "signature", inspect.signature(self.function))

    def bind(self, actor: Actor, args: Sequence[Any],
             kwargs: Mapping[str, Any]) -> inspect.BoundArguments:
        """Check the arguments against the signature; InvalidArgument if they do not fit."""
        try:
            return self.signature.bind(actor, *args, **kwargs)
        except TypeError as exc:
            raise InvalidArgument(f"bad arguments for command {self.name!r}: {exc}") from None


_COMMANDS: dict[str, Command] = {}


@overload
def command(ack: F, name: str | None = None, *, control: bool = False) -> F: ...


@overload
def command(ack: bool = True, name: str | None = None, *,
            control: bool = False) -> Callable[[F], F]: ...


def command(ack: bool | F = True, name: str | None = None, *,
            control: bool = False) -> F | Callable[[F], F]:
    """Decorator that makes ``fn(actor, *args, **kwargs)`` a command of every actor.

    ``ack=False`` makes it fire and forget: the sender gets ``None`` as soon as the
    message is received and the command runs afterwards. ``name`` defaults to the
    function's name. ``control=True``: answered even when the mailbox is full.
    """
    if callable(ack):
        # Used bare, as ``@command``.
        return command()(ack)

    def decorator(fn: F) -> F:
        cmd_name = name or fn.__name__
        # A command is also a "module:function" reference of its module (for ``run``).
        register_reference(fn)
        _COMMANDS[cmd_name] = Command(cmd_name, fn, ack, inspect.signature(fn), control)
        # An attribute of the function object, which mypy types without attributes.
        fn.command = _COMMANDS[cmd_name]  # type: ignore[attr-defined]
        return fn

    return decorator


def get_command(action: str) -> Command:
    """The command called ``action``; CommandNotFound when there is none."""
    try:
        return _COMMANDS[action]
    except KeyError:
        raise CommandNotFound(f"unknown command {shown(action)}") from None


def command_names() -> list[str]:
    """Names of every registered command, sorted."""
    return sorted(_COMMANDS)


# --- the standard commands -------------------------------------------------------


@command(control=True)
def ping(actor: Actor) -> str:
    """Answer "pong"."""
    return "pong"


@command()
def echo(actor: Actor, message: Any = None) -> Any:
    """Return the message unchanged."""
    return message


@command(control=True)
def info(actor: Actor) -> dict[str, Any]:
    """Return the actor's info dictionary (see ``Actor.info``)."""
    return actor.info()


@command()
def notify(actor: Actor, message: Any = None) -> float:
    """Record a notification from another actor in ``actor.notifications``; return the time."""
    now = time.time()
    actor.record_notification(message, now)
    return now


@command(control=True)
def stop(actor: Actor) -> None:
    """Stop the actor gracefully, after answering the caller."""
    actor.stop_soon("stop command")
    return None


@command()
async def run(actor: Actor, reference: object, *args: Any, **kwargs: Any) -> Any:
    """Call ``function(actor, *args, **kwargs)`` for ``reference`` = "module:function".

    Only functions that an allowed module registered with ``@hook`` or
    ``@command`` can be called (see ``actorgrpc.actor.hooks``).
    """
    function = actor.hooks.resolve(reference)
    result = function(actor, *args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


@command()
async def spawn(actor: Actor, **params: Any) -> dict[str, Any]:
    """Spawn a new actor from this one; return its ``aid``, ``name`` and ``address``."""
    proxy = await actor.spawn(**params)
    return proxy.as_dict()


@command(control=True)
def commands(actor: Actor) -> list[str]:
    """List the names of the commands this actor understands."""
    return command_names()
