from actorgrpc.v1 import actor_pb2 as _actor_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TokenRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOKEN_ROLE_UNSPECIFIED: _ClassVar[TokenRole]
    TOKEN_ROLE_READ: _ClassVar[TokenRole]
    TOKEN_ROLE_ADMIN: _ClassVar[TokenRole]
    TOKEN_ROLE_INTERNAL: _ClassVar[TokenRole]
TOKEN_ROLE_UNSPECIFIED: TokenRole
TOKEN_ROLE_READ: TokenRole
TOKEN_ROLE_ADMIN: TokenRole
TOKEN_ROLE_INTERNAL: TokenRole

class HeartbeatRequest(_message.Message):
    __slots__ = ("hello", "beat", "failure")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    BEAT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    beat: Beat
    failure: _actor_pb2.Failure
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., beat: _Optional[_Union[Beat, _Mapping]] = ..., failure: _Optional[_Union[_actor_pb2.Failure, _Mapping]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("aid", "name", "pid", "address", "kind", "beat", "secret", "runtime")
    AID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    BEAT_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    RUNTIME_FIELD_NUMBER: _ClassVar[int]
    aid: str
    name: str
    pid: int
    address: str
    kind: _actor_pb2.ActorKind
    beat: Beat
    secret: str
    runtime: str
    def __init__(self, aid: _Optional[str] = ..., name: _Optional[str] = ..., pid: _Optional[int] = ..., address: _Optional[str] = ..., kind: _Optional[_Union[_actor_pb2.ActorKind, str]] = ..., beat: _Optional[_Union[Beat, _Mapping]] = ..., secret: _Optional[str] = ..., runtime: _Optional[str] = ...) -> None: ...

class Beat(_message.Message):
    __slots__ = ("state", "memory_rss_bytes", "cpu_percent", "mailbox_depth", "processed", "processed_by_action")
    class ProcessedByActionEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    STATE_FIELD_NUMBER: _ClassVar[int]
    MEMORY_RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_DEPTH_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_BY_ACTION_FIELD_NUMBER: _ClassVar[int]
    state: _actor_pb2.ActorState
    memory_rss_bytes: int
    cpu_percent: float
    mailbox_depth: int
    processed: int
    processed_by_action: _containers.ScalarMap[str, int]
    def __init__(self, state: _Optional[_Union[_actor_pb2.ActorState, str]] = ..., memory_rss_bytes: _Optional[int] = ..., cpu_percent: _Optional[float] = ..., mailbox_depth: _Optional[int] = ..., processed: _Optional[int] = ..., processed_by_action: _Optional[_Mapping[str, int]] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("welcome", "stop")
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    welcome: Welcome
    stop: StopOrder
    def __init__(self, welcome: _Optional[_Union[Welcome, _Mapping]] = ..., stop: _Optional[_Union[StopOrder, _Mapping]] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("heartbeat_interval_seconds",)
    HEARTBEAT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    heartbeat_interval_seconds: float
    def __init__(self, heartbeat_interval_seconds: _Optional[float] = ...) -> None: ...

class StopOrder(_message.Message):
    __slots__ = ("reason", "timeout_seconds")
    REASON_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    reason: str
    timeout_seconds: float
    def __init__(self, reason: _Optional[str] = ..., timeout_seconds: _Optional[float] = ...) -> None: ...

class ActorBoot(_message.Message):
    __slots__ = ("aid", "name", "monitor_address", "secret", "mailbox_host", "credential", "accepted_tokens", "tls", "extra", "max_message_bytes", "monitor")
    AID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MONITOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    MAILBOX_HOST_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TLS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MONITOR_FIELD_NUMBER: _ClassVar[int]
    aid: str
    name: str
    monitor_address: str
    secret: str
    mailbox_host: str
    credential: str
    accepted_tokens: _containers.RepeatedCompositeFieldContainer[AcceptedToken]
    tls: TlsFiles
    extra: _struct_pb2.Struct
    max_message_bytes: int
    monitor: str
    def __init__(self, aid: _Optional[str] = ..., name: _Optional[str] = ..., monitor_address: _Optional[str] = ..., secret: _Optional[str] = ..., mailbox_host: _Optional[str] = ..., credential: _Optional[str] = ..., accepted_tokens: _Optional[_Iterable[_Union[AcceptedToken, _Mapping]]] = ..., tls: _Optional[_Union[TlsFiles, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., max_message_bytes: _Optional[int] = ..., monitor: _Optional[str] = ...) -> None: ...

class AcceptedToken(_message.Message):
    __slots__ = ("sha256_hex", "role")
    SHA256_HEX_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    sha256_hex: str
    role: TokenRole
    def __init__(self, sha256_hex: _Optional[str] = ..., role: _Optional[_Union[TokenRole, str]] = ...) -> None: ...

class TlsFiles(_message.Message):
    __slots__ = ("cert_file", "key_file", "ca_file", "client_ca_file", "server_name")
    CERT_FILE_FIELD_NUMBER: _ClassVar[int]
    KEY_FILE_FIELD_NUMBER: _ClassVar[int]
    CA_FILE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_CA_FILE_FIELD_NUMBER: _ClassVar[int]
    SERVER_NAME_FIELD_NUMBER: _ClassVar[int]
    cert_file: str
    key_file: str
    ca_file: str
    client_ca_file: str
    server_name: str
    def __init__(self, cert_file: _Optional[str] = ..., key_file: _Optional[str] = ..., ca_file: _Optional[str] = ..., client_ca_file: _Optional[str] = ..., server_name: _Optional[str] = ...) -> None: ...
