"""Building a grpc.aio server: our services plus health checking and reflection."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from .channels import server_options
from .errors import ActorError
from .v1 import arbiter_pb2, mailbox_pb2, monitor_pb2

__all__ = ["build_server", "BindError"]


class BindError(ActorError, OSError):
    """The server could not listen on the address (in use, or not local)."""


def build_server(address: str, *, mailbox=None, arbiter=None, monitor=None,
                 max_message_bytes: int, exclusive_port: bool = False):
    """Return ``(server, port, health_servicer)``; the server is not started yet.

    Reflection and grpc.health.v1 are always on, so grpcurl can list and describe
    everything, and load balancers and containers can probe readiness.
    """
    from .v1 import arbiter_pb2_grpc, mailbox_pb2_grpc, monitor_pb2_grpc

    server = grpc.aio.server(
        options=server_options(max_message_bytes, exclusive_port=exclusive_port))
    names = []
    if mailbox is not None:
        mailbox_pb2_grpc.add_MailboxServiceServicer_to_server(mailbox, server)
        names.append(mailbox_pb2.DESCRIPTOR.services_by_name["MailboxService"].full_name)
    if arbiter is not None:
        arbiter_pb2_grpc.add_ArbiterServiceServicer_to_server(arbiter, server)
        names.append(arbiter_pb2.DESCRIPTOR.services_by_name["ArbiterService"].full_name)
    if monitor is not None:
        monitor_pb2_grpc.add_MonitorServiceServicer_to_server(monitor, server)
        names.append(monitor_pb2.DESCRIPTOR.services_by_name["MonitorService"].full_name)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names.append(health_pb2.DESCRIPTOR.services_by_name["Health"].full_name)
    names.append(reflection.SERVICE_NAME)
    reflection.enable_server_reflection(names, server)
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as exc:
        raise BindError(f"cannot listen on {address}: {exc} (is another server using it?)") from None
    if not port:
        raise BindError(f"cannot listen on {address}: the address is in use or invalid")
    return server, port, health_servicer, names


async def set_serving(health_servicer, names, serving: bool) -> None:
    """Report every service (and the server as a whole, "") as SERVING or NOT_SERVING."""
    status = (health_pb2.HealthCheckResponse.SERVING if serving
              else health_pb2.HealthCheckResponse.NOT_SERVING)
    for name in ["", *names]:
        await health_servicer.set(name, status)
