"""The README's grpcurl commands, run verbatim against a live arbiter.

The section "## Operating with grpcurl" of README.md is the operator's manual; every
line of its fenced code blocks that starts with ``grpcurl`` is run here, in order, with
only the address changed, and its output checked. A README edit that adds, removes or
reorders commands must update ``EXPECTED`` below, so the manual cannot drift away from
what the server does.

grpcurl comes from ``scripts/install-grpcurl.sh`` (.tools/bin) or from PATH. When it is
missing the test FAILS, unless ACTORGRPC_ALLOW_SKIP=1, which turns that into a loud skip.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from .support import ROOT

README = os.path.join(ROOT, "README.md")
SECTION = "## Operating with grpcurl"
#: The address the README's commands use (that of `make run`).
README_ADDRESS = "127.0.0.1:7070"
INSTALL_SCRIPT = os.path.join(ROOT, "scripts", "install-grpcurl.sh")

#: Seconds one grpcurl command may run. Unary calls take milliseconds; Spawn starts a
#: process (~0.3 s here, DEFAULT_SPAWN_TIMEOUT 30 s at worst); the streams end by their
#: own -max-time (at most 5 s in the README). 60 s only catches a hung grpcurl.
COMMAND_TIMEOUT = 60.0

#: grpcurl exits with 64 + the gRPC status code of a failed call.
GRPCURL_STATUS_BASE = 64
CODE_UNKNOWN = 2
CODE_DEADLINE_EXCEEDED = 4


def find_grpcurl() -> str | None:
    """The pinned grpcurl of .tools/bin first, else whatever PATH has."""
    local = os.path.join(ROOT, ".tools", "bin", "grpcurl")
    if os.access(local, os.X_OK):
        return local
    return shutil.which("grpcurl")


@pytest.fixture(scope="module")
def grpcurl() -> str:
    path = find_grpcurl()
    if path:
        return path
    message = ("grpcurl is not installed (neither .tools/bin/grpcurl nor on PATH); "
               "run `bash scripts/install-grpcurl.sh` (needs Go)")
    if os.environ.get("ACTORGRPC_ALLOW_SKIP") == "1":
        pytest.skip(f"!!! SKIPPED: {message}; the README's grpcurl commands were NOT "
                    "tested !!!")
    pytest.fail(f"{message}. Set ACTORGRPC_ALLOW_SKIP=1 to skip instead.", pytrace=False)


def readme_section(section: str = SECTION) -> str:
    with open(README, encoding="utf-8") as handle:
        text = handle.read()
    start = text.find(f"\n{section}\n")
    assert start >= 0, f"README.md has no section {section!r}"
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else len(text)]


def readme_commands(section: str = SECTION) -> list[str]:
    """The ``grpcurl`` lines of the section's fenced blocks, continuations joined."""
    commands, in_fence, pending = [], False, ""
    for line in readme_section(section).splitlines():
        if line.startswith("```"):
            assert not pending, f"unterminated continuation before a fence: {pending!r}"
            in_fence = not in_fence
            continue
        if not in_fence:
            continue
        if pending:
            line = pending + " " + line.strip()
            pending = ""
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1].rstrip()
            continue
        if line.startswith("grpcurl "):
            commands.append(line)
    assert not in_fence, "a fenced block of the grpcurl section is not closed"
    return commands


def command_argv(command: str, grpcurl: str, address: str) -> list[str]:
    """Split like sh does (quotes, trailing # comments) and point at the test arbiter."""
    argv = shlex.split(command, comments=True)
    assert argv.count(README_ADDRESS) == 1, f"expected one {README_ADDRESS} in {command!r}"
    return [grpcurl] + [address if word == README_ADDRESS else word for word in argv[1:]]


@dataclass
class Outcome:
    command: str
    returncode: int
    stdout: str
    stderr: str
    messages: list = field(default_factory=list)

    def describe(self) -> str:
        return (f"command: {self.command}\nexit code: {self.returncode}\n"
                f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}")


def json_messages(text: str) -> list:
    """Every JSON document grpcurl printed (a stream prints one per message)."""
    decoder, messages, index = json.JSONDecoder(), [], 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return messages
        value, index = decoder.raw_decode(text, index)
        messages.append(value)


def ok_json(outcome: Outcome) -> dict:
    """The single JSON response of a successful unary call."""
    assert outcome.returncode == 0, outcome.describe()
    outcome.messages = json_messages(outcome.stdout)
    assert len(outcome.messages) == 1, outcome.describe()
    return outcome.messages[0]


def failed_with(outcome: Outcome, code: int, code_name: str, text: str) -> None:
    assert outcome.returncode == GRPCURL_STATUS_BASE + code, outcome.describe()
    assert f"Code: {code_name}" in outcome.stderr, outcome.describe()
    assert text in outcome.stderr, outcome.describe()


def stream_until_max_time(outcome: Outcome) -> list:
    """Messages of a server stream that grpcurl's -max-time ended (or that ended itself)."""
    ended_by_max_time = (outcome.returncode == GRPCURL_STATUS_BASE + CODE_DEADLINE_EXCEEDED
                         and "DeadlineExceeded" in outcome.stderr)
    assert outcome.returncode == 0 or ended_by_max_time, outcome.describe()
    return json_messages(outcome.stdout)


# -- checks, one per README command, in README order --------------------------------

def check_list(outcome, state):
    assert outcome.returncode == 0, outcome.describe()
    services = outcome.stdout.split()
    for service in ("actorgrpc.v1.ArbiterService", "actorgrpc.v1.MailboxService",
                    "actorgrpc.v1.MonitorService", "grpc.health.v1.Health"):
        assert service in services, outcome.describe()
    assert any("ServerReflection" in s for s in services), outcome.describe()


def check_describe_service(outcome, state):
    assert outcome.returncode == 0, outcome.describe()
    assert "actorgrpc.v1.ArbiterService is a service" in outcome.stdout, outcome.describe()
    for rpc in ("Spawn", "Send", "Info", "Stop", "ListActors", "GetActor"):
        assert f"rpc {rpc} (" in outcome.stdout, outcome.describe()
    for rpc in ("WatchActors", "Logs"):
        assert re.search(rf"rpc {rpc} \(.*\) returns \( stream ", outcome.stdout), \
            outcome.describe()


def check_describe_send_request(outcome, state):
    assert outcome.returncode == 0, outcome.describe()
    for declaration in ("string target = 1;", "string action = 2;",
                        ".google.protobuf.ListValue args = 3;",
                        ".google.protobuf.Struct kwargs = 4;"):
        assert declaration in outcome.stdout, outcome.describe()


def check_health(outcome, state):
    assert ok_json(outcome) == {"status": "SERVING"}, outcome.describe()


def check_spawn(outcome, state):
    actor = ok_json(outcome)["actor"]
    assert actor["name"] == "w1", outcome.describe()
    assert actor["state"] == "ACTOR_STATE_RUNNING", outcome.describe()
    assert re.fullmatch(r"[\w.\-\[\]:]+:\d+", actor["address"]), outcome.describe()
    state["aid"] = actor["aid"]


def check_list_actors(outcome, state):
    actors = {a["actor"]["name"]: a for a in ok_json(outcome)["actors"]}
    assert actors["arbiter"]["kind"] == "ACTOR_KIND_ARBITER", outcome.describe()
    assert actors["w1"]["actor"]["aid"] == state["aid"], outcome.describe()
    assert actors["w1"]["actor"]["state"] == "ACTOR_STATE_RUNNING", outcome.describe()
    assert actors["w1"]["kind"] == "ACTOR_KIND_PROCESS", outcome.describe()


def check_get_actor(outcome, state):
    actor = ok_json(outcome)["actor"]
    assert actor["actor"]["aid"] == state["aid"], outcome.describe()


def send_result(expected):
    def check(outcome, state):
        assert ok_json(outcome) == {"result": expected}, outcome.describe()
    return check


def check_boom(outcome, state):
    failed_with(outcome, CODE_UNKNOWN, "Unknown", "ValueError: kaput")


def check_sleep_deadline(outcome, state):
    failed_with(outcome, CODE_DEADLINE_EXCEEDED, "DeadlineExceeded", "")


def check_info_actor(outcome, state):
    info = ok_json(outcome)["info"]
    assert info["actor"]["aid"] == state["aid"], outcome.describe()
    assert info["actor"]["state_description"] == "running", outcome.describe()
    # The start hook of the Spawn command ran, and remember stored its JSON value.
    assert info["extra"]["started_by_hook"] is True, outcome.describe()
    assert info["extra"]["limits"] == {"retries": 3, "tags": ["a", "b"]}, outcome.describe()
    counts = info["events"]["processed_by_action"]
    for action in ("echo", "add", "greet", "remember"):
        assert counts.get(action) == 1, outcome.describe()
    assert "system" in info, outcome.describe()


def check_info_arbiter(outcome, state):
    info = ok_json(outcome)["info"]
    assert info["actor"]["name"] == "arbiter", outcome.describe()
    assert "monitors" in info, outcome.describe()


def check_watch(outcome, state):
    events = stream_until_max_time(outcome)
    existing = [e for e in events if e.get("type") == "ACTOR_EVENT_TYPE_EXISTING"]
    assert [e["actor"]["actor"]["name"] for e in existing] == ["w1"], outcome.describe()
    assert existing[0]["actor"]["actor"]["aid"] == state["aid"], outcome.describe()


def check_stop(outcome, state):
    actor = ok_json(outcome)["actor"]
    assert actor["aid"] == state["aid"], outcome.describe()
    assert actor["state"] in ("ACTOR_STATE_CLOSED", "ACTOR_STATE_TERMINATED"), \
        outcome.describe()


def check_logs(outcome, state):
    lines = [line for message in stream_until_max_time(outcome)
             for line in message.get("lines", [])]
    # The actor logs why it stops; Stop returned after it exited, so the line is there.
    assert any("stopping" in line and "w1" in line for line in lines), outcome.describe()


def check_list_exited(outcome, state):
    actors = {a["actor"]["aid"]: a for a in ok_json(outcome)["actors"]}
    assert actors[state["aid"]]["actor"]["state"] in (
        "ACTOR_STATE_CLOSED", "ACTOR_STATE_TERMINATED"), outcome.describe()


@dataclass
class Step:
    #: Text the README command must contain (guards against reordering).
    marker: str
    check: Callable[[Outcome, dict], None]


EXPECTED = [
    Step(" list", check_list),
    Step("describe actorgrpc.v1.ArbiterService", check_describe_service),
    Step("describe actorgrpc.v1.SendRequest", check_describe_send_request),
    Step("grpc.health.v1.Health/Check", check_health),
    Step("ArbiterService/Spawn", check_spawn),
    Step("ArbiterService/ListActors", check_list_actors),
    Step("ArbiterService/GetActor", check_get_actor),
    Step('"action":"echo"', send_result("hi")),
    Step('"action":"add"', send_result(5)),
    Step('"action":"greet"', send_result("hello ops? from w1")),
    Step('"action":"remember"', send_result(None)),
    Step('"action":"boom"', check_boom),
    Step('"action":"sleep"', check_sleep_deadline),
    Step('{"target":"w1"}\' 127.0.0.1:7070 actorgrpc.v1.ArbiterService/Info', check_info_actor),
    Step("127.0.0.1:7070 actorgrpc.v1.ArbiterService/Info", check_info_arbiter),
    Step("ArbiterService/WatchActors", check_watch),
    Step("ArbiterService/Stop", check_stop),
    Step("ArbiterService/Logs", check_logs),
    Step('"include_exited":true', check_list_exited),
]


def test_readme_lists_the_operator_commands():
    """Each documented command has a check, in the same order (no grpcurl needed)."""
    commands = readme_commands()
    assert len(commands) == len(EXPECTED), (
        f"README has {len(commands)} grpcurl commands, EXPECTED has {len(EXPECTED)}:\n"
        + "\n".join(commands))
    for command, step in zip(commands, EXPECTED, strict=True):
        assert step.marker in command, f"expected {step.marker!r} in {command!r}"
    streams = [c for c in commands if "/WatchActors" in c or "/Logs" in c]
    assert streams and all(" -max-time " in c for c in streams), \
        "streaming commands must end by themselves (-max-time)"


def test_readme_grpcurl_commands_against_a_live_arbiter(grpcurl, arbiter_process):
    state: dict = {}
    for command, step in zip(readme_commands(), EXPECTED, strict=True):
        argv = command_argv(command, grpcurl, arbiter_process.address)
        completed = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT,
                                   timeout=COMMAND_TIMEOUT)
        outcome = Outcome(command, completed.returncode, completed.stdout, completed.stderr)
        step.check(outcome, state)


SECURITY_SECTION = "## Security"


def test_readme_security_commands_against_a_tls_arbiter_with_tokens(grpcurl, tmp_path):
    """The Security section's grpcurl lines, with its secrets/ made by `secrets init`."""
    from actorgrpc.ops.provision import init_secrets
    from actorgrpc.transport.auth import load_token_file

    from .support import ArbiterProcess

    secrets = tmp_path / "secrets"
    init_secrets(str(secrets))
    token = load_token_file(str(secrets / "tokens"))[0][0]
    arbiter = ArbiterProcess("--auth-token-file", str(secrets / "tokens"),
                             "--tls-cert", str(secrets / "tls.crt"),
                             "--tls-key", str(secrets / "tls.key"),
                             run_dir=str(tmp_path / "run"))
    outcomes = []
    try:
        for command in readme_commands(SECURITY_SECTION):
            argv = [word.replace("$TOKEN", token).replace("secrets/tls.crt",
                                                         str(secrets / "tls.crt"))
                    for word in command_argv(command, grpcurl, arbiter.address)]
            completed = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT,
                                       timeout=COMMAND_TIMEOUT)
            outcomes.append(Outcome(command, completed.returncode, completed.stdout,
                                    completed.stderr))
    finally:
        arbiter.stop_and_check()
    listing, spawn, send, health, refused = outcomes
    check_list(listing, {})
    assert ok_json(spawn)["actor"]["name"] == "s1", spawn.describe()
    assert ok_json(send) == {"result": 5}, send.describe()
    check_health(health, {})
    failed_with(refused, 16, "Unauthenticated", "token")


def test_install_script_fails_loudly_without_go(tmp_path):
    """No Go: a non-zero exit and a message that says grpcurl was NOT installed."""
    completed = subprocess.run(
        ["bash", INSTALL_SCRIPT], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "GO": str(tmp_path / "no-such-go")},
        timeout=COMMAND_TIMEOUT)  # it exits before doing anything; the cap is generous
    assert completed.returncode != 0, completed.stdout + completed.stderr
    assert "Go" in completed.stderr and "NOT installed" in completed.stderr, completed.stderr


def test_install_script_pins_the_readme_version():
    with open(INSTALL_SCRIPT, encoding="utf-8") as handle:
        script = handle.read()
    version = re.search(r"^GRPCURL_VERSION=(v[\d.]+)$", script, re.M).group(1)
    assert version in readme_section(), f"README does not mention grpcurl {version}"
