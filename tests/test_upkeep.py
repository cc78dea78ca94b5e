"""The arbiter's upkeep never dies silently: a step that fails (an output rotation
that cannot be done, a full disk) is logged and the others go on; hung actors are
still found; health stays truthful."""

from __future__ import annotations

import contextlib
import os
import subprocess

import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

import actorgrpc

from .support import supervised_arbiter, wait_for, wait_for_async

#: Seconds for upkeep rounds (every 0.1 s here) and a hung detection (1 s timeout).
RECOVERY = 30.0


@contextlib.contextmanager
def small_tmpfs(path, size="2m"):
    """A tmpfs of ``size`` at ``path`` (root only), unmounted even when a test fails."""
    os.makedirs(path, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): needs root")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", path], check=False)


async def _serving(address) -> bool:
    import grpc

    async with grpc.aio.insecure_channel(address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=10)
    return reply.status == health_pb2.HealthCheckResponse.SERVING


async def _still_supervising(client, address) -> None:
    """A hung actor is still found and replaced: the upkeep goes on."""
    hung = await client.spawn(name="hung", timeout=1.0, restart="permanent")
    await client.tell(hung, "block", 3600)

    async def replaced():
        try:
            return (await client.get_actor("hung")).aid != hung.aid
        except actorgrpc.ActorNotFound:
            return False  # between two incarnations
    await wait_for_async(replaced, RECOVERY, "the hung actor replaced")
    assert await _serving(address)
    await client.stop("hung")


@pytest.mark.parametrize("failure", ["folder in the way", "full disk"])
async def test_a_failing_rotation_stops_nothing_else(tmp_path, failure):
    run_dir = str(tmp_path / "run")
    mount = small_tmpfs(run_dir) if failure == "full disk" else contextlib.nullcontext()
    with mount:
        arbiter = supervised_arbiter(run_dir, arbiter={
            "max_log_bytes": 10_000, "monitor_task_period": 0.1,
            "heartbeat_interval": 0.2})
        try:
            async with actorgrpc.connect(arbiter.address) as client:
                noisy = await client.spawn(name="noisy")
                log = next(os.path.join(run_dir, "logs", f) for f in
                           os.listdir(os.path.join(run_dir, "logs")) if f.startswith("noisy."))
                if failure == "folder in the way":
                    # Rotation shifts NAME.log.2 to NAME.log.3 first: a folder with
                    # something in it is in the way.
                    open(log + ".2", "w").close()
                    os.makedirs(log + ".3/kept")
                    await client.send(noisy, "shout", 20_000)
                else:
                    # The disk is all but full: the log grows past its bound into the
                    # last 15 kB, and the copy a rotation makes cannot be written.
                    stats = os.statvfs(run_dir)
                    with open(os.path.join(run_dir, "filler"), "wb") as filler:
                        filler.write(b"\0" * (stats.f_bavail * stats.f_frsize - 15_000))
                    with contextlib.suppress(actorgrpc.ActorError):
                        await client.send(noisy, "shout", 20_000)
                wait_for(lambda: any("output rotation failed" in line
                                     for line in arbiter.stderr_lines), RECOVERY,
                         "the failed rotation logged")
                await _still_supervising(client, arbiter.address)
                failures = [line for line in arbiter.stderr_lines
                            if "output rotation failed" in line]
                # Logged once, not every 0.1 s (then once a minute while it lasts).
                assert len(failures) == 1, failures
                await client.stop(noisy)
        finally:
            arbiter.stop_and_check()
