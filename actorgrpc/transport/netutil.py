"""Small facts about addresses."""

from __future__ import annotations

import ipaddress
import socket

__all__ = ["is_loopback_bind", "split_host_port"]


def split_host_port(address: str) -> tuple[str, str]:
    """("127.0.0.1", "7070") for "127.0.0.1:7070"; IPv6 hosts lose their brackets."""
    host, _, port = address.rpartition(":")
    return host.strip("[]"), port


def is_loopback_bind(address: str) -> bool:
    """True when every address ``HOST:PORT`` listens on is a loopback address.

    A name is resolved (``localhost`` is loopback; a name that also resolves to another
    address is not); the wildcard addresses (``0.0.0.0``, ``[::]``, empty) are not.
    """
    host, _ = split_host_port(address)
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        # Its host, a string for the IP families (typeshed's sockaddr also allows an int).
        found = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        return False
    return bool(found) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback
                               for a in found)
