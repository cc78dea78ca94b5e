"""Tools around an arbiter: ``secrets init`` and the benchmark (a development tool)."""

from __future__ import annotations

import os
import sys

import click


@click.group()
def secrets() -> None:
    """Credentials for an arbiter."""


@secrets.command("init")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--host", "hosts", multiple=True, metavar="NAME",
              help="A name or address clients use to reach the arbiter (repeatable); "
                   "localhost and 127.0.0.1 are always in the certificate.")
def secrets_init(folder: str, hosts: tuple[str, ...]) -> None:
    """Make FOLDER/tokens and a self-signed FOLDER/tls.crt + tls.key, unless present."""
    try:
        from actorgrpc.ops.provision import init_secrets
    except ImportError as exc:
        raise click.ClickException(f"needs the ops extra (pip install 'actorgrpc[ops]'): "
                                   f"{exc}") from None
    created = init_secrets(folder, list(hosts))
    for name in created:
        click.echo(f"created {os.path.join(folder, name)}")
    if not created:
        click.echo(f"{folder} already holds tokens and a certificate; nothing to do")


# Every option, --help included, belongs to the benchmark's own command.
@click.command("bench", add_help_option=False,
               context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def bench(context: click.Context) -> None:
    """Run the benchmark (a development tool: from a checkout, `make bench`)."""
    import pathlib

    folder = pathlib.Path(__file__).resolve().parents[3] / "bench"
    if not (folder / "actorgrpc_bench").is_dir():
        raise click.ClickException("the benchmark is a development tool that is not "
                                   "installed with the package: run it from a checkout "
                                   "of the repository (make bench)")
    sys.path.insert(0, str(folder))
    from actorgrpc_bench.cli import bench_command

    bench_command.main(context.args, prog_name="actorgrpc bench",
                       standalone_mode=True)
