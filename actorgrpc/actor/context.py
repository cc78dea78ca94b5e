"""Which actor controls the current thread (pulsar's ``get_actor``)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actorgrpc.actor.core import Actor

_local = threading.local()
_process_actor: Actor | None = None


def get_actor() -> Actor | None:
    """The actor of the current thread: a thread actor, else the process's actor or arbiter.

    None outside any actor (plain client code).
    """
    thread_actor: Actor | None = getattr(_local, "actor", None)
    return thread_actor or _process_actor


def set_actor(actor: Actor, *, process_wide: bool = False) -> None:
    """Make ``actor`` the actor of this thread (and of the whole process if asked)."""
    global _process_actor
    _local.actor = actor
    if process_wide:
        _process_actor = actor


def clear_actor(actor: Actor) -> None:
    """Forget ``actor`` wherever it was set in this thread or process."""
    global _process_actor
    if getattr(_local, "actor", None) is actor:
        _local.actor = None
    if _process_actor is actor:
        _process_actor = None
