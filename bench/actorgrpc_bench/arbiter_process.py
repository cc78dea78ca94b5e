"""The arbiter under test: an ``actorgrpc serve`` process on 127.0.0.1, port 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil

from actorgrpc.contract.consts import READY_LINE_PREFIX
from actorgrpc_bench import environment

#: Seconds the arbiter may take to say it is serving (a cold import of grpc and
#: protobuf on a busy machine takes a second or two; this only bounds a broken one).
READY_TIMEOUT = 60


class ArbiterUnderTest:
    """An ``actorgrpc serve`` process for the benchmark.

    ``programs`` (name → command line) are registered for EXEC actors
    (``--program NAME=COMMAND``): the Go and Node.js demo actors. ``code`` is a
    folder holding another ``actorgrpc`` package to run instead of the checkout's
    (first on PYTHONPATH: a candidate change, compared by compare_arbiters).
    """

    def __init__(self, run_dir: str, tls: bool = False, auth: bool = False,
                 programs: dict[str, str] | None = None, code: str | None = None):
        command = [sys.executable, "-m", "actorgrpc", "serve", "--bind", "127.0.0.1:0",
                   "-m", "actorgrpc.examples.demo", "-m", "actorgrpc_bench.commands",
                   "--run-dir", run_dir, "--log-level", "WARNING"]
        for name, line in (programs or {}).items():
            command += ["--program", f"{name}={line}"]
        #: What a client needs: connect(address, **self.client_options).
        self.client_options: dict = {}
        #: The same credentials as files, for the Go and Node.js programs:
        #: the CA (the server's own certificate) and the token.
        self.cacert: str | None = None
        self.token: str | None = None
        if tls or auth:
            from actorgrpc.ops.provision import CERT, KEY, TOKENS, init_secrets
            from actorgrpc.transport.auth import load_token_file

            secrets = os.path.join(run_dir, "secrets")
            init_secrets(secrets)
            if tls:
                self.cacert = os.path.join(secrets, CERT)
                command += ["--tls-cert", self.cacert, "--tls-key", os.path.join(secrets, KEY)]
                self.client_options["tls"] = self.cacert
            if auth:
                command += ["--auth-token-file", os.path.join(secrets, TOKENS)]
                self.token = load_token_file(os.path.join(secrets, TOKENS))[0][0]
                self.client_options["token"] = self.token
        env = environment()
        if code is not None:
            env["PYTHONPATH"] = os.pathsep.join([os.path.abspath(code), env["PYTHONPATH"]])
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            line = self.process.stdout.readline()
            if line.startswith(READY_LINE_PREFIX):
                self.address = line[len(READY_LINE_PREFIX):].strip()
                break
            if not line or time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                raise RuntimeError("the arbiter did not start")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """SIGTERM, then wait; whatever it left (actors, fork server) is killed."""
        children = psutil.Process(self.process.pid).children(recursive=True)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        _, alive = psutil.wait_procs(children, timeout=10)
        for process in alive:
            process.kill()
        psutil.wait_procs(alive, timeout=10)
