"""The structural types of the supervisor side: launchers, the record they start,
and plugins.

Types only (nothing here runs). ``ActorRecord`` (actorgrpc.supervisor.record)
satisfies ``LaunchRecord``; each launcher of ``actorgrpc.supervisor.launchers``
satisfies ``Launcher``; the metrics endpoint and the dashboard (actorgrpc.ops)
satisfy ``Plugin``. Annotations name these so that a launcher, a plugin or a test
double needs no base class, and so that what a launcher may touch of a record is
written down in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from actorgrpc.contract.spawn_spec import SpawnSpec
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.supervisor.handles import ProcessHandle
    from actorgrpc.supervisor.record import Load

__all__ = ["LaunchRecord", "Launcher", "Plugin", "Supervisor"]


class Supervisor(Protocol):
    """The supervisor a record names (a Monitor); None stands for the arbiter."""

    @property
    def aid(self) -> str: ...


class LaunchRecord(Protocol):
    """One incarnation of an actor, as a launcher and a process handle see it:
    what to start, and how to report what became of it."""

    aid: str
    name: str
    kind: str
    spec: SpawnSpec
    #: Its mailbox address (a thread actor shares the arbiter's).
    address: str
    #: Where its output goes.
    log_path: str | None
    #: The one-time secret its hello must carry (None once used, or for a thread).
    secret: str | None
    handle: ProcessHandle | None
    exit_code: int | None
    #: Why it failed to start, if it did.
    failure: str
    stream_attached: bool

    @property
    def monitor(self) -> Supervisor | None:
        """The Monitor that supervises it; None for the arbiter's own children.
        (Read-only here: a launcher never moves a record to another supervisor.)"""

    def launched(self, pid: int, handle: ProcessHandle) -> None:
        """Its process (or thread) exists."""

    def on_beat(self, state: int | None, load: Load | None = None) -> None:
        """A heartbeat (or, for a thread actor, its boot) with its state."""

    def on_failure(self, message: str, remote_type: str = "") -> None:
        """It failed to start."""

    def on_exit(self, code: int) -> None:
        """Its process (or thread) is gone: code, or minus the signal number."""

    def order_stop(self, reason: str, timeout: float) -> None:
        """Send a stop order down its heartbeat stream."""

    async def join(self, timeout: float | None = None) -> bool:
        """Wait until it has exited; False if ``timeout`` passed first."""
        ...


class Launcher(Protocol):
    """Starts the actors of one kind (process, exec, thread)."""

    async def start(self, record: LaunchRecord) -> None:
        """Start the actor of ``record``; report its launch, failure and exit to it."""

    async def close(self) -> None:
        """Stop what the launcher itself runs (a fork server); not the actors."""


class Plugin(Protocol):
    """What runs beside an arbiter (``Arbiter(plugins=[...])``): the metrics
    endpoint, the dashboard. Started once the arbiter serves, stopped after its
    actors, in reverse order."""

    async def start(self, arbiter: Arbiter) -> None: ...

    async def stop(self) -> None: ...


if TYPE_CHECKING:
    # The concrete classes satisfy the protocols (checked by mypy, not at run time).
    from actorgrpc.supervisor.record import ActorRecord

    def _record_is_a_launch_record(record: ActorRecord) -> LaunchRecord:
        return record
