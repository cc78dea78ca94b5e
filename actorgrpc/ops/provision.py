"""First-start credentials for an arbiter: a token file and a self-signed certificate.

``actorgrpc secrets init DIR`` (what the container image runs at first start) writes,
unless they are already there (mounted by the operator, or made by an earlier start):

* ``DIR/tokens``: one admin and one read token, 256 random bits each, mode 0600;
* ``DIR/tls.key`` and ``DIR/tls.crt``: an ECDSA P-256 key and a self-signed
  certificate valid for ``localhost``, ``127.0.0.1``, ``::1`` and the names given.
  Clients trust it with ``--cacert DIR/tls.crt``.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
from collections.abc import Sequence

__all__ = ["init_secrets", "TOKENS", "CERT", "KEY"]

TOKENS, CERT, KEY = "tokens", "tls.crt", "tls.key"
#: Days the self-signed certificate is valid.
VALID_DAYS = 825


def _write_private(path: str, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _certificate(hosts: list[str]) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(["localhost", "127.0.0.1", "::1", *hosts]):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "actorgrpc arbiter")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        # Its own CA (clients trust it directly), and a server and client certificate
        # (actors present it to each other under mutual TLS).
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                              ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def init_secrets(folder: str, hosts: Sequence[str] = ()) -> list[str]:
    """Create what is missing in ``folder``; return the names of the files created."""
    os.makedirs(folder, mode=0o700, exist_ok=True)
    created = []
    tokens = os.path.join(folder, TOKENS)
    if not os.path.exists(tokens):
        _write_private(tokens, (f"# role token (made by actorgrpc secrets init)\n"
                                f"admin {secrets.token_urlsafe(32)}\n"
                                f"read {secrets.token_urlsafe(32)}\n").encode())
        created.append(TOKENS)
    cert, key = os.path.join(folder, CERT), os.path.join(folder, KEY)
    if not (os.path.exists(cert) and os.path.exists(key)):
        cert_pem, key_pem = _certificate(list(hosts))
        for path in (cert, key):
            if os.path.exists(path):
                os.remove(path)  # half a pair is useless: make both again
        _write_private(key, key_pem)
        with open(cert, "wb") as handle:
            handle.write(cert_pem)
        created += [CERT, KEY]
    return created
