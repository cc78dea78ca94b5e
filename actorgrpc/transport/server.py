"""Building a grpc.aio server: our services plus health checking and reflection."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio
from google.protobuf import message_factory
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import DecodeError, Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from actorgrpc.contract.errors import ActorError
from actorgrpc.contract.limits import MAX_CONCURRENT_RPCS
from actorgrpc.transport.auth import AuthInterceptor, TokenTable
from actorgrpc.transport.boundary import ErrorBoundary, MalformedRequest
from actorgrpc.transport.channels import server_options
from actorgrpc.v1 import arbiter_pb2, mailbox_pb2, monitor_pb2

__all__ = ["build_server", "BindError", "ServerSecurity"]


@dataclass(frozen=True)
class ServerSecurity:
    """What a server checks: tokens (``operator_auth``: operator tokens are set, so
    every call needs one) and TLS (``credentials`` None: plaintext)."""

    tokens: TokenTable = TokenTable()
    operator_auth: bool = False
    credentials: grpc.ServerCredentials | None = None


class BindError(ActorError, OSError):
    """The server could not listen on the address (in use, or not local)."""


def build_server(address: str, *, mailbox: object | None = None, arbiter: object | None = None,
                 monitor: object | None = None, max_message_bytes: int,
                 exclusive_port: bool = False, security: ServerSecurity = ServerSecurity(),
                 ) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer, list[str]]:
    """Return ``(server, port, health_servicer)``; the server is not started yet.

    Reflection and grpc.health.v1 are always on, so grpcurl can list and describe
    everything, and load balancers and containers can probe readiness. Every call
    but health checks goes through the token check (see ``actorgrpc.transport.auth``).
    """
    # The token check first: a refused call never reaches a servicer; then the error
    # boundary, the one place where exceptions become statuses.
    server = grpc.aio.server(
        interceptors=[AuthInterceptor(security.tokens, operator_auth=security.operator_auth),
                      ErrorBoundary()],
        options=server_options(max_message_bytes, exclusive_port=exclusive_port),
        # Calls running at once, streams included: beyond, RESOURCE_EXHAUSTED.
        maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS)
    names: list[str] = []
    for servicer, descriptor in (
            (mailbox, mailbox_pb2.DESCRIPTOR.services_by_name["MailboxService"]),
            (arbiter, arbiter_pb2.DESCRIPTOR.services_by_name["ArbiterService"]),
            (monitor, monitor_pb2.DESCRIPTOR.services_by_name["MonitorService"])):
        if servicer is not None:
            add_service(server, servicer, descriptor)
            names.append(descriptor.full_name)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names.append(health_pb2.DESCRIPTOR.services_by_name["Health"].full_name)
    names.append(reflection.SERVICE_NAME)
    reflection.enable_server_reflection(names, server)
    try:
        port = (server.add_insecure_port(address) if security.credentials is None
                else server.add_secure_port(address, security.credentials))
    except RuntimeError as exc:
        raise BindError(f"cannot listen on {address}: {exc} (is another server using "
                        "it?)") from None
    if not port:
        raise BindError(f"cannot listen on {address}: the address is in use or invalid")
    return server, port, health_servicer, names


async def set_serving(health_servicer: health.aio.HealthServicer, names: list[str],
                      serving: bool) -> None:
    """Report every service (and the server as a whole, "") as SERVING or NOT_SERVING."""
    status = (health_pb2.HealthCheckResponse.SERVING if serving
              else health_pb2.HealthCheckResponse.NOT_SERVING)
    for name in ["", *names]:
        await health_servicer.set(name, status)


def _tolerant_deserializer(message_class: type[Message],
                           ) -> Callable[[bytes], Message | MalformedRequest]:
    # gRPC reports a deserializer's exception as UNKNOWN; a malformed request is the
    # caller's fault, so hand the handler a marker and let it say INVALID_ARGUMENT.
    def deserialize(data: bytes) -> Message | MalformedRequest:
        try:
            return message_class.FromString(data)
        except DecodeError as exc:
            return MalformedRequest(message_class, exc)

    return deserialize


def add_service(server: grpc.aio.Server, servicer: object,
                service_descriptor: ServiceDescriptor) -> None:
    """Register ``servicer`` for every method of ``service_descriptor``.

    What the generated ``add_XServicer_to_server`` does, but unary methods get a
    deserializer that turns corrupt bytes into INVALID_ARGUMENT instead of UNKNOWN.
    """
    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
    for method in service_descriptor.methods:
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        behaviour = getattr(servicer, method.name)
        if method.client_streaming and method.server_streaming:
            # Handlers marked raw_response write bytes they encoded themselves; those
            # with a request_deserializer parse frames their own way.
            serializer = (None if getattr(behaviour, "raw_response", False)
                          else response_class.SerializeToString)
            deserializer = getattr(behaviour, "request_deserializer", None) \
                or _tolerant_deserializer(request_class)
            handlers[method.name] = grpc.stream_stream_rpc_method_handler(
                behaviour, request_deserializer=deserializer, response_serializer=serializer)
        elif not method.client_streaming and not method.server_streaming:
            handlers[method.name] = grpc.unary_unary_rpc_method_handler(
                behaviour, request_deserializer=_tolerant_deserializer(request_class),
                response_serializer=response_class.SerializeToString)
        elif method.server_streaming:
            handlers[method.name] = grpc.unary_stream_rpc_method_handler(
                behaviour, request_deserializer=_tolerant_deserializer(request_class),
                response_serializer=response_class.SerializeToString)
        else:
            handlers[method.name] = grpc.stream_unary_rpc_method_handler(
                behaviour, request_deserializer=_tolerant_deserializer(request_class),
                response_serializer=response_class.SerializeToString)
    generic = grpc.method_handlers_generic_handler(service_descriptor.full_name, handlers)
    server.add_generic_rpc_handlers((generic,))
    server.add_registered_method_handlers(service_descriptor.full_name, handlers)
