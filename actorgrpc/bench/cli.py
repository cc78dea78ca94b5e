"""The ``actorgrpc bench`` command."""

from __future__ import annotations

import click


@click.command("bench")
@click.option("--quick", is_flag=True, help="Fewer repetitions (under a minute).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--soak", type=float, default=None, metavar="SECONDS",
              help="Instead: run traffic for SECONDS and report memory before and after.")
def bench_command(quick, as_json, soak):
    """Measure actorgrpc against raw gRPC baselines in the same run."""
    if soak is not None:
        from .soak import main as soak_main

        soak_main(soak, as_json)
        return
    from .run import main as run_main

    run_main(quick, as_json)
