"""How ``serve`` turns its cluster options into settings, without etcd: the internal
credential a cluster's arbiters share, and the etcd connection's TLS and password."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from actorgrpc.ops.cli.serve import _cluster_settings, _secure_cluster
from actorgrpc.ops.config import load_config
from actorgrpc.supervisor.cluster_remote import cluster_credential
from actorgrpc.transport.auth import Role
from actorgrpc.transport.security import SecuritySettings

ADMIN, OTHER, READ = "a" * 32, "b" * 32, "r" * 32


def _settings(**etcd_security):
    cluster = _cluster_settings("10.0.0.1:7070", "10.0.0.5:2379", "prod", None, None, None)
    return _secure_cluster(cluster, [(ADMIN, Role.ADMIN), (READ, Role.READ)], etcd_security)


def test_arbiters_given_the_same_admin_tokens_share_one_credential_per_cluster() -> None:
    shared = cluster_credential([ADMIN, OTHER], "prod")
    assert shared == cluster_credential([OTHER, ADMIN], "prod")  # the order is not the key
    assert shared != cluster_credential([ADMIN, OTHER], "test")
    assert shared != cluster_credential([ADMIN], "prod")
    assert ADMIN not in shared and len(shared) >= 43  # 256 bits, not a token of the file
    assert cluster_credential([], "prod") is None  # read tokens alone: no shared one
    assert _settings().credential == cluster_credential([ADMIN], "prod")  # read tokens ignored


def test_the_shared_credential_replaces_the_random_one_and_keeps_operator_tokens() -> None:
    own = SecuritySettings.create([(ADMIN, Role.ADMIN), (READ, Role.READ)])
    shared = own.with_credential("c" * 43)
    assert shared.tokens.role_of("c" * 43) is Role.INTERNAL
    assert shared.tokens.role_of(own.credential) is None
    assert shared.tokens.role_of(ADMIN) is Role.ADMIN and shared.tokens.role_of(READ) is Role.READ
    assert shared.client().metadata == (("authorization", f"Bearer {'c' * 43}"),)


def test_etcd_tls_and_password_options(tmp_path: Path) -> None:
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n")
    password = tmp_path / "password"
    password.write_text("s3cret\nignored\n")
    settings = _settings(etcd_cacert=str(pem), etcd_cert=str(pem), etcd_key=str(pem),
                         etcd_user="root", etcd_password_file=str(password))
    assert settings.etcd_options["ca_cert"] == pem.read_bytes()
    assert settings.etcd_options["user"] == "root"
    assert settings.etcd_options["password"] == "s3cret"
    assert "s3cret" not in repr(settings)
    with pytest.raises(click.UsageError, match="go together"):
        _settings(etcd_user="root")
    with pytest.raises(click.UsageError, match="go together"):
        _settings(etcd_cacert=str(pem), etcd_cert=str(pem))
    with pytest.raises(click.ClickException, match="not a PEM file"):
        _settings(etcd_cacert=str(password))


def test_etcd_security_keys_in_the_cluster_table(tmp_path: Path) -> None:
    path = tmp_path / "actorgrpc.toml"
    path.write_text('[cluster]\netcd = "10.0.0.5:2379"\netcd_cacert = "ca.pem"\n'
                    'etcd_user = "root"\netcd_password_file = "pw"\n')
    defaults = load_config(str(path)).defaults()
    assert defaults["etcd_cacert"] == "ca.pem" and defaults["etcd_user"] == "root"
    assert defaults["etcd_password_file"] == "pw"
