"""One declarative schema for what an operator or a client may set: spawn parameters,
restart policies and (in actorgrpc.ops.config) the configuration file, which is built
from these same models. pydantic validates; every number of seconds is finite and
positive (NaN and the infinities are refused), every name has one shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from actorgrpc.contract.consts import DEFAULT_ACTOR_TIMEOUT, KIND_PROCESS
from actorgrpc.contract.errors import InvalidArgument

__all__ = ["SpawnParams", "WorkerParams", "RestartPolicyParams", "PositiveSeconds", "Seconds",
           "NAME_PATTERN",
           "invalid_argument", "StrictModel"]

#: A finite number of seconds > 0 (NaN and the infinities refused).
PositiveSeconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
#: A finite number of seconds >= 0.
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
#: Actor names: 1-128 letters, digits and _ . : @ - (not starting with punctuation).
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,127}$"
Count = Annotated[StrictInt, Field(ge=0)]


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo must not pass silently); values keep their type
    (``"3"`` is not a number, ``true`` is not 1)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class WorkerParams(StrictModel):
    """What a monitor's workers share with any spawned actor (all but name and monitor,
    which the monitor gives them)."""

    kind: Literal["process", "thread", "exec"] = KIND_PROCESS
    #: Hooks: "module:function" references; functions for in-process thread actors.
    start: Any = None
    stopping: Any = None
    periodic_task: Any = None
    timeout: PositiveSeconds = DEFAULT_ACTOR_TIMEOUT
    extra: dict[str, Any] = Field(default_factory=dict)
    periodic_interval: PositiveSeconds = 1.0
    restart: Literal["", "permanent", "transient", "temporary"] = ""
    program: str = ""

    @field_validator("start", "stopping", "periodic_task")
    @classmethod
    def _hook(cls, value: Any) -> Any:
        if value is None or isinstance(value, str) or callable(value):
            return value
        raise ValueError('expected "module:function" (or a function, in process)')


class SpawnParams(WorkerParams):
    """The parameters of one actor (Python API, SpawnRequest)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)] | Literal[""] = ""
    monitor: str = ""
    #: In a cluster: the host (an arbiter's advertised HOST:PORT) to run on.
    host: Annotated[str, Field(pattern=r"^(.+:[0-9]+)?$")] = ""


class RestartPolicyParams(StrictModel):
    """How a supervisor restarts (see actorgrpc.supervisor.restart)."""

    strategy: Literal["one_for_one", "one_for_all", "rest_for_one"] = "one_for_one"
    max_restarts: Count = 5
    max_seconds: PositiveSeconds = 10.0
    backoff_initial: Seconds = 0.1
    backoff_max: Seconds = 10.0
    backoff_jitter: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.2
    stable_seconds: Seconds = 5.0


def invalid_argument(error: ValidationError, what: str) -> InvalidArgument:
    """The first problem of a failed validation, as INVALID_ARGUMENT, in a few words."""
    first = error.errors(include_url=False)[0]
    # The field itself, not the branch of a union pydantic tried ("name.constrained-str").
    where = str(first["loc"][0]) if first["loc"] else what
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = f"unknown {what} parameter {where!r}"
        return InvalidArgument(message)
    if first["type"] == "string_pattern_mismatch" and where == "name":
        message = ("1-128 characters of letters, digits and _ . : @ - (not starting with "
                   "a punctuation mark)")
    return InvalidArgument(f"bad {what} parameter {where}: {message}")
