"""gRPC channel and server options shared by every part of actorgrpc."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import grpc
import grpc.aio

from actorgrpc.contract.consts import DEFAULT_MAX_MESSAGE_BYTES
from actorgrpc.contract.limits import MAX_CONNECTION_IDLE_MS, MAX_STREAMS_PER_CONNECTION


@dataclass(frozen=True)
class ChannelSecurity:
    """How a client reaches servers: TLS credentials (None: plaintext), a name to
    verify in certificates instead of the address's host, and the metadata every
    call carries (its bearer token)."""

    credentials: grpc.ChannelCredentials | None = None
    metadata: tuple[tuple[str, str], ...] = ()
    server_name: str = ""


#: Calls one server lets wait before its handlers take them (see server_options).
MAX_PENDING_CALLS = 10_000

#: No TLS, no token: a loopback arbiter without authentication.
PLAINTEXT = ChannelSecurity()


#: gRPC channel (or server) options: (name, value) pairs.
Options = list[tuple[str, int | str]]


def message_options(max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> Options:
    """Options bounding message sizes both ways."""
    return [
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.max_receive_message_length", max_message_bytes),
    ]


def channel_target(address: str) -> str:
    """The gRPC target for ``host:port``: an IP literal gets gRPC's ``ipv4:`` /
    ``ipv6:`` scheme, which skips the DNS resolver (a tenth of a millisecond of every
    new connection, which every spawn and restart pays)."""
    host, _, port = address.rpartition(":")
    try:
        version = ipaddress.ip_address(host.strip("[]")).version
    except ValueError:
        return address
    return f"ipv{version}:{address}"


def open_channel(address: str, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
                 security: ChannelSecurity = PLAINTEXT) -> grpc.aio.Channel:
    """A grpc.aio channel to ``address``, configured the actorgrpc way."""
    options = message_options(max_message_bytes) + [
        # Reconnect fast after an actor restarts on the same address.
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 1000),
        # Loopback links: disable the HTTP/2 BDP probe pings that add wake-ups.
        ("grpc.http2.bdp_probe", 0),
    ]
    if security.credentials is None:
        return grpc.aio.insecure_channel(channel_target(address), options=options)
    if security.server_name:
        options.append(("grpc.ssl_target_name_override", security.server_name))
    return grpc.aio.secure_channel(channel_target(address), security.credentials,
                                   options=options)


def server_options(max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES, *,
                   exclusive_port: bool = False) -> Options:
    """Options of every actorgrpc server."""
    # Loopback links, as for channels: no HTTP/2 BDP probe pings. On the server
    # side they followed every burst of data, a heartbeat included, with a ping and
    # its answer: a quarter of an idle arbiter's CPU with 50 actors beating.
    options = message_options(max_message_bytes) + [
        ("grpc.http2.bdp_probe", 0),
        # Calls that arrived and wait for the server to take them: gRPC core's
        # default (1,000, 3,000 at most) cancelled bursts of a few thousand unary
        # calls with a bare CANCELLED. Bounded still: beyond these, core refuses.
        ("grpc.server.max_pending_requests", MAX_PENDING_CALLS),
        ("grpc.server.max_pending_requests_hard_limit", 2 * MAX_PENDING_CALLS),
        # Calls one client connection may have open at once (HTTP/2's
        # MAX_CONCURRENT_STREAMS: more wait on the client), and idle connections
        # closed (clients reconnect by themselves).
        ("grpc.max_concurrent_streams", MAX_STREAMS_PER_CONNECTION),
        ("grpc.max_connection_idle_ms", MAX_CONNECTION_IDLE_MS),
    ]
    if exclusive_port:
        # A second arbiter on the same port must fail instead of sharing it.
        options.append(("grpc.so_reuseport", 0))
    return options
