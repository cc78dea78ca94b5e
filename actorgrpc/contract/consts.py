"""Constants shared by the arbiter, monitors and actors (pulsar's names and numbers)."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Final, cast

if TYPE_CHECKING:
    class _ActorStates:
        """What ACTOR_STATES holds (a SimpleNamespace at run time, as in pulsar)."""

        INITIAL: int
        INACTIVE: int
        STARTING: int
        RUN: int
        STOPPING: int
        CLOSE: int
        TERMINATE: int
        DESCRIPTION: dict[int, str]

#: Actor life-cycle states, with pulsar's numbers, names and descriptions.
ACTOR_STATES = cast("_ActorStates", types.SimpleNamespace(
    INITIAL=0,
    INACTIVE=1,
    STARTING=2,
    RUN=3,
    STOPPING=4,
    CLOSE=5,
    TERMINATE=6,
    DESCRIPTION={
        0: "initial",
        1: "inactive",
        2: "starting",
        3: "running",
        4: "stopping",
        5: "closed",
        6: "terminated",
    },
))

#: Seconds a monitor waits at each step of stop → terminate → kill.
ACTOR_ACTION_TIMEOUT = 5.0

#: Seconds between two runs of a monitor's and the arbiter's periodic task.
MONITOR_TASK_PERIOD = 1.0

#: Seconds between two heartbeats of an actor (sent to it in the Welcome).
HEARTBEAT_INTERVAL = 1.0

#: Seconds without a heartbeat after which an actor is declared hung (pulsar's 30).
DEFAULT_ACTOR_TIMEOUT = 30.0

#: Seconds a ``send`` waits for its result unless told otherwise.
DEFAULT_SEND_TIMEOUT = 5.0

#: Seconds a spawned process may take to boot and say hello.
DEFAULT_SPAWN_TIMEOUT = 30.0

#: Largest gRPC message accepted or sent, in bytes.
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024

#: Most seconds a lookup or send waits for a restart under way (more than the
#: default backoff's maximum, 10 s): a call with a longer or no timeout waits no
#: longer for the new incarnation.
MAX_RESTART_WAIT = 60.0

#: Where ``actorgrpc serve`` listens unless told otherwise.
DEFAULT_BIND = "127.0.0.1:7070"

#: The line prefix ``actorgrpc serve`` prints on stdout once it accepts calls.
READY_LINE_PREFIX = "actorgrpc serving on "

#: Reserved targets of ``send``.
ARBITER_TARGET = "arbiter"
MONITOR_TARGET = "monitor"

#: Kinds of actors.
KIND_PROCESS: Final = "process"
KIND_THREAD: Final = "thread"
KIND_MONITOR: Final = "monitor"
KIND_ARBITER: Final = "arbiter"
KIND_EXEC: Final = "exec"
SPAWNABLE_KINDS = (KIND_PROCESS, KIND_THREAD, KIND_EXEC)
#: Kinds whose actor has an OS process of its own (heartbeats, signals, output).
OWN_PROCESS_KINDS = (KIND_PROCESS, KIND_EXEC)

#: Restart types (Erlang/OTP's): which exits a supervisor restarts.
PERMANENT = "permanent"
TRANSIENT = "transient"
TEMPORARY = "temporary"
RESTART_TYPES = (PERMANENT, TRANSIENT, TEMPORARY)
