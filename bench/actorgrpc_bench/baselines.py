"""Baseline servers, run in their own process: raw grpc.aio echo and raw TCP echo.

``python -m actorgrpc_bench.baselines`` prints ``grpc PORT`` and ``tcp PORT`` and
serves until stdin closes. The grpc server speaks bytes (no protobuf work), so it
is the floor that gRPC-Python itself sets.
"""

from __future__ import annotations

import asyncio
import sys

import grpc

from actorgrpc_bench.bytes_server import start_bytes_server

SERVICE = "bench.Echo"
UNARY = f"/{SERVICE}/Unary"
STREAM = f"/{SERVICE}/Stream"


async def _unary(request: bytes, context) -> bytes:
    return request


async def _stream(request_iterator, context):
    async for request in request_iterator:
        yield request


async def _tcp_echo(reader, writer) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
    finally:
        writer.close()


async def serve() -> None:
    server, port = await start_bytes_server(SERVICE, {
        "Unary": grpc.unary_unary_rpc_method_handler(_unary),
        "Stream": grpc.stream_stream_rpc_method_handler(_stream),
    })
    tcp = await asyncio.start_server(_tcp_echo, "127.0.0.1", 0)
    tcp_port = tcp.sockets[0].getsockname()[1]
    print(f"grpc {port}", flush=True)
    print(f"tcp {tcp_port}", flush=True)
    loop = asyncio.get_running_loop()
    # Serve until the parent closes our stdin (it always does, even when it dies).
    await loop.run_in_executor(None, sys.stdin.read)
    tcp.close()
    await server.stop(None)


if __name__ == "__main__":
    import uvloop

    uvloop.run(serve())
