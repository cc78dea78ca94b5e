"""The v1 enums and Python's names for them, converted here and only here.

Python keeps pulsar's state numbers (``ACTOR_STATES.RUN == 3``) and plain strings
for kinds and restart types (``"process"``, ``"permanent"``); the wire has enums
whose zero means "not set". Every name shown to a person, in every client and in
JSON output, is the enum value's name without its prefix, in lower case
("running", "process", "permanent"): pulsar's state descriptions are exactly that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from actorgrpc.contract.consts import ACTOR_STATES
from actorgrpc.v1 import actor_pb2

if TYPE_CHECKING:
    from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

__all__ = [
    "state_to_wire", "state_from_wire", "state_name", "wire_state_name", "STATE_NAMES",
    "kind_to_wire", "kind_from_wire", "restart_to_wire", "restart_from_wire",
]

#: Wire number of a state = pulsar's number + 1 (0 is ACTOR_STATE_UNSPECIFIED).
_STATE_OFFSET = 1

#: "running" → pulsar's 3, and so on for every state.
STATE_NAMES: dict[str, int] = {name: number for number, name in
                               ACTOR_STATES.DESCRIPTION.items()}


# The casts below: protoc's .pyi types an enum field as its enum class, whose values
# are plain ints at run time.

def state_to_wire(state: int) -> actor_pb2.ActorState:
    return cast(actor_pb2.ActorState, state + _STATE_OFFSET)


def state_from_wire(value: int) -> int | None:
    """pulsar's number for a wire state; None for UNSPECIFIED (or unknown)."""
    state = value - _STATE_OFFSET
    return state if state in ACTOR_STATES.DESCRIPTION else None


def state_name(state: int) -> str:
    """"running" for ACTOR_STATES.RUN, and so on."""
    return ACTOR_STATES.DESCRIPTION.get(state, "unspecified")


def wire_state_name(value: int) -> str:
    """"running" for ACTOR_STATE_RUNNING, and so on."""
    state = state_from_wire(value)
    return "unspecified" if state is None else state_name(state)


def _short(enum_type: EnumTypeWrapper, prefix: str) -> dict[str, int]:
    return {name.removeprefix(prefix).lower(): number
            for name, number in enum_type.items() if number}


_KINDS = _short(actor_pb2.ActorKind, "ACTOR_KIND_")
_KIND_NAMES = {number: name for name, number in _KINDS.items()}
_RESTARTS = _short(actor_pb2.RestartType, "RESTART_TYPE_")
_RESTART_NAMES = {number: name for name, number in _RESTARTS.items()}


def kind_to_wire(kind: str) -> actor_pb2.ActorKind:
    return cast(actor_pb2.ActorKind, _KINDS.get(kind, 0))


def kind_from_wire(value: int, default: str = "") -> str:
    """"process" for ACTOR_KIND_PROCESS; ``default`` for UNSPECIFIED; a number no
    kind has comes back as "#N", which validation then refuses."""
    return _KIND_NAMES.get(value, f"#{value}") if value else default


def restart_to_wire(restart: str) -> actor_pb2.RestartType:
    return cast(actor_pb2.RestartType, _RESTARTS.get(restart, 0))


def restart_from_wire(value: int) -> str:
    """"permanent" for RESTART_TYPE_PERMANENT; "" (the supervisor's default) for 0;
    "#N" for a number no restart type has (refused by validation)."""
    return _RESTART_NAMES.get(value, f"#{value}") if value else ""
