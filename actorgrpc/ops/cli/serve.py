"""``actorgrpc serve``: run an arbiter until SIGTERM or SIGINT."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from actorgrpc.contract.consts import DEFAULT_BIND, DEFAULT_MAX_MESSAGE_BYTES
from actorgrpc.contract.errors import ActorError
from actorgrpc.contract.limits import DEFAULT_LIMITS
from actorgrpc.ops.cli.common import SECONDS

if TYPE_CHECKING:
    from actorgrpc.ops.config import ServeConfig
    from actorgrpc.supervisor.cluster_node import ClusterSettings
    from actorgrpc.supervisor.programs import Program
    from actorgrpc.supervisor.protocols import Plugin
    from actorgrpc.transport.auth import Role


def _read_config_file(ctx: click.Context, _param: click.Parameter,
                      path: str | None) -> str | None:
    """Read ``--config`` before any other option (it is eager), so that the file's
    values become the options' defaults: a flag on the command line wins over the
    file, the file over the built-in defaults (click's default_map)."""
    from actorgrpc.ops.config import ConfigError, ServeConfig, load_config

    try:
        config = load_config(path) if path else ServeConfig()
    except ConfigError as exc:
        raise click.BadParameter(f"\n{exc}", param_hint="--config") from None
    ctx.default_map = {**(ctx.default_map or {}), **config.defaults()}
    ctx.meta["actorgrpc.config"] = config
    return path


@click.command()
@click.option("--config", "config_path", default=None, metavar="FILE", is_eager=True,
              type=click.Path(dir_okay=False), callback=_read_config_file,
              help="TOML configuration file; options given here override it.")
@click.option("--bind", default=DEFAULT_BIND, show_default=True,
              help="HOST:PORT to serve on (port 0 picks a free port).")
@click.option("-m", "--module", "modules", multiple=True,
              help="Module whose @commands and hooks actors may use (repeatable; "
                   "added to the file's modules).")
@click.option("--start", default=None, help="Arbiter start hook, as module:function.")
@click.option("--monitor", "monitors", multiple=True, metavar="NAME=N",
              help="Add a monitor keeping N process workers alive (repeatable; sets "
                   "num_workers of a monitor of the file).")
@click.option("--run-dir", default=None, type=click.Path(file_okay=False),
              help="Folder for actor logs (default: a temp dir).")
@click.option("--max-message-bytes", default=DEFAULT_MAX_MESSAGE_BYTES, show_default=True,
              type=click.IntRange(min=1), help="Largest message accepted or sent.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                                case_sensitive=False))
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--heartbeat-interval", type=SECONDS,
              default=None, help="Seconds between two heartbeats of an actor (default 1).")
@click.option("--spawn-timeout", type=SECONDS, default=None,
              help="Seconds an actor may take to reach RUN (default 30).")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="Serve Prometheus metrics on 127.0.0.1:PORT/metrics (off by default).")
@click.option("--dashboard", "dashboard_port", type=click.IntRange(0, 65535), default=None,
              metavar="PORT", help="Serve the web dashboard on 127.0.0.1:PORT (off by default).")
@click.option("--auth-token-file", default=None, type=click.Path(dir_okay=False),
              help="Require a token on every call: one \"ROLE TOKEN\" per line, role admin "
                   "or read.")
@click.option("--tls-cert", default=None, type=click.Path(dir_okay=False),
              help="Serve TLS with this PEM certificate chain (the arbiter and its actors).")
@click.option("--tls-key", default=None, type=click.Path(dir_okay=False),
              help="The PEM private key of --tls-cert.")
@click.option("--tls-client-ca", default=None, type=click.Path(dir_okay=False),
              help="Require client certificates signed by this CA (mutual TLS).")
@click.option("--tls-ca", default=None, type=click.Path(dir_okay=False),
              help="CA that signed --tls-cert, for the actors' own connections "
                   "(default: the certificate itself, right when it is self-signed).")
@click.option("--insecure", is_flag=True, default=None,
              help="Allow a non-loopback --bind without TLS and a token.")
@click.option("--program", "programs", multiple=True, metavar="NAME=COMMAND",
              help="Register a program that EXEC actors may run (repeatable; the "
                   "command is split like a shell would, never run by one).")
@click.option("--max-actors", type=click.IntRange(min=1), default=DEFAULT_LIMITS.max_actors,
              show_default=True, help="Live actors (all kinds) beyond which spawns are "
                                      "refused with RESOURCE_EXHAUSTED.")
@click.option("--max-thread-actors", type=click.IntRange(min=1),
              default=DEFAULT_LIMITS.max_thread_actors, show_default=True,
              help="Live thread actors (a thread and 3 fds of the arbiter each).")
@click.option("--max-pending-calls", type=click.IntRange(min=1),
              default=DEFAULT_LIMITS.max_pending_calls, show_default=True,
              help="Calls one actor may have running; more get RESOURCE_EXHAUSTED.")
@click.option("--etcd", default=None, metavar="URL[,URL...]",
              help="Join a cluster coordinated by these etcd endpoints (docs/cluster.md); "
                   "without it the arbiter is alone, as always.")
@click.option("--cluster", "cluster_name", default=None, metavar="NAME",
              help="The cluster's name (its keys in etcd); needs --etcd.")
@click.option("--advertise", default=None, metavar="HOST:PORT",
              help="Address the other hosts reach this arbiter at (default: --bind); "
                   "its actors listen on HOST. It names this host in the cluster.")
@click.option("--lease-ttl", type=click.IntRange(min=2), default=None,
              help="Seconds of this arbiter's etcd lease (default 5; keep-alive every "
                   "TTL/3). A host cut off from etcd this long loses its actors' names.")
@click.option("--placement", type=click.Choice(["least-loaded", "local"]), default=None,
              help="Where a spawn with no host goes (default least-loaded).")
@click.option("--etcd-cacert", default=None, type=click.Path(dir_okay=False),
              help="CA of etcd's TLS certificate: talk to etcd over TLS.")
@click.option("--etcd-cert", default=None, type=click.Path(dir_okay=False),
              help="Client certificate for etcd (its client-cert-auth); with --etcd-key.")
@click.option("--etcd-key", default=None, type=click.Path(dir_okay=False),
              help="The PEM private key of --etcd-cert.")
@click.option("--etcd-user", default=None, help="etcd user (etcd auth enabled).")
@click.option("--etcd-password-file", default=None, type=click.Path(dir_okay=False),
              help="File whose first line is --etcd-user's password.")
def serve(config_path: str | None, bind: str, modules: tuple[str, ...], start: str | None,
          monitors: tuple[str, ...], run_dir: str | None, max_message_bytes: int,
          log_level: str, log_format: str, heartbeat_interval: float | None,
          spawn_timeout: float | None, metrics_port: int | None, dashboard_port: int | None,
          auth_token_file: str | None, tls_cert: str | None, tls_key: str | None,
          tls_client_ca: str | None, tls_ca: str | None, insecure: bool,
          programs: tuple[str, ...], max_actors: int, max_thread_actors: int,
          max_pending_calls: int, etcd: str | None, cluster_name: str | None,
          advertise: str | None, lease_ttl: int | None, placement: str | None,
          **etcd_security: str | None) -> None:
    """Run an arbiter until SIGTERM or SIGINT."""
    from actorgrpc.actor.logs import configure_logging
    from actorgrpc.contract.limits import Limits
    from actorgrpc.supervisor.arbiter import Arbiter
    from actorgrpc.transport.server import BindError

    config: ServeConfig = click.get_current_context().meta["actorgrpc.config"]
    log_level = log_level.upper()
    security = _serve_security(
        bind, insecure=insecure, auth_token_file=auth_token_file, tls_cert=tls_cert,
        tls_key=tls_key, tls_client_ca=tls_client_ca, tls_ca=tls_ca)
    timings = config.arbiter_kwargs()
    if heartbeat_interval is not None:
        timings["heartbeat_interval"] = heartbeat_interval
    if spawn_timeout is not None:
        timings["spawn_timeout"] = spawn_timeout
    registered = _programs(config, programs)
    pools = _pools(config, monitors)
    configure_logging(log_level, log_format)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    plugins = _plugins(metrics_port, dashboard_port)
    cluster = _cluster_settings(bind, etcd, cluster_name, advertise, lease_ttl, placement)
    if cluster is not None:
        cluster = _secure_cluster(cluster, security["auth_tokens"], etcd_security)
    try:
        arb = Arbiter(bind=bind, modules=[*config.modules, *modules], start=start,
                      run_dir=run_dir, max_message_bytes=max_message_bytes, announce=True,
                      log_level=log_level, log_format=log_format, plugins=plugins,
                      programs=list(registered.values()), cluster=cluster, **security,
                      **timings, limits=Limits(max_actors=max_actors,
                                               max_thread_actors=max_thread_actors,
                                               max_pending_calls=max_pending_calls))
        for name, params in pools.items():
            arb.add_monitor(name, **params)
        code = arb.start()
    except BindError as exc:
        raise click.ClickException(str(exc)) from None
    except ActorError as exc:
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
    sys.exit(code)


def _cluster_settings(bind: str, etcd: str | None, name: str | None, advertise: str | None,
                      lease_ttl: int | None, placement: str | None) -> ClusterSettings | None:
    """ClusterSettings from ``--etcd`` and its companions; None without ``--etcd``."""
    if not etcd:
        if name or advertise:
            raise click.UsageError("--cluster and --advertise need --etcd")
        return None
    from actorgrpc.supervisor.cluster_node import ClusterSettings

    advertise = advertise or bind
    host, _, port = advertise.rpartition(":")
    if not host or not port.isdigit() or int(port) == 0 or host in ("0.0.0.0", "::", "[::]"):
        raise click.BadParameter(f"{advertise!r}: a HOST:PORT that other hosts can dial "
                                 "(no port 0, no wildcard address)", param_hint="--advertise")
    endpoints = tuple(e.strip() for e in etcd.split(",") if e.strip())
    return ClusterSettings(endpoints=endpoints, name=name or "default", advertise=advertise,
                           lease_ttl=lease_ttl or 5, placement=placement or "least-loaded")


def _secure_cluster(cluster: ClusterSettings, tokens: Iterable[tuple[str, Role]],
                    etcd_security: dict[str, str | None]) -> ClusterSettings:
    """``cluster`` with the credential its arbiters share and the etcd connection's
    TLS and password (``--etcd-cacert``, ...)."""
    import dataclasses

    from actorgrpc.supervisor.cluster_remote import cluster_credential
    from actorgrpc.transport.auth import Role
    from actorgrpc.transport.tls import TlsError, read_pem

    credential = cluster_credential([t for t, role in tokens if role is Role.ADMIN],
                                    cluster.name)
    options: dict[str, Any] = {}
    try:
        for option, key, what in (("etcd_cacert", "ca_cert", "etcd CA"),
                                  ("etcd_cert", "cert_chain", "etcd client certificate"),
                                  ("etcd_key", "cert_key", "etcd client key")):
            path = etcd_security.get(option)
            if path:
                options[key] = read_pem(path, what)
    except TlsError as exc:
        raise click.ClickException(str(exc)) from None
    if ("cert_chain" in options) != ("cert_key" in options):
        raise click.UsageError("--etcd-cert and --etcd-key go together")
    if ("cert_chain" in options or "cert_key" in options) and "ca_cert" not in options:
        raise click.UsageError("--etcd-cert needs --etcd-cacert")
    user, password_file = etcd_security.get("etcd_user"), etcd_security.get("etcd_password_file")
    if bool(user) != bool(password_file):
        raise click.UsageError("--etcd-user and --etcd-password-file go together")
    if user and password_file:
        try:
            with open(password_file, encoding="utf-8") as handle:
                options["password"] = handle.readline().rstrip("\r\n")
        except OSError as exc:
            raise click.ClickException(f"cannot read {password_file}: {exc}") from None
        options["user"] = user
    return dataclasses.replace(cluster, credential=credential, etcd_options=options)


def _programs(config: ServeConfig, options: Iterable[str]) -> dict[str, Program]:
    """The file's programs, then those of ``--program`` (which win by name)."""
    from actorgrpc.supervisor.programs import parse_program_option

    registered = {program.name: program for program in config.programs}
    for item in options:
        try:
            program = parse_program_option(item)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--program") from None
        registered[program.name] = program
    return registered


def _pools(config: ServeConfig, options: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The file's monitors; ``--monitor NAME=N`` sets (or adds) one's num_workers."""
    pools = {name: dict(params) for name, params in config.monitors.items()}
    for item in options:
        name, _, count = item.partition("=")
        if not name or not count.isdigit():
            raise click.BadParameter(f"expected NAME=N, got {item!r}", param_hint="--monitor")
        pools.setdefault(name, {})["num_workers"] = int(count)
    return pools


def _plugins(metrics_port: int | None, dashboard_port: int | None) -> list[Plugin]:
    plugins: list[Plugin] = []
    try:
        if metrics_port is not None:
            from actorgrpc.ops.metrics import MetricsPlugin

            plugins.append(MetricsPlugin(metrics_port))
        if dashboard_port is not None:
            from actorgrpc.ops.dashboard import DashboardPlugin

            plugins.append(DashboardPlugin(dashboard_port))
    except ImportError as exc:
        raise click.ClickException(f"--metrics-port and --dashboard need the ops extra "
                                   f"(pip install 'actorgrpc[ops]'): {exc}") from None
    return plugins


def _serve_security(bind: str, *, insecure: bool, auth_token_file: str | None,
                    tls_cert: str | None, tls_key: str | None, tls_client_ca: str | None,
                    tls_ca: str | None) -> dict[str, Any]:
    """Tokens and TLS of ``serve`` as Arbiter keyword arguments; refuses a
    non-loopback bind without both unless ``insecure``."""
    from actorgrpc.transport.auth import TokenFileError, load_token_file
    from actorgrpc.transport.security import InsecureBindError, check_exposure
    from actorgrpc.transport.tls import TlsError, TlsFiles

    tokens = []
    if auth_token_file:
        try:
            tokens = load_token_file(auth_token_file)
        except TokenFileError as exc:
            raise click.BadParameter(str(exc), param_hint="--auth-token-file") from None
    tls = None
    if tls_cert or tls_key or tls_client_ca or tls_ca:
        if not (tls_cert and tls_key):
            raise click.UsageError("TLS needs both --tls-cert and --tls-key")
        tls = TlsFiles(cert_file=tls_cert, key_file=tls_key, ca_file=tls_ca or "",
                       client_ca_file=tls_client_ca or "")
        try:
            tls.check()
        except TlsError as exc:
            raise click.ClickException(str(exc)) from None
    try:
        check_exposure(bind, tokens=tokens, tls=tls, insecure=bool(insecure))
    except InsecureBindError as exc:
        raise click.ClickException(str(exc)) from None
    return {"auth_tokens": tokens, "tls": tls, "insecure": bool(insecure)}
