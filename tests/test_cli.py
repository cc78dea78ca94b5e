"""The command line against a live arbiter: serve, ps, spawn, send, info, stop."""

import json
import os
import subprocess
import sys

import pytest

from .support import ROOT, ArbiterProcess


def cli(address, *args, check=True):
    # 60 s bound: each command imports grpc (~0.1 s) and makes one or two calls.
    result = subprocess.run([sys.executable, "-m", "actorgrpc", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "ACTORGRPC_ADDRESS": address})
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_client_commands(arbiter_process):
    address = arbiter_process.address
    spawned = json.loads(cli(address, "spawn", "--name", "cli-1").stdout)
    assert spawned["name"] == "cli-1"
    assert json.loads(cli(address, "send", "cli-1", "add", "1", "2").stdout) == 3
    assert json.loads(cli(address, "send", "cli-1", "echo", '{"a": [1]}').stdout) == {"a": [1]}
    assert json.loads(cli(address, "send", "cli-1", "greet", "--kwargs",
                          '{"name": "cli"}').stdout) == "hello cli! from cli-1"
    info = json.loads(cli(address, "info", "cli-1").stdout)
    assert info["actor"]["name"] == "cli-1"
    listed = json.loads(cli(address, "ps", "--json").stdout)
    assert "cli-1" in [a["actor"]["name"] for a in listed]
    table = cli(address, "ps").stdout
    assert "cli-1" in table and "running" in table
    assert "stopped cli-1" in cli(address, "stop", "cli-1").stdout


def test_client_errors_have_messages_and_exit_codes(arbiter_process):
    address = arbiter_process.address
    missing = cli(address, "send", "nobody", "ping", check=False)
    assert missing.returncode == 3 and "nobody" in missing.stderr
    cli(address, "spawn", "--name", "cli-2")
    unknown = cli(address, "send", "cli-2", "fly", check=False)
    assert unknown.returncode == 4 and "fly" in unknown.stderr
    failed = cli(address, "send", "cli-2", "boom", "bad", check=False)
    assert failed.returncode == 1 and "ValueError: bad" in failed.stderr
    cli(address, "stop", "cli-2")
    unreachable = cli("127.0.0.1:1", "ps", check=False)
    assert unreachable.returncode == 2 and "unreachable" in unreachable.stderr


def test_second_arbiter_on_the_same_port_fails_clearly(arbiter_process):
    # 60 s bound: the second arbiter fails right after importing grpc.
    result = subprocess.run(
        [sys.executable, "-m", "actorgrpc", "serve", "--bind", arbiter_process.address],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "cannot listen on" in result.stderr


def test_serve_refuses_bad_monitor_option():
    result = subprocess.run([sys.executable, "-m", "actorgrpc", "serve", "--bind",
                             "127.0.0.1:0", "--monitor", "pool"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "NAME=N" in result.stderr


def test_serve_refuses_a_module_that_does_not_import():
    with pytest.raises(AssertionError, match="No module named"):
        ArbiterProcess(modules=["tests.no_such_module"])


@pytest.mark.parametrize("layout", ["run_dir_is_a_file", "logs_is_a_file"])
def test_a_run_dir_that_cannot_be_used_is_one_line_of_error(tmp_path, layout):
    run_dir = tmp_path / "run"
    if layout == "run_dir_is_a_file":
        run_dir.write_text("")
    else:
        run_dir.mkdir()
        (run_dir / "logs").write_text("")
    result = subprocess.run([sys.executable, "-m", "actorgrpc", "serve", "--bind",
                             "127.0.0.1:0", "--run-dir", str(run_dir)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode in (1, 2), result.stderr
    assert "Traceback" not in result.stderr
    assert str(run_dir) in result.stderr and "Error:" in result.stderr
