"""The parameters of a new actor, from keyword arguments or from a SpawnRequest."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

from actorgrpc.contract.consts import DEFAULT_ACTOR_TIMEOUT, KIND_EXEC, KIND_PROCESS, KIND_THREAD
from actorgrpc.contract.enums import (
    kind_from_wire,
    kind_to_wire,
    restart_from_wire,
    restart_to_wire,
)
from actorgrpc.contract.errors import InvalidArgument, shown
from actorgrpc.contract.references import reference_of
from actorgrpc.contract.values import from_struct, to_struct
from actorgrpc.v1 import arbiter_pb2

__all__ = ["SpawnSpec"]

#: What an aid looks like (see Arbiter.spawn_record); no name may look like one.
_AID_SHAPED = re.compile(r"[0-9a-f]{12}")
HOOK_FIELDS = ("start", "stopping", "periodic_task")


def checked(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` validated by the schema (InvalidArgument naming the first problem)."""
    from pydantic import ValidationError

    from actorgrpc.contract.schema import SpawnParams, invalid_argument

    try:
        model = SpawnParams.model_validate(params)
    except ValidationError as error:
        raise invalid_argument(error, "spawn") from None
    return {name: getattr(model, name) for name in params}


@dataclass
class SpawnSpec:
    """Everything needed to start one actor."""

    name: str = ""
    kind: str = KIND_PROCESS
    #: Hooks: "module:function" references, or functions (thread actors only).
    start: Any = None
    stopping: Any = None
    periodic_task: Any = None
    timeout: float = DEFAULT_ACTOR_TIMEOUT
    extra: dict[str, Any] = field(default_factory=dict)
    monitor: str = ""
    periodic_interval: float = 1.0
    #: "permanent", "transient" or "temporary"; empty = the supervisor's default.
    restart: str = ""
    #: For kind "exec": the name of a program the operator registered.
    program: str = ""
    #: In a cluster: the host to run on (an arbiter's advertised HOST:PORT); empty =
    #: the placement policy's choice. Ignored outside a cluster.
    host: str = ""

    @classmethod
    def from_kwargs(cls, **params: Any) -> SpawnSpec:
        spec = cls(**checked({k: v for k, v in params.items() if v is not None}))
        spec.validate()
        return spec

    @classmethod
    def from_request(cls, request: arbiter_pb2.SpawnRequest) -> SpawnSpec:
        spec = cls(
            name=request.name,
            kind=kind_from_wire(request.kind, KIND_PROCESS),
            start=request.start or None,
            stopping=request.stopping or None,
            periodic_task=request.periodic_task or None,
            timeout=request.timeout_seconds or DEFAULT_ACTOR_TIMEOUT,
            extra=from_struct(request.extra),
            monitor=request.monitor,
            periodic_interval=request.periodic_interval_seconds or 1.0,
            restart=restart_from_wire(request.restart),
            program=request.program,
            host=request.host,
        )
        spec.validate()
        return spec

    def validate(self) -> None:
        """The schema's checks (types, ranges, shapes: actorgrpc.contract.schema), then
        the rules between fields."""
        checked({f.name: getattr(self, f.name) for f in fields(self)})
        if self.name in ("arbiter", "monitor"):
            raise InvalidArgument(f"the name {self.name!r} is reserved")
        if _AID_SHAPED.fullmatch(self.name):
            # Names and aids share one namespace of targets: such a name would
            # capture every call meant for the actor whose aid it is.
            raise InvalidArgument(f"bad actor name {shown(self.name)}: it looks like an aid "
                                  "(12 hexadecimal digits)")
        if self.kind == KIND_EXEC:
            if not self.program:
                raise InvalidArgument("an exec actor needs `program`: the name of a program "
                                      "the operator registered")
            if any(getattr(self, hook) for hook in HOOK_FIELDS):
                raise InvalidArgument("hooks are for Python actors; an exec actor's program "
                                      "runs its own start and stop code")
        elif self.program:
            raise InvalidArgument("`program` is only for kind \"exec\"")
        if self.kind != KIND_THREAD:
            # Functions cannot cross into another process: keep their references.
            for hook in HOOK_FIELDS:
                setattr(self, hook, reference_of(getattr(self, hook)) or None)

    def references(self) -> dict[str, str]:
        """The hooks that are given as "module:function" strings."""
        return {hook: getattr(self, hook) for hook in HOOK_FIELDS
                if isinstance(getattr(self, hook), str)}

    def to_request(self) -> arbiter_pb2.SpawnRequest:
        return arbiter_pb2.SpawnRequest(
            name=self.name, kind=kind_to_wire(self.kind),
            start=reference_of(self.start), stopping=reference_of(self.stopping),
            periodic_task=reference_of(self.periodic_task), timeout_seconds=self.timeout,
            extra=to_struct(self.extra, "extra"), monitor=self.monitor,
            periodic_interval_seconds=self.periodic_interval,
            restart=restart_to_wire(self.restart), program=self.program,
            host=self.host)
