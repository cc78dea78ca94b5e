"""A tiny HTTP/1.1 server in the arbiter's own event loop (metrics, dashboard).

Why not a thread (prometheus_client's ``start_http_server``) or a framework: the
pages read the arbiter's registry and event bus, which only its loop may touch
safely, and the product should not depend on a web framework for two read-only
endpoints. GET and HEAD only; one request per connection (``Connection: close``).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from dataclasses import dataclass, field
from typing import Awaitable, Callable
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger("actorgrpc.http")

#: Largest request head accepted (request line + headers); ours are tiny.
MAX_HEAD_BYTES = 16 * 1024
#: Seconds a client may take to send its request head before it is dropped.
READ_TIMEOUT = 10.0

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
           500: "Internal Server Error", 502: "Bad Gateway"}


@dataclass
class Request:
    """What a handler sees of a request."""

    method: str
    path: str
    query: dict = field(default_factory=dict)

    def arg(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[-1] if values else default


@dataclass
class Response:
    """What a handler returns."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/plain; charset=utf-8"

    @classmethod
    def json(cls, data, status: int = 200) -> "Response":
        return cls(json.dumps(data).encode(), status, "application/json")

    @classmethod
    def error(cls, status: int, message: str) -> "Response":
        return cls.json({"error": message}, status)


Handler = Callable[[Request], "Response | Awaitable[Response]"]


class HttpServer:
    """Serves ``handler(request)`` on ``host:port`` (port 0 picks a free one)."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0):
        self.handler = handler
        self.host = host
        self.port = port
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        """Listen; return the bound port (OSError when the address is taken)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError, ConnectionError):
            writer.close()
            return
        response, method = await self._respond(head)
        body = b"" if method == "HEAD" else response.body
        lines = [f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Status')}",
                 f"Content-Type: {response.content_type}",
                 f"Content-Length: {len(response.body)}",
                 "Cache-Control: no-store", "Connection: close", "", ""]
        try:
            writer.write("\r\n".join(lines).encode("latin-1") + body)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _respond(self, head: bytes) -> tuple[Response, str]:
        if len(head) > MAX_HEAD_BYTES:
            return Response.error(400, "request head too large"), "GET"
        try:
            method, target, _version = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        except ValueError:
            return Response.error(400, "malformed request line"), "GET"
        if method not in ("GET", "HEAD"):
            return Response.error(405, f"{method} not allowed: read-only server"), method
        parts = urlsplit(target)
        request = Request(method, unquote(parts.path), parse_qs(parts.query))
        try:
            response = self.handler(request)
            if inspect.isawaitable(response):
                response = await response
        except Exception as exc:
            logger.exception("HTTP handler failed on %s", request.path)
            response = Response.error(500, f"{type(exc).__name__}: {exc}")
        return response, method
