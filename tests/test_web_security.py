"""The metrics endpoint and the dashboard: tokens, Host checks, bounded queries, and
errors that show no exception text."""

from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest

from .support import ArbiterProcess, logged_url

READ = "read-token-0123456789abcdef"
ADMIN = "admin-token-0123456789abcdef"
#: Seconds one HTTP request may take (the pages answer from the arbiter's loop in ms).
HTTP_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def web_arbiter(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web")
    tokens = folder / "tokens"
    tokens.write_text(f"admin {ADMIN}\nread {READ}\n")
    arbiter = ArbiterProcess("--auth-token-file", str(tokens), "--metrics-port", "0",
                             "--dashboard", "0", run_dir=str(folder / "run"))
    arbiter.metrics_url = logged_url(arbiter, "metrics endpoint on", r"(http://\S+/metrics)")
    arbiter.dashboard_url = logged_url(arbiter, "dashboard on", r"(http://\S+/)")
    yield arbiter
    arbiter.stop_and_check()


def request(url: str, headers: dict | None = None, method: str = "GET"):
    """(status, headers, body) of one request; ``headers`` may set Host."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=HTTP_TIMEOUT)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("which", ["metrics_url", "dashboard_url"])
def test_a_token_is_needed(web_arbiter, which):
    url = getattr(web_arbiter, which)
    for headers in ({}, bearer("wrong-token-0123456789"), {"Authorization": READ}):
        status, _, body = request(url, headers)
        assert status == 401 and "token" in json.loads(body)["error"]
    for token in (READ, ADMIN):
        status, _, _ = request(url, bearer(token))
        assert status == 200


def test_metrics_with_a_read_token(web_arbiter):
    status, headers, body = request(web_arbiter.metrics_url, bearer(READ))
    assert status == 200 and b"actorgrpc_actors" in body
    assert headers["Content-Type"].startswith("text/plain")


def test_the_dashboard_logs_a_browser_in_with_a_cookie(web_arbiter):
    url = web_arbiter.dashboard_url
    status, headers, _ = request(url + "?token=" + "wrong-token-0123456789")
    assert status == 401
    status, headers, _ = request(url + "?token=" + READ)
    assert status == 303 and headers["Location"] == "/"
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    session = {"Cookie": cookie.split(";")[0]}
    status, _, body = request(url + "api/overview", session)
    assert status == 200 and json.loads(body)["name"] == "arbiter"


@pytest.mark.parametrize("which", ["metrics_url", "dashboard_url"])
def test_other_host_names_are_refused(web_arbiter, which):
    """DNS rebinding: a page of evil.example whose name resolves to 127.0.0.1."""
    url = getattr(web_arbiter, which)
    port = urllib.parse.urlsplit(url).port
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1:{port + 1}", ""):
        status, _, body = request(url, {"Host": host, **bearer(READ)})
        assert status == 421, host
        assert "Host" in json.loads(body)["error"]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert request(url, {"Host": host, **bearer(READ)})[0] == 200


def test_counts_are_bounded_and_errors_show_no_exception_text(web_arbiter):
    url = web_arbiter.dashboard_url
    for query in ("n=99999999999999999999", "n=-1", "n=abc", "n=1e9"):
        status, _, body = request(f"{url}api/events?{query}", bearer(READ))
        assert status == 400, query
        assert "whole number" in json.loads(body)["error"]
    assert request(f"{url}api/events?n=10", bearer(READ))[0] == 200
    status, _, body = request(f"{url}api/actors/nobody/logs?n=5", bearer(READ))
    assert status == 404 and "Traceback" not in body.decode()
    status, _, body = request(f"{url}api/actors", bearer(READ), method="POST")
    assert status == 405 and "error" in json.loads(body)
