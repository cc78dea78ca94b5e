"""grpc.aio servers that speak bytes (no protobuf work): the benchmark's baselines."""

from __future__ import annotations

import grpc


async def start_bytes_server(service: str, handlers: dict) -> tuple[grpc.aio.Server, int]:
    """Serve ``handlers`` (method name → RpcMethodHandler without serializers) as
    ``service`` on 127.0.0.1, on a port of the system's choosing; (server, port)."""
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port
