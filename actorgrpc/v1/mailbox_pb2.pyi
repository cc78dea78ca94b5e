from actorgrpc.v1 import actor_pb2 as _actor_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CallRequest(_message.Message):
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

class CallResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _struct_pb2.Value
    def __init__(self, result: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class StreamRequest(_message.Message):
    __slots__ = ("envelopes",)
    ENVELOPES_FIELD_NUMBER: _ClassVar[int]
    envelopes: _containers.RepeatedCompositeFieldContainer[Envelope]
    def __init__(self, envelopes: _Optional[_Iterable[_Union[Envelope, _Mapping]]] = ...) -> None: ...

class Envelope(_message.Message):
    __slots__ = ("id", "target", "action", "tell", "timeout_seconds", "values", "args_json", "batch_args_json", "kwargs_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TELL_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    ARGS_JSON_FIELD_NUMBER: _ClassVar[int]
    BATCH_ARGS_JSON_FIELD_NUMBER: _ClassVar[int]
    KWARGS_JSON_FIELD_NUMBER: _ClassVar[int]
    id: int
    target: str
    action: str
    tell: bool
    timeout_seconds: float
    values: Arguments
    args_json: bytes
    batch_args_json: bytes
    kwargs_json: bytes
    def __init__(self, id: _Optional[int] = ..., target: _Optional[str] = ..., action: _Optional[str] = ..., tell: _Optional[bool] = ..., timeout_seconds: _Optional[float] = ..., values: _Optional[_Union[Arguments, _Mapping]] = ..., args_json: _Optional[bytes] = ..., batch_args_json: _Optional[bytes] = ..., kwargs_json: _Optional[bytes] = ...) -> None: ...

class Arguments(_message.Message):
    __slots__ = ("args", "kwargs")
    ARGS_FIELD_NUMBER: _ClassVar[int]
    KWARGS_FIELD_NUMBER: _ClassVar[int]
    args: _struct_pb2.ListValue
    kwargs: _struct_pb2.Struct
    def __init__(self, args: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., kwargs: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class StreamResponse(_message.Message):
    __slots__ = ("replies",)
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    replies: _containers.RepeatedCompositeFieldContainer[Reply]
    def __init__(self, replies: _Optional[_Iterable[_Union[Reply, _Mapping]]] = ...) -> None: ...

class Reply(_message.Message):
    __slots__ = ("id", "result", "failure", "result_json", "batch_results_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    BATCH_RESULTS_JSON_FIELD_NUMBER: _ClassVar[int]
    id: int
    result: _struct_pb2.Value
    failure: _actor_pb2.Failure
    result_json: bytes
    batch_results_json: bytes
    def __init__(self, id: _Optional[int] = ..., result: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., failure: _Optional[_Union[_actor_pb2.Failure, _Mapping]] = ..., result_json: _Optional[bytes] = ..., batch_results_json: _Optional[bytes] = ...) -> None: ...
