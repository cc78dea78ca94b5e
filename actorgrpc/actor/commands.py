"""The ``@command`` decorator, the table of commands and the standard commands.

A command is a function ``fn(actor, *args, **kwargs)`` that an actor runs when it
receives a message naming it. Commands come from this module (the standard ones)
and from the modules the operator allows with ``-m``: importing such a module
registers its ``@command`` functions, so every actor imports them at boot.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from actorgrpc.contract.errors import CommandNotFound, InvalidArgument, shown
from actorgrpc.contract.references import register_reference

__all__ = ["command", "Command", "get_command", "command_names"]


@dataclass(frozen=True)
class Command:
    """A registered command."""

    name: str
    function: Callable[..., Any]
    #: False for fire-and-forget commands: the sender is answered None at once.
    ack: bool = True
    signature: inspect.Signature = field(repr=False, default=None)
    #: Run even when the actor's mailbox is full (max_pending_calls): what an operator
    #: needs to see and stop a flooded actor. Such a command must return at once.
    control: bool = False

    def bind(self, actor, args, kwargs) -> inspect.BoundArguments:
        """Check the arguments against the signature; InvalidArgument if they do not fit."""
        try:
            return self.signature.bind(actor, *args, **kwargs)
        except TypeError as exc:
            raise InvalidArgument(f"bad arguments for command {self.name!r}: {exc}") from None


_COMMANDS: dict[str, Command] = {}


def command(ack: bool = True, name: str | None = None, *, control: bool = False):
    """Decorator that makes ``fn(actor, *args, **kwargs)`` a command of every actor.

    ``ack=False`` makes it fire and forget: the sender gets ``None`` as soon as the
    message is received and the command runs afterwards. ``name`` defaults to the
    function's name. ``control=True``: answered even when the mailbox is full.
    """
    if callable(ack):
        # Used bare, as ``@command``.
        return command()(ack)

    def decorator(fn):
        cmd_name = name or fn.__name__
        # A command is also a "module:function" reference of its module (for ``run``).
        register_reference(fn)
        _COMMANDS[cmd_name] = Command(cmd_name, fn, ack, inspect.signature(fn), control)
        fn.command = _COMMANDS[cmd_name]
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
def ping(actor):
    """Answer "pong"."""
    return "pong"


@command()
def echo(actor, message=None):
    """Return the message unchanged."""
    return message


@command(control=True)
def info(actor):
    """Return the actor's info dictionary (see ``Actor.info``)."""
    return actor.info()


@command()
def notify(actor, message=None):
    """Record a notification from another actor in ``actor.notifications``; return the time."""
    now = time.time()
    actor.record_notification(message, now)
    return now


@command(control=True)
def stop(actor):
    """Stop the actor gracefully, after answering the caller."""
    actor.stop_soon("stop command")
    return None


@command()
async def run(actor, reference, *args, **kwargs):
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
async def spawn(actor, **params):
    """Spawn a new actor from this one; return its ``aid``, ``name`` and ``address``."""
    proxy = await actor.spawn(**params)
    return proxy.as_dict()


@command(control=True)
def commands(actor):
    """List the names of the commands this actor understands."""
    return command_names()
