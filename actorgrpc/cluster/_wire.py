"""etcd's wire types, bound to the client library: conversions and error mapping.

The only module besides etcd.py and watch.py that touches the library's generated
protos, and the one place where gRPC errors become the exceptions of errors.py.

``etcd3aio`` bundles etcd's generated protos (and the stubs) and puts them on
sys.path; importing them through it is what makes them load at all with protobuf 7.
``etcd3aio._protobuf`` is a private module of the library: the exact version is
pinned in constraints.txt (and the ``cluster`` extra allows only 0.3.x).
"""

from __future__ import annotations

import grpc
import grpc.aio
from etcd3aio._protobuf import kv_pb2, rpc_pb2, rpc_pb2_grpc

from .errors import EtcdAuthError, EtcdError, EtcdTimeout, EtcdUnavailable, LeaseNotFound
from .model import Event, EventType, KeyValue

__all__ = [
    "decode_key",
    "encode_key",
    "encode_value",
    "from_event",
    "from_kv",
    "kv_pb2",
    "map_error",
    "prefix_end",
    "prefix_range",
    "rpc_pb2",
    "rpc_pb2_grpc",
]


def encode_key(key: str) -> bytes:
    # surrogateescape: any bytes etcd holds round-trip through our str keys.
    return key.encode("utf-8", "surrogateescape")


def decode_key(key: bytes) -> str:
    return key.decode("utf-8", "surrogateescape")


def encode_value(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def prefix_end(prefix: str) -> bytes:
    """The exclusive end of the key range that holds every key starting with ``prefix``."""
    raw = bytearray(encode_key(prefix))
    for i in range(len(raw) - 1, -1, -1):
        if raw[i] < 0xFF:
            raw[i] += 1
            return bytes(raw[: i + 1])
    return b"\0"  # every byte is 0xff: etcd reads "\0" as "to the end of the keyspace"


def prefix_range(prefix: str) -> tuple[bytes, bytes]:
    """(key, range_end) of a prefix; the empty prefix is every key (etcd's "\\0", "\\0")."""
    return (encode_key(prefix), prefix_end(prefix)) if prefix else (b"\0", b"\0")


def from_kv(kv: kv_pb2.KeyValue) -> KeyValue:
    return KeyValue(key=decode_key(kv.key), value=bytes(kv.value),
                    create_revision=kv.create_revision, mod_revision=kv.mod_revision,
                    version=kv.version, lease=kv.lease)


def from_event(event: kv_pb2.Event) -> Event:
    kv = event.kv
    return Event(
        type=EventType.PUT if event.type == kv_pb2.Event.PUT else EventType.DELETE,
        key=decode_key(kv.key), value=bytes(kv.value), revision=kv.mod_revision,
        create_revision=kv.create_revision, version=kv.version, lease=kv.lease,
        prev=from_kv(event.prev_kv) if event.HasField("prev_kv") else None,
    )


def map_error(exc: grpc.aio.AioRpcError) -> EtcdError:
    """One gRPC status of etcd → our exception (the message keeps etcd's text)."""
    code, details = exc.code(), exc.details() or ""
    text = f"etcd: {code.name}: {details}"
    if "lease not found" in details:
        return LeaseNotFound(text)
    if code == grpc.StatusCode.UNAVAILABLE:
        return EtcdUnavailable(text)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return EtcdTimeout(text)
    if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return EtcdAuthError(text)
    if any(marker in details for marker in ("authentication failed", "auth token",
                                             "user name is empty", "permission denied")):
        # etcd 3.4 answers a wrong password, or no user at all when authentication
        # is on, with INVALID_ARGUMENT.
        return EtcdAuthError(text)
    return EtcdError(text)
