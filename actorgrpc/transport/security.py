"""The security settings an arbiter shares with its actors: tokens, its internal
credential and TLS, as servers check them and as internal clients present them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sized
from dataclasses import dataclass, replace
from typing import Any

from actorgrpc.transport.auth import Role, TokenTable, bearer_metadata
from actorgrpc.transport.channels import ChannelSecurity
from actorgrpc.transport.server import ServerSecurity
from actorgrpc.transport.tls import TlsFiles

__all__ = ["SecuritySettings", "InsecureBindError", "check_exposure"]


class InsecureBindError(ValueError):
    """A non-loopback bind without TLS and a token, and no ``insecure``."""


def check_exposure(bind: str, *, tokens: Sized, tls: TlsFiles | None, insecure: bool) -> None:
    """Refuse to serve beyond loopback without TLS and a token unless ``insecure``:
    anyone who reaches the port could otherwise run code as this user."""
    from actorgrpc.transport.netutil import is_loopback_bind

    if insecure or is_loopback_bind(bind) or (tokens and tls):
        return
    missing = " and ".join(what for what, present in
                           (("TLS (--tls-cert/--tls-key)", tls),
                            ("a token (--auth-token-file)", tokens)) if not present)
    raise InsecureBindError(
        f"refusing to serve on {bind} without {missing}: anyone who reaches it could "
        "run code as this user; add them, bind to 127.0.0.1, or pass --insecure")


@dataclass(frozen=True)
class SecuritySettings:
    """One arbiter's security, handed to every actor it starts (never over the network)."""

    #: The arbiter's internal credential: actors present it on every call they make.
    credential: str
    #: Every token a server accepts (operator tokens and the internal credential).
    tokens: TokenTable
    #: True when the operator gave tokens: then every call needs one.
    operator_auth: bool
    tls: TlsFiles | None = None

    @classmethod
    def create(cls, operator_tokens: Iterable[tuple[str, Role]] = (),
               tls: TlsFiles | None = None) -> SecuritySettings:
        """New settings with a fresh internal credential (256 random bits)."""
        operator_tokens = list(operator_tokens)
        credential = secrets.token_urlsafe(32)
        return cls(credential=credential,
                   tokens=TokenTable.of([*operator_tokens, (credential, Role.INTERNAL)]),
                   operator_auth=bool(operator_tokens), tls=tls)

    def with_credential(self, credential: str) -> SecuritySettings:
        """The same settings with another internal credential (a cluster's shared one)."""
        kept = tuple(entry for entry in self.tokens.entries if entry[1] is not Role.INTERNAL)
        internal = TokenTable.of([(credential, Role.INTERNAL)]).entries
        return replace(self, credential=credential, tokens=TokenTable(kept + internal))

    def server(self) -> ServerSecurity:
        return ServerSecurity(
            tokens=self.tokens, operator_auth=self.operator_auth,
            credentials=self.tls.server_credentials() if self.tls else None)

    def client(self) -> ChannelSecurity:
        """How the arbiter and its actors call the arbiter and each other."""
        return ChannelSecurity(
            credentials=self.tls.channel_credentials() if self.tls else None,
            metadata=bearer_metadata(self.credential),
            server_name=self.tls.server_name if self.tls else "")

    def to_spec(self) -> dict[str, Any]:
        """The form an actor process is given (digests of tokens, never tokens)."""
        return {"credential": self.credential, "accepted_tokens": self.tokens.accepted(),
                "operator_auth": self.operator_auth,
                "tls": self.tls.as_dict() if self.tls else None}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> SecuritySettings:
        return cls(credential=spec["credential"],
                   tokens=TokenTable.from_accepted(spec["accepted_tokens"]),
                   operator_auth=spec["operator_auth"], tls=TlsFiles.from_dict(spec["tls"]))
