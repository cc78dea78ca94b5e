"""The arbiter's gRPC server: its services, health and address."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actorgrpc.transport.server import build_server, set_serving

if TYPE_CHECKING:
    import grpc.aio
    from grpc_health.v1 import health

    from actorgrpc.actor.mailbox_servicer import MailboxServicer
    from actorgrpc.supervisor.services import ArbiterServicer, MonitorServicer
    from actorgrpc.transport.security import SecuritySettings

__all__ = ["ServerHost"]

#: Seconds calls in flight may finish when the server stops.
STOP_GRACE = 1.0


class ServerHost:
    """Builds, starts and stops the server of ArbiterService, MonitorService, the
    arbiter's own mailbox, health and reflection."""

    def __init__(self, bind: str, max_message_bytes: int, security: SecuritySettings) -> None:
        self.bind = bind
        self.max_message_bytes = max_message_bytes
        self.security = security
        self.server: grpc.aio.Server | None = None
        self.health: health.aio.HealthServicer | None = None
        self.names: list[str] = []
        self.address = ""

    def build(self, *, arbiter: ArbiterServicer, monitor: MonitorServicer,
              mailbox: MailboxServicer) -> str:
        """Bind (BindError when the address is taken); return the address."""
        self.server, port, self.health, self.names = build_server(
            self.bind, mailbox=mailbox, arbiter=arbiter, monitor=monitor,
            max_message_bytes=self.max_message_bytes, exclusive_port=True,
            security=self.security.server())
        host = self.bind.rsplit(":", 1)[0]
        self.address = f"{host}:{port}"
        return self.address

    async def start(self) -> None:
        if self.server is None:
            raise RuntimeError("the arbiter's server is started before it is built")
        await self.server.start()

    async def set_serving(self, serving: bool) -> None:
        if self.health is not None:
            await set_serving(self.health, self.names, serving)

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(grace=STOP_GRACE)
