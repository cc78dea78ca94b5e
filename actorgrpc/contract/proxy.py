"""Lightweight references to remote actors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actorgrpc.contract.consts import ACTOR_STATES
from actorgrpc.contract.enums import state_from_wire, state_to_wire
from actorgrpc.v1 import actor_pb2

__all__ = ["ActorProxy"]


@dataclass(frozen=True)
class ActorProxy:
    """A reference to an actor: enough to send it messages directly.

    Pass it as the target of ``send``; messages go straight to the actor's mailbox
    at ``address``, not through the arbiter. It is plain data and can be sent to
    other actors with ``as_dict()``.
    """

    aid: str
    name: str
    address: str
    state: int = ACTOR_STATES.RUN

    @classmethod
    def from_ref(cls, ref: actor_pb2.ActorRef) -> ActorProxy:
        state = state_from_wire(ref.state)
        return cls(ref.aid, ref.name, ref.address,
                   ACTOR_STATES.INITIAL if state is None else state)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActorProxy:
        return cls(data["aid"], data.get("name", data["aid"]), data["address"],
                   int(data.get("state", ACTOR_STATES.RUN)))

    def to_ref(self) -> actor_pb2.ActorRef:
        return actor_pb2.ActorRef(aid=self.aid, name=self.name, address=self.address,
                                  state=state_to_wire(self.state))

    def as_dict(self) -> dict[str, Any]:
        return {"aid": self.aid, "name": self.name, "address": self.address,
                "state": self.state}

    def __str__(self) -> str:
        return f"{self.name}({self.aid})"
