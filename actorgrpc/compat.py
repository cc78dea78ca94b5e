"""pulsar's names that add nothing of their own, kept in one place.

actorgrpc keeps pulsar's vocabulary (see ../shared/seed/pulsar-actors-api.txt): the
names below are aliases or views of what the classes already do under their own
names. The classes mix them in; new code uses the plain names.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Protocol

# The aliases (ActorProxyMonitor, ArbiterConcurrency, ProcessConcurrency) are
# resolved by __getattr__ below.
__all__ = ["PulsarActorNames", "PulsarArbiterNames", "PulsarRecordNames"]


class _ActorLike(Protocol):
    """What PulsarActorNames reads of the Actor it is mixed into."""

    @property
    def runtime(self) -> Any: ...
    @property
    def loop(self) -> Any: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def timeout(self) -> float: ...
    @property
    def periodic_interval(self) -> float: ...
    @property
    def extra(self) -> dict[str, Any]: ...
    @property
    def monitor_name(self) -> str: ...


class _ArbiterLike(Protocol):
    """What PulsarArbiterNames reads of the Arbiter it is mixed into."""

    @property
    def registry(self) -> Any: ...


class _RecordLike(Protocol):
    """What PulsarRecordNames reads of the ActorRecord it is mixed into."""

    @property
    def last_beat(self) -> float: ...
    def summary_dict(self) -> dict[str, Any]: ...


class PulsarActorNames:
    """pulsar's Actor surface: ``impl``, ``_loop``, ``mailbox``, ``stream``,
    ``actorparams``."""

    @property
    def impl(self: _ActorLike) -> Any:
        """The Concurrency bridge (``runtime``)."""
        return self.runtime

    @property
    def _loop(self: _ActorLike) -> Any:
        """The actor's event loop (``loop``)."""
        return self.loop

    @property
    def mailbox(self: _ActorLike) -> Any:
        """The MailboxHost that receives this actor's messages."""
        return getattr(self.runtime.router, "local_host", None) if self.runtime else None

    @property
    def stream(self) -> Any:
        """A stream to write information without the logger."""
        return sys.stderr

    def actorparams(self: _ActorLike) -> dict[str, Any]:
        """The parameters this actor was spawned with."""
        return {"name": self.name, "kind": self.kind, "timeout": self.timeout,
                "periodic_interval": self.periodic_interval, "extra": dict(self.extra),
                "monitor": self.monitor_name}


class PulsarArbiterNames:
    """pulsar's Arbiter collections: views of its registry."""

    @property
    def managed_actors(self: _ArbiterLike) -> dict[str, Any]:
        """Live actors spawned directly by the arbiter (not by a monitor)."""
        return {aid: r for aid, r in self.registry.live.items() if r.monitor is None}

    @property
    def terminated_actors(self: _ArbiterLike) -> dict[str, Any]:
        return dict(self.registry.exited)

    @property
    def registered(self: _ArbiterLike) -> dict[str, Any]:
        return dict(self.registry.names)


class PulsarRecordNames:
    """pulsar's ActorProxyMonitor surface on the arbiter's record of an actor."""

    @property
    def info(self: _RecordLike) -> dict[str, Any]:
        return self.summary_dict()

    @property
    def notified(self: _RecordLike) -> float:
        """Monotonic time of the last heartbeat (``last_beat``)."""
        return self.last_beat


#: pulsar's class names → where the class lives under its own name.
_ALIASES = {
    "ActorProxyMonitor": ("actorgrpc.supervisor.record", "ActorRecord"),
    "ArbiterConcurrency": ("actorgrpc.supervisor.arbiter", "ArbiterConcurrency"),
    "ProcessConcurrency": ("actorgrpc.actor.process", "ProcessConcurrency"),
}


def __getattr__(name: str) -> Any:
    # Resolved on use: compat imports no layer of the package at import time.
    if name not in _ALIASES:
        raise AttributeError(f"module 'actorgrpc.compat' has no attribute {name!r}")
    module, attribute = _ALIASES[name]
    return getattr(importlib.import_module(module), attribute)
