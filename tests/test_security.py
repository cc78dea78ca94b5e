"""Tokens with roles, TLS and mutual TLS on every plane, and safe defaults.

Arbiters run as real processes with real certificates made by the test (trustme);
every call goes through real gRPC clients: ours, raw stubs and the CLI.
"""

from __future__ import annotations

import os
import subprocess
import sys

import grpc
import pytest
import trustme
from grpc_health.v1 import health_pb2, health_pb2_grpc

import actorgrpc
from actorgrpc.transport.auth import TokenFileError, bearer_metadata, parse_token_file
from actorgrpc.transport.security import InsecureBindError, check_exposure
from actorgrpc.transport.tls import ClientTls
from actorgrpc.v1 import arbiter_pb2, arbiter_pb2_grpc, mailbox_pb2, mailbox_pb2_grpc

from .support import ROOT, ArbiterProcess

#: The message path: run again with gRPC's private fast path off (make test).
pytestmark = pytest.mark.dataplane

ADMIN = "admin-token-0123456789abcdef"
READ = "read-token-0123456789abcdef"
#: Seconds a single call may take on a loaded 2-core machine.
CALL_TIMEOUT = 10.0


def token_file(tmp_path) -> str:
    path = tmp_path / "tokens"
    path.write_text(f"# role token\nadmin {ADMIN}\nread   {READ}\n")
    path.chmod(0o600)
    return str(path)


@pytest.fixture(scope="module")
def authed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("authed")
    arbiter = ArbiterProcess("--auth-token-file", token_file(folder),
                             run_dir=str(folder / "run"))
    yield arbiter
    arbiter.stop_and_check()


async def code_of(call) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


# -- the token file -------------------------------------------------------------------

@pytest.mark.parametrize("text, problem", [
    ("", "no tokens"),
    ("root " + ADMIN, "unknown role"),
    ("admin short", "at least 16"),
    ("admin " + ADMIN + " extra", "ROLE TOKEN"),
    (f"admin {ADMIN}\nread {ADMIN}", "listed twice"),
    ("admin " + "x" * 15 + "\u00e9", "at least 16"),
])
def test_token_file_errors_name_the_line(text, problem):
    with pytest.raises(TokenFileError, match=problem):
        parse_token_file(text, "tokens.txt")


# -- tokens and roles -----------------------------------------------------------------

async def test_every_call_needs_a_token_except_health(authed):
    async with grpc.aio.insecure_channel(authed.address) as channel:
        stub = arbiter_pb2_grpc.ArbiterServiceStub(channel)
        health = health_pb2_grpc.HealthStub(channel)
        reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=CALL_TIMEOUT)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        for metadata in ((), bearer_metadata("wrong-token-0123456789"),
                         (("authorization", ADMIN),), (("authorization", "Basic " + ADMIN),)):
            for call in (stub.Info(arbiter_pb2.InfoRequest(), metadata=metadata),
                         stub.Spawn(arbiter_pb2.SpawnRequest(name="x"), metadata=metadata),
                         stub.Stop(arbiter_pb2.StopRequest(target="arbiter"),
                                   metadata=metadata)):
                assert await code_of(call) == grpc.StatusCode.UNAUTHENTICATED
        # The arbiter's own mailbox too: its `stop` command must not be a back door.
        mailbox = mailbox_pb2_grpc.MailboxServiceStub(channel)
        assert await code_of(mailbox.Call(mailbox_pb2.CallRequest(action="stop"))) == \
            grpc.StatusCode.UNAUTHENTICATED
    assert authed.process.poll() is None


async def test_errors_surface_as_the_python_tree(authed):
    async with actorgrpc.connect(authed.address, token="") as anonymous:
        with pytest.raises(actorgrpc.Unauthenticated, match="token"):
            await anonymous.info()
    async with actorgrpc.connect(authed.address, token=READ) as reader:
        with pytest.raises(actorgrpc.PermissionDenied, match="read token"):
            await reader.spawn(name="nope")


async def test_read_token_reads_and_nothing_more(authed):
    async with actorgrpc.connect(authed.address, token=ADMIN) as admin:
        proxy = await admin.spawn(name="guarded")
        async with actorgrpc.connect(authed.address, token=READ) as reader:
            assert (await reader.info())["actor"]["aid"] == "arbiter"
            assert any(a.actor.name == "guarded" for a in await reader.list_actors())
            found = await reader.get_actor("guarded")
            assert found.address == proxy.address
            for attempt in (reader.send("guarded", "ping"),
                            reader.send_via_arbiter("guarded", "ping"),
                            reader.spawn(name="more"), reader.stop("guarded"),
                            reader.stop("arbiter")):
                with pytest.raises(actorgrpc.PermissionDenied):
                    await attempt
        # Direct to the actor's mailbox with no token or a read token.
        async with grpc.aio.insecure_channel(proxy.address) as channel:
            mailbox = mailbox_pb2_grpc.MailboxServiceStub(channel)
            request = mailbox_pb2.CallRequest(action="ping")
            assert await code_of(mailbox.Call(request)) == grpc.StatusCode.UNAUTHENTICATED
            assert await code_of(mailbox.Call(request, metadata=bearer_metadata(READ))) == \
                grpc.StatusCode.PERMISSION_DENIED
            reply = await mailbox.Call(request, metadata=bearer_metadata(ADMIN),
                                       timeout=CALL_TIMEOUT)
            assert reply.result.string_value == "pong"
        await admin.stop(proxy)
    assert authed.process.poll() is None


async def test_actors_reach_each_other_and_the_arbiter_with_auth_on(authed):
    async with actorgrpc.connect(authed.address, token=ADMIN) as admin:
        a = await admin.spawn(name="auth-a")
        b = await admin.spawn(name="auth-b")
        # Direct actor to actor (resolved by the arbiter), and a spawn from inside.
        assert await admin.send(a, "relay", "auth-b", "echo", "hi") == "hi"
        child = await admin.send(a, "spawn_child", "auth-child")
        assert child["name"] == "auth-child"
        assert await admin.send("auth-child", "ping") == "pong"
        for name in ("auth-child", "auth-b", "auth-a"):
            await admin.stop(name)
        assert b.aid and a.aid


def test_cli_token_options(authed, tmp_path):
    def cli(*args, env=None):
        return subprocess.run(
            [sys.executable, "-m", "actorgrpc", *args, "--address", authed.address],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
            env={**os.environ, "PYTHONPATH": ROOT, **(env or {})})

    refused = cli("info")
    assert refused.returncode == 1 and "Unauthenticated" in refused.stderr
    assert cli("info", "--token", READ).returncode == 0
    assert cli("info", env={"ACTORGRPC_TOKEN": READ}).returncode == 0
    only_token = tmp_path / "my-token"
    only_token.write_text(READ + "\n")
    assert cli("info", "--token-file", str(only_token)).returncode == 0
    # A server's token file works too: its first token.
    assert cli("spawn", "--name", "cli-made",
               "--token-file", token_file(tmp_path)).returncode == 0
    denied = cli("stop", "cli-made", "--token", READ)
    assert denied.returncode == 1 and "PermissionDenied" in denied.stderr
    assert cli("stop", "cli-made", "--token", ADMIN).returncode == 0


# -- TLS and mutual TLS ---------------------------------------------------------------

@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as files."""
    folder = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("client@actorgrpc.test")
    files = {"ca": folder / "ca.pem", "cert": folder / "server.pem",
             "key": folder / "server.key", "client_cert": folder / "client.pem",
             "client_key": folder / "client.key"}
    ca.cert_pem.write_to_path(str(files["ca"]))
    server.private_key_pem.write_to_path(str(files["key"]))
    server.cert_chain_pems[0].write_to_path(str(files["cert"]))
    client.private_key_pem.write_to_path(str(files["client_key"]))
    client.cert_chain_pems[0].write_to_path(str(files["client_cert"]))
    return {name: str(path) for name, path in files.items()}


def tls_arbiter(pki, folder, *extra) -> ArbiterProcess:
    return ArbiterProcess("--tls-cert", pki["cert"], "--tls-key", pki["key"],
                          "--tls-ca", pki["ca"], *extra, run_dir=str(folder / "run"))


async def test_tls_on_every_plane(pki, tmp_path):
    arbiter = tls_arbiter(pki, tmp_path)
    try:
        async with actorgrpc.connect(arbiter.address, tls=pki["ca"]) as client:
            a = await client.spawn(name="tls-a")
            await client.spawn(name="tls-b")
            assert await client.send(a, "ping") == "pong"             # direct, over TLS
            assert await client.send_via_arbiter("tls-a", "echo", 1) == 1
            assert await client.send(a, "relay", "tls-b", "echo", "x") == "x"  # actor to actor
            # Nothing answers in plaintext: not the arbiter, not an actor's mailbox.
            for address in (arbiter.address, a.address):
                async with grpc.aio.insecure_channel(address) as channel:
                    stub = mailbox_pb2_grpc.MailboxServiceStub(channel)
                    assert await code_of(stub.Call(mailbox_pb2.CallRequest(action="ping"),
                                                   timeout=CALL_TIMEOUT)) == \
                        grpc.StatusCode.UNAVAILABLE
        # A client that does not trust the CA is refused.
        async with actorgrpc.connect(arbiter.address, tls=True) as stranger:
            with pytest.raises(actorgrpc.ActorUnavailable):
                await stranger.info(_timeout=CALL_TIMEOUT)
    finally:
        arbiter.stop_and_check()


async def test_mutual_tls_requires_client_certificates(pki, tmp_path):
    arbiter = tls_arbiter(pki, tmp_path, "--tls-client-ca", pki["ca"])
    try:
        with_cert = ClientTls(ca_file=pki["ca"], cert_file=pki["client_cert"],
                              key_file=pki["client_key"])
        async with actorgrpc.connect(arbiter.address, tls=with_cert) as client:
            a = await client.spawn(name="mtls-a")
            await client.spawn(name="mtls-b")
            assert await client.send(a, "relay", "mtls-b", "echo", "y") == "y"
            assert await client.send_via_arbiter("mtls-b", "ping") == "pong"
            async with actorgrpc.connect(arbiter.address, tls=pki["ca"]) as no_cert:
                with pytest.raises(actorgrpc.ActorUnavailable):
                    await no_cert.info(_timeout=CALL_TIMEOUT)
                with pytest.raises(actorgrpc.ActorUnavailable):
                    await no_cert.send(a, "ping", _timeout=CALL_TIMEOUT)
    finally:
        arbiter.stop_and_check()


async def test_tls_and_tokens_together(pki, tmp_path):
    arbiter = tls_arbiter(pki, tmp_path, "--auth-token-file", token_file(tmp_path))
    try:
        async with actorgrpc.connect(arbiter.address, tls=pki["ca"], token=ADMIN) as client:
            a = await client.spawn(name="both")
            assert await client.send(a, "ping") == "pong"
        async with actorgrpc.connect(arbiter.address, tls=pki["ca"], token="") as client:
            with pytest.raises(actorgrpc.Unauthenticated):
                await client.info()
    finally:
        arbiter.stop_and_check()


# -- safe defaults -------------------------------------------------------------------

def test_non_loopback_bind_needs_tls_and_token_or_insecure():
    for bind in ("0.0.0.0:7070", "[::]:7070", "10.0.0.1:7070", ":7070"):
        with pytest.raises(InsecureBindError, match="refusing to serve"):
            check_exposure(bind, tokens=[], tls=None, insecure=False)
        with pytest.raises(InsecureBindError, match="TLS"):
            check_exposure(bind, tokens=[("t" * 16, None)], tls=None, insecure=False)
        check_exposure(bind, tokens=[], tls=None, insecure=True)
        check_exposure(bind, tokens=[("t" * 16, None)], tls=object(), insecure=False)
    for bind in ("127.0.0.1:0", "localhost:7070", "[::1]:7070"):
        check_exposure(bind, tokens=[], tls=None, insecure=False)


def test_serve_refuses_in_one_line_before_binding():
    result = subprocess.run(
        [sys.executable, "-m", "actorgrpc", "serve", "--bind", "0.0.0.0:0"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": ROOT})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing to serve on 0.0.0.0:0 without TLS" in lines[0]
    assert "--insecure" in lines[0]


# -- first-start credentials ------------------------------------------------------------

async def test_secrets_init_makes_working_credentials(tmp_path):
    folder = tmp_path / "secrets"
    made = subprocess.run([sys.executable, "-m", "actorgrpc", "secrets", "init", str(folder),
                           "--host", "arbiter"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": ROOT})
    assert made.returncode == 0, made.stderr
    assert sorted(os.listdir(folder)) == ["tls.crt", "tls.key", "tokens"]
    assert (folder / "tokens").stat().st_mode & 0o077 == 0
    assert (folder / "tls.key").stat().st_mode & 0o077 == 0
    admin = parse_token_file((folder / "tokens").read_text())[0][0]
    again = subprocess.run([sys.executable, "-m", "actorgrpc", "secrets", "init", str(folder)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60,
                           env={**os.environ, "PYTHONPATH": ROOT})
    assert "nothing to do" in again.stdout
    assert parse_token_file((folder / "tokens").read_text())[0][0] == admin  # kept
    arbiter = ArbiterProcess("--auth-token-file", str(folder / "tokens"),
                             "--tls-cert", str(folder / "tls.crt"),
                             "--tls-key", str(folder / "tls.key"),
                             "--tls-client-ca", str(folder / "tls.crt"),
                             run_dir=str(tmp_path / "run"))
    try:
        # mTLS with the arbiter's own certificate, as its actors present it.
        tls = ClientTls(ca_file=str(folder / "tls.crt"), cert_file=str(folder / "tls.crt"),
                        key_file=str(folder / "tls.key"))
        async with actorgrpc.connect(arbiter.address, tls=tls, token=admin) as client:
            a = await client.spawn(name="provisioned")
            await client.spawn(name="provisioned-b")
            assert await client.send(a, "relay", "provisioned-b", "ping") == "pong"
    finally:
        arbiter.stop_and_check()
