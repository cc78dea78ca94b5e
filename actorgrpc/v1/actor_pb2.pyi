from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ActorState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTOR_STATE_UNSPECIFIED: _ClassVar[ActorState]
    ACTOR_STATE_INACTIVE: _ClassVar[ActorState]
    ACTOR_STATE_STARTING: _ClassVar[ActorState]
    ACTOR_STATE_RUN: _ClassVar[ActorState]
    ACTOR_STATE_STOPPING: _ClassVar[ActorState]
    ACTOR_STATE_CLOSE: _ClassVar[ActorState]
    ACTOR_STATE_TERMINATE: _ClassVar[ActorState]
ACTOR_STATE_UNSPECIFIED: ActorState
ACTOR_STATE_INACTIVE: ActorState
ACTOR_STATE_STARTING: ActorState
ACTOR_STATE_RUN: ActorState
ACTOR_STATE_STOPPING: ActorState
ACTOR_STATE_CLOSE: ActorState
ACTOR_STATE_TERMINATE: ActorState

class ActorRef(_message.Message):
    __slots__ = ("aid", "name", "address", "state")
    AID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    aid: str
    name: str
    address: str
    state: ActorState
    def __init__(self, aid: _Optional[str] = ..., name: _Optional[str] = ..., address: _Optional[str] = ..., state: _Optional[_Union[ActorState, str]] = ...) -> None: ...

class ActorSummary(_message.Message):
    __slots__ = ("actor", "kind", "pid", "monitor", "uptime_seconds", "restarts", "heartbeat_age_seconds", "memory_rss_bytes", "cpu_percent", "exit_code", "details")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    MONITOR_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RESTARTS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_AGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    actor: ActorRef
    kind: str
    pid: int
    monitor: str
    uptime_seconds: float
    restarts: int
    heartbeat_age_seconds: float
    memory_rss_bytes: int
    cpu_percent: float
    exit_code: int
    details: _struct_pb2.Struct
    def __init__(self, actor: _Optional[_Union[ActorRef, _Mapping]] = ..., kind: _Optional[str] = ..., pid: _Optional[int] = ..., monitor: _Optional[str] = ..., uptime_seconds: _Optional[float] = ..., restarts: _Optional[int] = ..., heartbeat_age_seconds: _Optional[float] = ..., memory_rss_bytes: _Optional[int] = ..., cpu_percent: _Optional[float] = ..., exit_code: _Optional[int] = ..., details: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Failure(_message.Message):
    __slots__ = ("code", "message", "type")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    type: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...
