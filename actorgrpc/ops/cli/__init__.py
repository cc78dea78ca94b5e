"""The ``actorgrpc`` command line: ``serve`` runs an arbiter, the rest talk to one.

Client commands find the arbiter with ``--address`` or ``$ACTORGRPC_ADDRESS`` and
exit with 0 ok, 1 the call failed, 2 arbiter unreachable (or actor unavailable),
3 unknown actor, 4 unknown action, 130 interrupted. Rendering lives in console.py,
the configuration file in config.py; this package parses options and makes calls:
common.py (connection options, exit codes), serve.py, actors.py (ps, top, spawn,
send, info, stop, logs, watch) and tools.py (secrets, bench).
"""

from __future__ import annotations

import os

# Before anything imports grpc (see actorgrpc/supervisor/__init__.py): the arbiter
# this command may run starts processes with fork+exec while gRPC runs.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

import click  # noqa: E402 - after the environment variable above

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="actorgrpc")
def main() -> None:
    """actorgrpc: a supervised actor service over gRPC."""


def _register() -> None:
    from actorgrpc.ops.cli import actors, serve, tools

    main.add_command(serve.serve)
    for command in (actors.ps, actors.top, actors.spawn_command, actors.send_command,
                    actors.info_command, actors.stop_command, actors.logs_command,
                    actors.watch_command, tools.secrets, tools.bench):
        main.add_command(command)


_register()
