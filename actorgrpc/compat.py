"""pulsar's names that add nothing of their own, kept in one place.

actorgrpc keeps pulsar's vocabulary (see ../shared/seed/pulsar-actors-api.txt): the
names below are aliases or views of what the classes already do under their own
names. The classes mix them in; new code uses the plain names.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

# The aliases (ActorProxyMonitor, ArbiterConcurrency, ProcessConcurrency) are
# resolved by __getattr__ below.
__all__ = ["PulsarActorNames", "PulsarArbiterNames", "PulsarRecordNames"]


class PulsarActorNames:
    """pulsar's Actor surface: ``impl``, ``_loop``, ``mailbox``, ``stream``,
    ``actorparams``."""

    @property
    def impl(self):
        """The Concurrency bridge (``runtime``)."""
        return self.runtime

    @property
    def _loop(self):
        """The actor's event loop (``loop``)."""
        return self.loop

    @property
    def mailbox(self):
        """The MailboxHost that receives this actor's messages."""
        return getattr(self.runtime.router, "local_host", None) if self.runtime else None

    @property
    def stream(self):
        """A stream to write information without the logger."""
        return sys.stderr

    def actorparams(self) -> dict:
        """The parameters this actor was spawned with."""
        return {"name": self.name, "kind": self.kind, "timeout": self.timeout,
                "periodic_interval": self.periodic_interval, "extra": dict(self.extra),
                "monitor": self.monitor_name}


class PulsarArbiterNames:
    """pulsar's Arbiter collections: views of its registry."""

    @property
    def managed_actors(self) -> dict:
        """Live actors spawned directly by the arbiter (not by a monitor)."""
        return {aid: r for aid, r in self.registry.live.items() if r.monitor is None}

    @property
    def terminated_actors(self) -> dict:
        return dict(self.registry.exited)

    @property
    def registered(self) -> dict:
        return dict(self.registry.names)


class PulsarRecordNames:
    """pulsar's ActorProxyMonitor surface on the arbiter's record of an actor."""

    @property
    def info(self) -> dict:
        return self.summary_dict()

    @property
    def notified(self) -> float:
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
