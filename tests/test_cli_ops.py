"""Operating an arbiter from the command line: ps, spawn --count, info, top, exit codes.

Most calls run the click command in this process (CliRunner: same code, exit codes
and output, without ~0.4 s of interpreter start each); ``top`` runs as a real
subprocess, as test_cli.py does for the rest.
"""

import json
import re

import pytest
from click.testing import CliRunner

from actorgrpc.ops.cli import main
from actorgrpc.ops.console import TopSampler, human_bytes, human_seconds
from actorgrpc.v1 import actor_pb2

from . import test_cli
from .support import wait_for


class Result:
    def __init__(self, outcome):
        self.returncode = outcome.exit_code
        self.stdout = outcome.stdout
        self.stderr = outcome.stderr


def cli(address, *args, check=True):
    """``actorgrpc ARGS --address ADDRESS`` in this process."""
    outcome = CliRunner().invoke(main, [*args, "--address", address])
    if outcome.exception and not isinstance(outcome.exception, SystemExit):
        raise outcome.exception
    result = Result(outcome)
    if check:
        assert result.returncode == 0, result.stderr
    return result

COLUMNS = ["AID", "NAME", "KIND", "STATE", "PID", "UPTIME", "RESTARTS", "MEMORY", "CPU%",
           "BEAT"]


def rows(table: str) -> dict:
    """NAME → the cells of its row in a ``ps``/``top`` table."""
    found = {}
    for line in table.splitlines():
        cells = line.split()
        if len(cells) >= len(COLUMNS) and cells[2] in ("process", "thread", "monitor",
                                                       "arbiter"):
            found[cells[1]] = cells
    return found


def test_ps_table_filters_and_json(arbiter_process):
    address = arbiter_process.address
    process = json.loads(cli(address, "spawn", "--name", "ops-p").stdout)
    thread = json.loads(cli(address, "spawn", "--name", "ops-t", "--kind", "thread").stdout)
    table = cli(address, "ps").stdout
    assert table.split("\n")[0].split() == COLUMNS
    listed = rows(table)
    assert listed["ops-p"][:4] == [process["aid"], "ops-p", "process", "running"]
    assert listed["ops-t"][:4] == [thread["aid"], "ops-t", "thread", "running"]
    # Memory comes from heartbeats: the first full one follows the spawn within 0.1 s
    # (10 s would mean the actor hangs).
    wait_for(lambda: re.search(r"\d+\.\d MiB",
                               " ".join(rows(cli(address, "ps").stdout)["ops-p"])),
             10, "the memory of ops-p in ps")
    assert listed["ops-t"][7:] == ["-", "-", "-"]  # no heartbeat of its own
    assert listed["arbiter"][2] == "arbiter"

    only = rows(cli(address, "ps", "--name-prefix", "ops-").stdout)
    assert set(only) == {"ops-p", "ops-t"}
    assert set(rows(cli(address, "ps", "--name-prefix", "ops-", "--state", "running",
                        "--monitor", "arbiter").stdout)) == {"ops-p", "ops-t"}
    assert rows(cli(address, "ps", "--name-prefix", "ops-", "--state", "stopping").stdout) \
        == {}

    cli(address, "stop", "ops-t")
    as_json = json.loads(cli(address, "ps", "--json", "--all", "--name-prefix", "ops-").stdout)
    states = {a["actor"]["name"]: a["actor"]["state"] for a in as_json}
    assert states == {"ops-p": "running", "ops-t": "closed"}
    cli(address, "stop", "ops-p")


def test_spawn_many_with_progress_and_failures(arbiter_process):
    address = arbiter_process.address
    result = cli(address, "spawn", "--name", "many", "--count", "3", "--parallel", "2",
                 "--extra", '{"role": "batch"}')
    spawned = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(p["name"] for p in spawned) == ["many-0", "many-1", "many-2"]
    assert {p["state"] for p in spawned} == {"running"}  # the name, as ps shows it
    assert "spawned 3/3" in result.stderr and "3/3 spawned in" in result.stderr
    info = json.loads(cli(address, "info", "many-1").stdout)
    assert info["extra"] == {"role": "batch"}

    failed = cli(address, "spawn", "--name", "many-bad", "--count", "2",
                 "--start", "tests.sample_actors:failing_start", check=False)
    assert failed.returncode == 1 and failed.stdout == ""
    assert "spawned 0 of 2; 2 failed" in failed.stderr
    assert "SpawnError" in failed.stderr and "no database" in failed.stderr

    taken = cli(address, "spawn", "--name", "many-0", check=False)
    assert taken.returncode == 1 and "ActorAlreadyExists" in taken.stderr
    bad_extra = cli(address, "spawn", "--extra", "[1]", check=False)
    assert bad_extra.returncode == 2 and "must be a JSON object" in bad_extra.stderr
    denied = cli(address, "spawn", "--start", "os:system", check=False)
    assert denied.returncode == 1 and "PermissionDenied" in denied.stderr
    for name in ("many-0", "many-1", "many-2"):
        cli(address, "stop", name)


def test_info_tree_and_json(arbiter_process):
    address = arbiter_process.address
    proxy = json.loads(cli(address, "spawn", "--name", "ops-info").stdout)
    tree = cli(address, "info", "ops-info", "--tree").stdout
    assert tree.splitlines()[0] == f"ops-info ({proxy['aid']})"
    assert "├── actor" in tree and f"aid: {proxy['aid']}" in tree
    assert "state_description: running" in tree and "supervision" in tree
    # JSON on a pipe by default (and with --json).
    for args in ((), ("--json",)):
        data = json.loads(cli(address, "info", "ops-info", *args).stdout)
        assert data["actor"]["aid"] == proxy["aid"]
    arbiter_tree = cli(address, "info", "--tree").stdout
    assert arbiter_tree.startswith("arbiter (arbiter)") and "run_dir" in arbiter_tree
    # Metrics and dashboard are off unless asked for.
    extra = json.loads(cli(address, "info").stdout)["extra"]
    assert "metrics_url" not in extra and "dashboard_url" not in extra
    missing = cli(address, "info", "nobody", check=False)
    assert missing.returncode == 3 and "nobody" in missing.stderr
    cli(address, "stop", "ops-info")


def test_top_once_and_iterations(arbiter_process):
    address = arbiter_process.address
    json.loads(cli(address, "spawn", "--name", "ops-top").stdout)
    cli(address, "send", "ops-top", "add", "1", "2")

    def processed():
        listed = json.loads(cli(address, "ps", "--json", "--name-prefix", "ops-top").stdout)
        return listed[0]["processed"] >= 1
    # 10 s: counts reach the arbiter with the next heartbeat (every 1 s).
    wait_for(processed, 10, "the add in a heartbeat")
    once = test_cli.cli(address, "top", "--once", "--interval", "0.2",
                        "--name-prefix", "ops-").stdout
    assert once.startswith(f"actorgrpc top — {address} — ")
    assert "1 actors (1 running)" in once
    header = [line for line in once.splitlines() if line.split()[:1] == ["AID"]][0]
    assert header.split() == COLUMNS + ["MSG/S", "MAILBOX", "PROCESSED"]
    row = rows(once)["ops-top"]
    # Two samples 0.2 s apart: a rate (a number, not "-"), and the processed count.
    assert re.fullmatch(r"\d+\.\d", row[-3]) and row[-2] == "0"
    assert int(row[-1]) >= 1
    frames = cli(address, "top", "--iterations", "2", "--interval", "0.1", "--sort", "name")
    assert frames.stdout.count("actorgrpc top — ") == 2
    cli(address, "stop", "ops-top")


def test_errors_have_messages_and_exit_codes(arbiter_process):
    address = arbiter_process.address
    for command in (["ps"], ["top", "--once", "--interval", "0.1"], ["watch"],
                    ["logs", "x"], ["info"], ["stop", "x"]):
        result = cli("127.0.0.1:1", *command, check=False)
        assert result.returncode == 2, (command, result.stderr)
        assert "error: arbiter at 127.0.0.1:1 unreachable" in result.stderr
        assert "Traceback" not in result.stderr
    assert cli(address, "stop", "nobody", check=False).returncode == 3
    cli(address, "spawn", "--name", "ops-err")
    unknown = cli(address, "send", "ops-err", "fly", check=False)
    assert unknown.returncode == 4 and "fly" in unknown.stderr
    bad_kwargs = cli(address, "send", "ops-err", "add", "--kwargs", "{", check=False)
    assert bad_kwargs.returncode == 2 and "not JSON" in bad_kwargs.stderr
    bad_state = cli(address, "ps", "--state", "sleeping", check=False)
    assert bad_state.returncode == 2 and "running" in bad_state.stderr
    cli(address, "stop", "ops-err")


def test_address_comes_from_the_environment():
    # CliRunner: no subprocess, no arbiter; the unreachable error names the address.
    result = CliRunner().invoke(main, ["ps"], env={"ACTORGRPC_ADDRESS": "127.0.0.1:1"})
    assert result.exit_code == 2 and "127.0.0.1:1" in result.output
    help_text = CliRunner().invoke(main, ["--help"]).output
    for command in ("ps", "spawn", "send", "info", "stop", "logs", "watch", "top", "serve"):
        assert f"  {command} " in help_text


def _summary(aid, processed, name="a"):
    return actor_pb2.ActorSummary(actor=actor_pb2.ActorRef(aid=aid, name=name),
                                  processed=processed)


def test_top_rates_survive_restarts():
    sampler = TopSampler()
    assert sampler.rates([_summary("a1", 10)], now=0.0) == {"a1": None}
    assert sampler.rates([_summary("a1", 30)], now=2.0) == {"a1": 10.0}
    # A restart: new aid, counter from 0; no negative rate, no rate until two samples.
    assert sampler.rates([_summary("a2", 0)], now=3.0) == {"a2": None}
    assert sampler.rates([_summary("a2", 5)], now=4.0) == {"a2": 5.0}


@pytest.mark.parametrize("seconds, text", [(0, "-"), (1.25, "1.2s"), (61, "1m01s"),
                                           (3 * 3600 + 300, "3h05m"), (2 * 86400 + 7200,
                                                                       "2d02h")])
def test_human_seconds(seconds, text):
    assert human_seconds(seconds) == text


def test_human_bytes():
    assert [human_bytes(n) for n in (0, 512, 2048, 41_693_184, 3 * 1024 ** 3)] == [
        "-", "512 B", "2.0 KiB", "39.8 MiB", "3.0 GiB"]
