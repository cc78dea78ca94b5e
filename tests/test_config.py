"""``actorgrpc serve --config FILE``: validation with line numbers, and flags winning."""

import json
import os
import subprocess
import sys

import pytest

from actorgrpc.ops.config import ConfigError, load_config, locate, parse_config

from .support import ROOT, ArbiterProcess, wait_for

EXAMPLE = os.path.join(ROOT, "examples", "actorgrpc.toml")


def test_the_example_file_is_valid_and_complete():
    config = load_config(EXAMPLE)
    assert config.bind == "127.0.0.1:7070"
    assert "actorgrpc.examples.demo" in config.modules
    assert config.heartbeat_interval == 1.0 and config.spawn_timeout == 30.0
    assert config.log_format in ("text", "json")
    assert config.monitors["workers"]["num_workers"] == 2


def test_every_setting_is_read():
    config = parse_config("""
[server]
bind = "127.0.0.1:0"
modules = ["a.b", "c"]
start = "a.b:start"
run_dir = "/tmp/x"
max_message_bytes = 1024

[supervision]
heartbeat_interval = 0.5
monitor_task_period = 0.25
spawn_timeout = 10
action_timeout = 2

[logging]
level = "debug"
format = "json"

[metrics]
port = 9100

[dashboard]
port = 0

[monitors.web]
num_workers = 3
kind = "process"
extra = { role = "web" }
restart = "permanent"
strategy = "one_for_one"
max_restarts = 5
max_seconds = 10.0
backoff_initial = 0.1
backoff_max = 5
stable_seconds = 30

[monitors.idle]
""")
    assert config.bind == "127.0.0.1:0" and config.modules == ["a.b", "c"]
    assert config.start == "a.b:start" and config.run_dir == "/tmp/x"
    assert config.max_message_bytes == 1024
    assert config.arbiter_kwargs() == {"heartbeat_interval": 0.5,
                                       "monitor_task_period": 0.25, "spawn_timeout": 10,
                                       "action_timeout": 2}
    assert (config.log_level, config.log_format) == ("debug", "json")
    assert (config.metrics_port, config.dashboard_port) == (9100, 0)
    # The restart policy is passed through to add_monitor untouched.
    assert config.monitors["web"] == {
        "num_workers": 3, "kind": "process", "extra": {"role": "web"},
        "restart": "permanent", "strategy": "one_for_one", "max_restarts": 5,
        "max_seconds": 10.0, "backoff_initial": 0.1, "backoff_max": 5, "stable_seconds": 30}
    assert config.monitors["idle"] == {"num_workers": 1}


def test_an_empty_file_sets_nothing():
    config = parse_config("")
    assert config.bind is None and config.monitors == {} and config.arbiter_kwargs() == {}


@pytest.mark.parametrize("text, expected", [
    # Syntax errors: tomllib's own message, with its line and column.
    ('[server]\nbind = "127.0.0.1:7070\n', "x.toml: invalid TOML: "),
    ("[server]\nbind = 1\nbind = 2\n", "line 3"),
    # Unknown keys and tables: the line of the key, its table and the keys expected.
    ('[server]\n\nbnd = "x"\n', "x.toml:3: unknown key 'bnd' in [server]; expected one of bind"),
    ("[severs]\nbind = 1\n",
     "x.toml:1: unknown table or key 'severs'; expected one of cluster, dashboard, limits, "
     "logging"),
    ("heartbeat_interval = 1\n", "x.toml:1: unknown table or key 'heartbeat_interval'"),
    ("[monitors.web]\nnum_worker = 2\n", "x.toml:2: unknown key 'num_worker' in "
                                         "[monitors.web]"),
    # Wrong types: the key's line, what was expected and what was given.
    ("[monitors.web]\nkind = 'thread'\nnum_workers = \"4\"\n",
     'x.toml:3: [monitors.web] num_workers: must be a valid integer, got "4"'),
    ("[monitors.web]\nnum_workers = -1\n",
     "x.toml:2: [monitors.web] num_workers: must be greater than or equal to 0, got -1"),
    ("[monitors.web]\nmax_restarts = true\n", "max_restarts: must be a valid integer, got true"),
    ("[monitors.web]\nrestart = 3\n", "x.toml:2: [monitors.web] restart: must be '', 'permanent'"),
    ("[monitors.web]\nbackoff_max = 'long'\n", "backoff_max: must be a valid number, got \"long\""),
    ("[supervision]\nspawn_timeout = 0\n", "x.toml:2: [supervision] spawn_timeout: must be "
                                           "greater than 0, got 0"),
    ("[server]\nmodules = 'a.b'\n", "x.toml:2: [server] modules: must be a valid list"),
    ("[server]\nmodules = ['a', 3]\n",
     "x.toml:2: [server] modules[1]: must be a valid string, got 3"),
    ("[server]\nbind = '127.0.0.1'\n", "bind: must be a HOST:PORT string, got \"127.0.0.1\""),
    ("[logging]\nformat = 'xml'\n", 'x.toml:2: [logging] format: must be \'text\' or \'json\''),
    ("[logging]\nlevel = 'LOUD'\n", "level: must be 'DEBUG'"),
    ("[metrics]\nport = 70000\n", "x.toml:2: [metrics] port: must be less than or equal to 65535"),
    ("server = 3\n", "x.toml:1: [server]: must be a table"),
    ("[monitors]\nweb = 3\n", "x.toml:2: [monitors.web]: must be a table"),
    # Dotted keys are located too.
    ("[supervision]\nspawn_timeout = inf\n", "spawn_timeout: must be a finite number, got inf"),
    ("[monitors.a]\nname = 'x'\n", "unknown key 'name' in [monitors.a]"),
    ("[programs.p]\ncommand = []\n", "x.toml:2: [programs.p] command: List should have at least 1"),
    ("monitors.web.num_workers = 'x'\n",
     "x.toml:1: [monitors.web] num_workers: must be a valid integer"),
])
def test_bad_files_are_refused_naming_line_and_key(text, expected):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "x.toml")
    assert expected in str(caught.value)


def test_every_problem_is_reported_at_once_in_line_order():
    text = "[server]\nbind = 3\n\n[monitors.a]\nnum_workers = 'x'\nbogus = 1\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "f.toml")
    lines = str(caught.value).splitlines()
    assert [line.split(":")[1] for line in lines] == ["2", "5", "6"]


def test_unreadable_files_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(str(tmp_path / "missing.toml"))
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(str(binary))


def test_locate_finds_headers_keys_and_quoted_tables():
    text = '# c\n[server]\nbind = "x"\n\n["monitors"."my pool"]\nnum_workers = 1\n'
    assert locate(text, ("server",)) == 2
    assert locate(text, ("server", "bind")) == 3
    assert locate(text, ("monitors", "my pool")) == 5
    assert locate(text, ("monitors", "my pool", "num_workers")) == 6
    assert locate(text, ("nowhere",)) is None


def _serve(*args, timeout=60):
    # 60 s bound: a refused configuration exits right after importing click.
    return subprocess.run([sys.executable, "-m", "actorgrpc", "serve", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_serve_refuses_a_bad_file_with_its_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[server]\nbind = '127.0.0.1:0'\n\n[monitors.web]\nnum_workers = 'four'\n")
    result = _serve("--config", str(bad))
    assert result.returncode == 2
    assert f"{bad}:5: [monitors.web] num_workers: must be a valid integer" \
        in result.stderr
    missing = _serve("--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "nope.toml" in missing.stderr


def _cli(address, *args):
    # 60 s bound: one CLI call (imports grpc, one RPC).
    result = subprocess.run([sys.executable, "-m", "actorgrpc", *args, "--address", address],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_serve_reads_the_file_and_flags_override_it(tmp_path):
    config = tmp_path / "actorgrpc.toml"
    # bind, log format and log level of the file are overridden by flags below
    # (ArbiterProcess passes --bind 127.0.0.1:0); the rest comes from the file.
    config.write_text(f"""
[server]
bind = "127.0.0.1:1"
modules = ["tests.sample_actors"]
run_dir = "{tmp_path / 'from-file'}"

[supervision]
spawn_timeout = 20

[logging]
format = "text"
level = "WARNING"

[monitors.pool]
num_workers = 1
[monitors.spare]
num_workers = 2
""")
    arbiter = ArbiterProcess("--config", str(config), "--log-format", "json",
                             "--log-level", "INFO", "--monitor", "spare=1",
                             modules=["actorgrpc.examples.demo"])
    try:
        # 30 s: two workers boot in well under a second; margin for a loaded machine.
        # Running means counted by their monitor, not only registered (starting).
        def both_running(info):
            counts = [m["workers"] for m in info["monitors"].values()]
            return info if len(info["workers"]) == 2 and counts == [1, 1] else None

        info = wait_for(lambda: both_running(_cli(arbiter.address, "info", "--json")), 30,
                        "two monitor workers")
        assert info["actor"]["run_dir"] == str(tmp_path / "from-file")
        # --monitor spare=1 replaced the file's num_workers = 2.
        assert info["monitors"] == {"pool": {"num_workers": 1, "workers": 1},
                                    "spare": {"num_workers": 1, "workers": 1}}
        # Modules of the file (tests.sample_actors) and of -m (demo) are both allowed.
        assert _cli(arbiter.address, "send", "pool-0", "add", "2", "3") == 5
        assert _cli(arbiter.address, "send", "pool-0", "whoami")["name"] == "pool-0"
        # --log-format json and --log-level INFO won over the file's text / WARNING.
        serving = [line for line in arbiter.stderr_lines if "arbiter serving on" in line]
        assert serving and json.loads(serving[0])["aid"] == "arbiter"
    finally:
        arbiter.stop_and_check()
