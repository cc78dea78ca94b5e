"""actorgrpc: supervised actors that talk gRPC.

The public API; everything else is internal. Names are imported on first use, so
``import actorgrpc`` in a client loads neither the server nor the supervisor, and has
no side effects (``from actorgrpc import connect`` loads only the client side).

The package, along its process lines (each layer imports only from those below it;
``make lint`` checks it with import-linter):

* ``actorgrpc.ops``: the command line, console rendering, configuration, metrics,
  HTTP endpoints, dashboard;
* ``actorgrpc.supervisor``: the arbiter, its supervision tree, registry, launchers
  (fork server, EXEC programs), gRPC services, output capture;
* ``actorgrpc.actor``: the Actor, commands and hooks, the mailbox server, an actor
  process's life;
* ``actorgrpc.client``: ``connect``, target routing, the mailbox stream client;
* ``actorgrpc.transport``: channels and servers, tokens, TLS;
* ``actorgrpc.contract``: errors, values, the wire codec, framing, and
  ``actorgrpc.v1``, the generated code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name → the module that defines it.
_PUBLIC = {
    "ACTOR_ACTION_TIMEOUT": "actorgrpc.contract.consts",
    "ACTOR_STATES": "actorgrpc.contract.consts",
    "DEFAULT_SEND_TIMEOUT": "actorgrpc.contract.consts",
    "MONITOR_TASK_PERIOD": "actorgrpc.contract.consts",
    "ActorError": "actorgrpc.contract.errors",
    "ActorAlreadyExists": "actorgrpc.contract.errors",
    "ActorNotFound": "actorgrpc.contract.errors",
    "ActorTimeout": "actorgrpc.contract.errors",
    "ActorUnavailable": "actorgrpc.contract.errors",
    "CommandError": "actorgrpc.contract.errors",
    "CommandNotFound": "actorgrpc.contract.errors",
    "InvalidArgument": "actorgrpc.contract.errors",
    "MessageTooLarge": "actorgrpc.contract.errors",
    "PermissionDenied": "actorgrpc.contract.errors",
    "ResourceExhausted": "actorgrpc.contract.errors",
    "SpawnError": "actorgrpc.contract.errors",
    "Unauthenticated": "actorgrpc.contract.errors",
    "ActorProxy": "actorgrpc.contract.proxy",
    "Client": "actorgrpc.client.connect",
    "connect": "actorgrpc.client.connect",
    "Actor": "actorgrpc.actor.core",
    "command": "actorgrpc.actor.commands",
    "hook": "actorgrpc.actor.hooks",
    "get_actor": "actorgrpc.actor.context",
    "send": "actorgrpc.actor.api",
    "spawn": "actorgrpc.actor.api",
    "Concurrency": "actorgrpc.actor.runtime",
    "Arbiter": "actorgrpc.supervisor.arbiter",
    "arbiter": "actorgrpc.supervisor.arbiter",
    "Monitor": "actorgrpc.supervisor.monitor",
    # pulsar's names that add nothing of their own (see actorgrpc.compat).
    "ActorProxyMonitor": "actorgrpc.compat",
    "ArbiterConcurrency": "actorgrpc.compat",
    "ProcessConcurrency": "actorgrpc.compat",
}

__all__ = [
    "ACTOR_ACTION_TIMEOUT",
    "ACTOR_STATES",
    "Actor",
    "ActorAlreadyExists",
    "ActorError",
    "ActorNotFound",
    "ActorProxy",
    "ActorProxyMonitor",
    "ActorTimeout",
    "ActorUnavailable",
    "Arbiter",
    "ArbiterConcurrency",
    "Client",
    "CommandError",
    "CommandNotFound",
    "Concurrency",
    "DEFAULT_SEND_TIMEOUT",
    "InvalidArgument",
    "MONITOR_TASK_PERIOD",
    "MessageTooLarge",
    "Monitor",
    "PermissionDenied",
    "ProcessConcurrency",
    "ResourceExhausted",
    "SpawnError",
    "Unauthenticated",
    "arbiter",
    "command",
    "connect",
    "get_actor",
    "hook",
    "send",
    "spawn",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'actorgrpc' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


if TYPE_CHECKING:  # what type checkers and IDEs see; nothing is imported at run time
    from actorgrpc.actor.api import send, spawn
    from actorgrpc.actor.commands import command
    from actorgrpc.actor.context import get_actor
    from actorgrpc.actor.core import Actor
    from actorgrpc.actor.hooks import hook
    from actorgrpc.actor.runtime import Concurrency
    from actorgrpc.client.connect import Client, connect
    from actorgrpc.compat import ActorProxyMonitor, ArbiterConcurrency, ProcessConcurrency
    from actorgrpc.contract.consts import (
        ACTOR_ACTION_TIMEOUT,
        ACTOR_STATES,
        DEFAULT_SEND_TIMEOUT,
        MONITOR_TASK_PERIOD,
    )
    from actorgrpc.contract.errors import (
        ActorAlreadyExists,
        ActorError,
        ActorNotFound,
        ActorTimeout,
        ActorUnavailable,
        CommandError,
        CommandNotFound,
        InvalidArgument,
        MessageTooLarge,
        PermissionDenied,
        ResourceExhausted,
        SpawnError,
        Unauthenticated,
    )
    from actorgrpc.contract.proxy import ActorProxy
    from actorgrpc.supervisor.arbiter import Arbiter, arbiter
    from actorgrpc.supervisor.monitor import Monitor
