"""The ``actorgrpc bench`` command."""

from __future__ import annotations

import click


@click.command("bench")
@click.option("--quick", is_flag=True, help="Fewer repetitions (under a minute).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--soak", type=float, default=None, metavar="SECONDS",
              help="Instead: run traffic for SECONDS and report memory before and after.")
@click.option("--tls", is_flag=True, help="The arbiter under test serves TLS.")
@click.option("--auth", is_flag=True, help="The arbiter under test needs tokens.")
def bench_command(quick, as_json, soak, tls, auth):
    """Measure actorgrpc against raw gRPC baselines in the same run."""
    if soak is not None:
        from actorgrpc_bench.soak import main as soak_main

        soak_main(soak, as_json)
        return
    from actorgrpc_bench.run import main as run_main

    run_main(quick, as_json, tls=tls, auth=auth)
