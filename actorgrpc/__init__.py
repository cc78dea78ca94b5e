"""actorgrpc: supervised actors that talk gRPC.

The public API; everything else is internal.
"""

import os as _os

# Actor processes are started with fork+exec from a process that runs gRPC; gRPC's
# own fork handlers are for fork-without-exec and only print warnings here.
_os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

from .actor import Actor
from .api import send, spawn
from .arbiter import Arbiter, ArbiterConcurrency, arbiter
from .client import Client, connect
from .commands import command
from .consts import (ACTOR_ACTION_TIMEOUT, ACTOR_STATES, DEFAULT_SEND_TIMEOUT,
                     MONITOR_TASK_PERIOD)
from .context import get_actor
from .hooks import hook
from .errors import (ActorAlreadyExists, ActorError, ActorNotFound, ActorTimeout,
                     ActorUnavailable, CommandError, CommandNotFound, InvalidArgument,
                     MessageTooLarge, PermissionDenied, SpawnError,
                     Unauthenticated)
from .monitor import Monitor
from .process_actor import ProcessConcurrency
from .proxy import ActorProxy
from .runtime import Concurrency
from .supervision import ActorProxyMonitor

__version__ = "0.1.0"

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
