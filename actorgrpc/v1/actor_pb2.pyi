import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ActorState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTOR_STATE_UNSPECIFIED: _ClassVar[ActorState]
    ACTOR_STATE_INITIAL: _ClassVar[ActorState]
    ACTOR_STATE_INACTIVE: _ClassVar[ActorState]
    ACTOR_STATE_STARTING: _ClassVar[ActorState]
    ACTOR_STATE_RUNNING: _ClassVar[ActorState]
    ACTOR_STATE_STOPPING: _ClassVar[ActorState]
    ACTOR_STATE_CLOSED: _ClassVar[ActorState]
    ACTOR_STATE_TERMINATED: _ClassVar[ActorState]

class ActorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTOR_KIND_UNSPECIFIED: _ClassVar[ActorKind]
    ACTOR_KIND_PROCESS: _ClassVar[ActorKind]
    ACTOR_KIND_THREAD: _ClassVar[ActorKind]
    ACTOR_KIND_MONITOR: _ClassVar[ActorKind]
    ACTOR_KIND_ARBITER: _ClassVar[ActorKind]
    ACTOR_KIND_EXEC: _ClassVar[ActorKind]

class RestartType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESTART_TYPE_UNSPECIFIED: _ClassVar[RestartType]
    RESTART_TYPE_TEMPORARY: _ClassVar[RestartType]
    RESTART_TYPE_TRANSIENT: _ClassVar[RestartType]
    RESTART_TYPE_PERMANENT: _ClassVar[RestartType]
ACTOR_STATE_UNSPECIFIED: ActorState
ACTOR_STATE_INITIAL: ActorState
ACTOR_STATE_INACTIVE: ActorState
ACTOR_STATE_STARTING: ActorState
ACTOR_STATE_RUNNING: ActorState
ACTOR_STATE_STOPPING: ActorState
ACTOR_STATE_CLOSED: ActorState
ACTOR_STATE_TERMINATED: ActorState
ACTOR_KIND_UNSPECIFIED: ActorKind
ACTOR_KIND_PROCESS: ActorKind
ACTOR_KIND_THREAD: ActorKind
ACTOR_KIND_MONITOR: ActorKind
ACTOR_KIND_ARBITER: ActorKind
ACTOR_KIND_EXEC: ActorKind
RESTART_TYPE_UNSPECIFIED: RestartType
RESTART_TYPE_TEMPORARY: RestartType
RESTART_TYPE_TRANSIENT: RestartType
RESTART_TYPE_PERMANENT: RestartType

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

class CrashReport(_message.Message):
    __slots__ = ("exit_code", "exit_description", "exited_at", "stop_requested", "failure", "output_tail")
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    EXIT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EXITED_AT_FIELD_NUMBER: _ClassVar[int]
    STOP_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TAIL_FIELD_NUMBER: _ClassVar[int]
    exit_code: int
    exit_description: str
    exited_at: _timestamp_pb2.Timestamp
    stop_requested: bool
    failure: str
    output_tail: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, exit_code: _Optional[int] = ..., exit_description: _Optional[str] = ..., exited_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stop_requested: _Optional[bool] = ..., failure: _Optional[str] = ..., output_tail: _Optional[_Iterable[str]] = ...) -> None: ...

class ActorSummary(_message.Message):
    __slots__ = ("actor", "kind", "pid", "monitor", "created_at", "uptime_seconds", "restarts", "restart", "backoff_seconds", "heartbeat_age_seconds", "memory_rss_bytes", "cpu_percent", "mailbox_depth", "processed", "gave_up", "crash_report", "program", "host")
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    MONITOR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RESTARTS_FIELD_NUMBER: _ClassVar[int]
    RESTART_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_AGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_FIELD_NUMBER: _ClassVar[int]
    GAVE_UP_FIELD_NUMBER: _ClassVar[int]
    CRASH_REPORT_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    actor: ActorRef
    kind: ActorKind
    pid: int
    monitor: str
    created_at: _timestamp_pb2.Timestamp
    uptime_seconds: float
    restarts: int
    restart: RestartType
    backoff_seconds: float
    heartbeat_age_seconds: float
    memory_rss_bytes: int
    cpu_percent: float
    mailbox_depth: int
    processed: int
    gave_up: str
    crash_report: CrashReport
    program: str
    host: str
    def __init__(self, actor: _Optional[_Union[ActorRef, _Mapping]] = ..., kind: _Optional[_Union[ActorKind, str]] = ..., pid: _Optional[int] = ..., monitor: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., uptime_seconds: _Optional[float] = ..., restarts: _Optional[int] = ..., restart: _Optional[_Union[RestartType, str]] = ..., backoff_seconds: _Optional[float] = ..., heartbeat_age_seconds: _Optional[float] = ..., memory_rss_bytes: _Optional[int] = ..., cpu_percent: _Optional[float] = ..., mailbox_depth: _Optional[int] = ..., processed: _Optional[int] = ..., gave_up: _Optional[str] = ..., crash_report: _Optional[_Union[CrashReport, _Mapping]] = ..., program: _Optional[str] = ..., host: _Optional[str] = ...) -> None: ...

class Failure(_message.Message):
    __slots__ = ("code", "message", "type")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    type: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...
