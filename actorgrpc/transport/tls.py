"""TLS and mutual TLS: certificate files turned into gRPC credentials.

The arbiter serves with ``--tls-cert`` / ``--tls-key``; its actors serve their
mailboxes with the same certificate, and every internal client (actor → arbiter,
actor → actor) verifies peers against ``--tls-ca`` (default: the certificate itself,
which is right for a self-signed one). With ``--tls-client-ca`` every server asks
for client certificates signed by that CA (mTLS), and internal clients present the
arbiter's certificate: it must then be signed by a CA in that file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import grpc

__all__ = ["TlsFiles", "ClientTls", "TlsError", "read_pem"]


class TlsError(ValueError):
    """A certificate or key file that cannot be used."""


def read_pem(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise TlsError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    if b"-----BEGIN " not in data:
        raise TlsError(f"the {what} {path} is not a PEM file")
    return data


@dataclass(frozen=True)
class TlsFiles:
    """The server side's TLS files (the arbiter's, handed to its actors)."""

    cert_file: str
    key_file: str
    #: Roots to verify peers with (internal clients); default: ``cert_file``.
    ca_file: str = ""
    #: When set: clients must present a certificate signed by one of these.
    client_ca_file: str = ""
    #: Name to verify in peers' certificates instead of the address's host.
    server_name: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TlsFiles | None:
        return cls(**data) if data else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def check(self) -> None:
        """Read every file once, so that a wrong path fails at start, not at the first call."""
        self.server_credentials()
        self.channel_credentials()

    def server_credentials(self) -> grpc.ServerCredentials:
        pair = (read_pem(self.key_file, "TLS key"), read_pem(self.cert_file, "TLS certificate"))
        if self.client_ca_file:
            return grpc.ssl_server_credentials(
                [pair], root_certificates=read_pem(self.client_ca_file, "client CA"),
                require_client_auth=True)
        return grpc.ssl_server_credentials([pair])

    def channel_credentials(self) -> grpc.ChannelCredentials:
        """What internal clients connect with."""
        roots = read_pem(self.ca_file or self.cert_file, "TLS CA")
        if self.client_ca_file:
            return grpc.ssl_channel_credentials(
                roots, private_key=read_pem(self.key_file, "TLS key"),
                certificate_chain=read_pem(self.cert_file, "TLS certificate"))
        return grpc.ssl_channel_credentials(roots)

    def client(self) -> ClientTls:
        return ClientTls(ca_file=self.ca_file or self.cert_file,
                         cert_file=self.cert_file if self.client_ca_file else "",
                         key_file=self.key_file if self.client_ca_file else "",
                         server_name=self.server_name)


@dataclass(frozen=True)
class ClientTls:
    """A client's TLS settings: roots to trust, and a certificate for mTLS.

    ``ca_file`` empty uses the system's roots.
    """

    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    server_name: str = ""

    def credentials(self) -> grpc.ChannelCredentials:
        if bool(self.cert_file) != bool(self.key_file):
            raise TlsError("a client certificate needs both --cert and --key")
        return grpc.ssl_channel_credentials(
            read_pem(self.ca_file, "CA certificate") if self.ca_file else None,
            private_key=read_pem(self.key_file, "client key") if self.key_file else None,
            certificate_chain=read_pem(self.cert_file, "client certificate")
            if self.cert_file else None)
