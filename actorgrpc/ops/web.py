"""The arbiter's HTTP endpoints (metrics, dashboard): aiohttp in the arbiter's own loop.

In the arbiter's loop because the pages read its registry and event bus, which only
that loop may touch. Every site gets the same guards, as middlewares:

* the Host header must name the address the site is bound to (a DNS-rebinding page
  in a browser cannot reach a loopback dashboard under another name);
* with tokens on (``serve --auth-token-file``), a read token or better is needed:
  ``Authorization: Bearer TOKEN`` (Prometheus' ``authorization`` setting), or, for
  a browser, a cookie set by visiting ``/?token=TOKEN`` once;
* errors never show their text: 500 "internal error", the details in the log.

aiohttp is the ``ops`` extra: ``pip install 'actorgrpc[ops]'``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from actorgrpc.transport.auth import Role, TokenTable

if TYPE_CHECKING:
    from actorgrpc.transport.security import SecuritySettings

#: What a middleware passes a request on to.
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

__all__ = ["WebSite", "TOKEN_COOKIE"]

logger = logging.getLogger("actorgrpc.ops.web")

#: The dashboard's session cookie: the token itself, HttpOnly and SameSite=Strict.
TOKEN_COOKIE = "actorgrpc_token"


def _loopback_names(host: str) -> set[str]:
    if host in ("127.0.0.1", "localhost", "::1"):
        return {"127.0.0.1", "localhost", "[::1]"}
    return {host if ":" not in host else f"[{host}]"}


class WebSite:
    """One aiohttp site on ``host:port`` with the guards above; add routes to ``app``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self.tokens: TokenTable | None = None
        self.app = web.Application(middlewares=[self._errors, self._host_check, self._auth])
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self, security: SecuritySettings) -> int:
        """Listen (OSError when the port is taken); return the bound port."""
        self.tokens = security.tokens if security.operator_auth else None
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._hosts = {f"{name}:{self.port}" for name in _loopback_names(self.host)}
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- the guards -------------------------------------------------------------------

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400 or exc.content_type == "application/json":
                raise
            # aiohttp's own 404 and 405 say it in plain text: every error is JSON here.
            return web.json_response({"error": exc.reason}, status=exc.status,
                                     headers={k: v for k, v in exc.headers.items()
                                              if k == "Allow"})
        except Exception:
            logger.exception("HTTP handler failed on %s", request.path)
            return web.json_response({"error": "internal error"}, status=500)

    @web.middleware
    async def _host_check(self, request: web.Request,
                          handler: Handler) -> web.StreamResponse:
        if request.host not in self._hosts:
            return web.json_response(
                {"error": "unexpected Host header: use the address this server is bound to"},
                status=421)
        return await handler(request)

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.tokens is None:
            return await handler(request)
        offered = request.query.get("token")
        if offered is not None and request.method == "GET":
            return self._login(self.tokens, request, offered)
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else \
            request.cookies.get(TOKEN_COOKIE)
        role = self.tokens.role_of(token)
        if role is None or role < Role.READ:
            return web.json_response(
                {"error": "missing or wrong token: send 'Authorization: Bearer TOKEN', or "
                          "open /?token=TOKEN once in a browser"}, status=401,
                headers={"WWW-Authenticate": "Bearer"})
        return await handler(request)

    @staticmethod
    def _login(tokens: TokenTable, request: web.Request, offered: str) -> web.StreamResponse:
        """``?token=``: check it, keep it in a cookie, and drop it from the address bar."""
        if tokens.role_of(offered) is None:
            return web.json_response({"error": "wrong token"}, status=401)
        response = web.HTTPSeeOther(request.rel_url.with_query(None))
        response.set_cookie(TOKEN_COOKIE, offered, httponly=True, samesite="Strict",
                            path="/")
        return response
