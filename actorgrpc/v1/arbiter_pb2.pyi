import datetime

from actorgrpc.v1 import actor_pb2 as _actor_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ActorEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTOR_EVENT_TYPE_UNSPECIFIED: _ClassVar[ActorEventType]
    ACTOR_EVENT_TYPE_EXISTING: _ClassVar[ActorEventType]
    ACTOR_EVENT_TYPE_SPAWNED: _ClassVar[ActorEventType]
    ACTOR_EVENT_TYPE_RUNNING: _ClassVar[ActorEventType]
    ACTOR_EVENT_TYPE_STOPPING: _ClassVar[ActorEventType]
    ACTOR_EVENT_TYPE_EXITED: _ClassVar[ActorEventType]
    ACTOR_EVENT_TYPE_RESTARTED: _ClassVar[ActorEventType]
    ACTOR_EVENT_TYPE_HUNG: _ClassVar[ActorEventType]
    ACTOR_EVENT_TYPE_FAILED: _ClassVar[ActorEventType]
    ACTOR_EVENT_TYPE_GAVE_UP: _ClassVar[ActorEventType]
ACTOR_EVENT_TYPE_UNSPECIFIED: ActorEventType
ACTOR_EVENT_TYPE_EXISTING: ActorEventType
ACTOR_EVENT_TYPE_SPAWNED: ActorEventType
ACTOR_EVENT_TYPE_RUNNING: ActorEventType
ACTOR_EVENT_TYPE_STOPPING: ActorEventType
ACTOR_EVENT_TYPE_EXITED: ActorEventType
ACTOR_EVENT_TYPE_RESTARTED: ActorEventType
ACTOR_EVENT_TYPE_HUNG: ActorEventType
ACTOR_EVENT_TYPE_FAILED: ActorEventType
ACTOR_EVENT_TYPE_GAVE_UP: ActorEventType

class SpawnRequest(_message.Message):
    __slots__ = ("name", "kind", "start", "stopping", "periodic_task", "timeout_seconds", "extra", "monitor", "periodic_interval_seconds", "restart", "program", "host")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    STOPPING_FIELD_NUMBER: _ClassVar[int]
    PERIODIC_TASK_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    MONITOR_FIELD_NUMBER: _ClassVar[int]
    PERIODIC_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RESTART_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: _actor_pb2.ActorKind
    start: str
    stopping: str
    periodic_task: str
    timeout_seconds: float
    extra: _struct_pb2.Struct
    monitor: str
    periodic_interval_seconds: float
    restart: _actor_pb2.RestartType
    program: str
    host: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[_actor_pb2.ActorKind, str]] = ..., start: _Optional[str] = ..., stopping: _Optional[str] = ..., periodic_task: _Optional[str] = ..., timeout_seconds: _Optional[float] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., monitor: _Optional[str] = ..., periodic_interval_seconds: _Optional[float] = ..., restart: _Optional[_Union[_actor_pb2.RestartType, str]] = ..., program: _Optional[str] = ..., host: _Optional[str] = ...) -> None: ...

class SpawnResponse(_message.Message):
    __slots__ = ("actor",)
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    actor: _actor_pb2.ActorRef
    def __init__(self, actor: _Optional[_Union[_actor_pb2.ActorRef, _Mapping]] = ...) -> None: ...

class SendRequest(_message.Message):
    __slots__ = ("target", "action", "args", "kwargs", "timeout_seconds")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    KWARGS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    target: str
    action: str
    args: _struct_pb2.ListValue
    kwargs: _struct_pb2.Struct
    timeout_seconds: float
    def __init__(self, target: _Optional[str] = ..., action: _Optional[str] = ..., args: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., kwargs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., timeout_seconds: _Optional[float] = ...) -> None: ...

class SendResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _struct_pb2.Value
    def __init__(self, result: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class InfoRequest(_message.Message):
    __slots__ = ("target",)
    TARGET_FIELD_NUMBER: _ClassVar[int]
    target: str
    def __init__(self, target: _Optional[str] = ...) -> None: ...

class InfoResponse(_message.Message):
    __slots__ = ("info",)
    INFO_FIELD_NUMBER: _ClassVar[int]
    info: _struct_pb2.Struct
    def __init__(self, info: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class StopRequest(_message.Message):
    __slots__ = ("target",)
    TARGET_FIELD_NUMBER: _ClassVar[int]
    target: str
    def __init__(self, target: _Optional[str] = ...) -> None: ...

class StopResponse(_message.Message):
    __slots__ = ("actor", "exit_code")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    actor: _actor_pb2.ActorRef
    exit_code: int
    def __init__(self, actor: _Optional[_Union[_actor_pb2.ActorRef, _Mapping]] = ..., exit_code: _Optional[int] = ...) -> None: ...

class ListActorsRequest(_message.Message):
    __slots__ = ("name_prefix", "state", "monitor", "page_size", "page_token", "include_exited", "cluster")
    NAME_PREFIX_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MONITOR_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_EXITED_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    name_prefix: str
    state: _actor_pb2.ActorState
    monitor: str
    page_size: int
    page_token: str
    include_exited: bool
    cluster: bool
    def __init__(self, name_prefix: _Optional[str] = ..., state: _Optional[_Union[_actor_pb2.ActorState, str]] = ..., monitor: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_exited: _Optional[bool] = ..., cluster: _Optional[bool] = ...) -> None: ...

class ListActorsResponse(_message.Message):
    __slots__ = ("actors", "next_page_token")
    ACTORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    actors: _containers.RepeatedCompositeFieldContainer[_actor_pb2.ActorSummary]
    next_page_token: str
    def __init__(self, actors: _Optional[_Iterable[_Union[_actor_pb2.ActorSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetActorRequest(_message.Message):
    __slots__ = ("target", "wait_seconds")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    target: str
    wait_seconds: float
    def __init__(self, target: _Optional[str] = ..., wait_seconds: _Optional[float] = ...) -> None: ...

class GetActorResponse(_message.Message):
    __slots__ = ("actor",)
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    actor: _actor_pb2.ActorSummary
    def __init__(self, actor: _Optional[_Union[_actor_pb2.ActorSummary, _Mapping]] = ...) -> None: ...

class WatchActorsRequest(_message.Message):
    __slots__ = ("name_prefix", "include_existing", "cluster")
    NAME_PREFIX_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_EXISTING_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    name_prefix: str
    include_existing: bool
    cluster: bool
    def __init__(self, name_prefix: _Optional[str] = ..., include_existing: _Optional[bool] = ..., cluster: _Optional[bool] = ...) -> None: ...

class WatchActorsResponse(_message.Message):
    __slots__ = ("type", "actor", "time", "detail")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    type: ActorEventType
    actor: _actor_pb2.ActorSummary
    time: _timestamp_pb2.Timestamp
    detail: str
    def __init__(self, type: _Optional[_Union[ActorEventType, str]] = ..., actor: _Optional[_Union[_actor_pb2.ActorSummary, _Mapping]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detail: _Optional[str] = ...) -> None: ...

class LogsRequest(_message.Message):
    __slots__ = ("target", "tail_lines", "follow")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TAIL_LINES_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    target: str
    tail_lines: int
    follow: bool
    def __init__(self, target: _Optional[str] = ..., tail_lines: _Optional[int] = ..., follow: _Optional[bool] = ...) -> None: ...

class LogsResponse(_message.Message):
    __slots__ = ("lines",)
    LINES_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, lines: _Optional[_Iterable[str]] = ...) -> None: ...
