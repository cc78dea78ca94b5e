"""Commands and hooks used by the tests (allowed with ``-m tests.sample_actors``)."""

from __future__ import annotations

import asyncio
import os
import sys
import time

from actorgrpc import ActorProxy, command, get_actor, hook


@command()
async def relay(actor, target, action, *args):
    """Send ``action`` to ``target`` from this actor and return its result."""
    return await actor.send(target, action, *args)


@command()
async def relay_to_proxy(actor, proxy, action, *args):
    """Send to an ActorProxy given as a dictionary (direct, no name lookup)."""
    return await actor.send(ActorProxy.from_dict(proxy), action, *args)


@command()
async def spawn_child(actor, name, kind="process"):
    """Spawn an actor from inside this one; return its proxy as a dict."""
    proxy = await actor.spawn(name=name, kind=kind)
    return proxy.as_dict()


@command(ack=False)
def note(actor, value):
    """Fire and forget: append ``value`` to the actor's notes (order checks)."""
    actor.extra.setdefault("notes", []).append(value)


@command()
def notes(actor):
    """The values ``note`` received, in order."""
    return actor.extra.get("notes", [])


@command()
def whoami(actor):
    """Identity as seen from inside: checks get_actor() and the predicates."""
    current = get_actor()
    return {"aid": actor.aid, "name": actor.name, "pid": os.getpid(),
            "get_actor_is_self": current is actor, "is_process": actor.is_process(),
            "is_running": actor.is_running(), "started": actor.started(),
            "stopped": actor.stopped(), "closed": actor.closed(),
            "after_run": actor.after_run(),
            "is_arbiter": actor.is_arbiter(), "is_monitor": actor.is_monitor(),
            "state": actor.info_state,
            # The command line this interpreter was started with (the kernel's copy
            # shows the process title instead).
            "orig_argv": sys.orig_argv}


@command()
async def never_answer(actor):
    """Wait until cancelled: a call that stays pending."""
    await asyncio.Event().wait()


@command()
async def wait_for_release(actor):
    """Wait until the test sets ``actor.extra["release"]``; then answer "released"."""
    await actor.extra.setdefault("release", asyncio.Event()).wait()
    return "released"


@command()
def block(actor, seconds):
    """Block the actor's event loop (simulates a hung actor)."""
    time.sleep(seconds)
    return seconds


@command()
def big_result(actor, size):
    return "x" * size


@command()
def not_json(actor):
    return {1, 2, 3}


@command()
def crash(actor, code=7):
    """Exit the process at once, without answering."""
    os._exit(code)


@hook
def mark_started(actor):
    actor.extra["hook"] = "start"


@hook
def failing_start(actor):
    raise RuntimeError("cannot start: no database")


@hook
async def count_ticks(actor):
    actor.extra["ticks"] = actor.extra.get("ticks", 0) + 1


@hook
def write_stopping_marker(actor):
    path = actor.extra.get("marker")
    if path:
        with open(path, "w") as handle:
            handle.write(actor.name)


@hook
def never_hello_start(actor):
    """A start hook that never returns (the actor never reaches RUN)."""
    time.sleep(3600)


@hook
async def run_target(actor, a, b=0):
    return {"sum": a + b, "name": actor.name}


@hook
async def script_start(arbiter):
    """Arbiter start hook of tests/scripts/arbiter_script.py."""
    from actorgrpc import send, spawn

    proxy = await spawn(name="scripted")
    result = await send(proxy, "add", 20, 22)
    arbiter.extra["result"] = result
    print(f"script result {result}", flush=True)
    arbiter.stop()


@hook
def crash_soon(actor):
    """A periodic_task that crashes the process at its first run (crash loops)."""
    os._exit(1)


@hook
def block_forever(actor):
    """A stopping hook that ignores the stop order by blocking the event loop."""
    time.sleep(3600)


@hook
def seed_api(actor):
    """pulsar's Actor surface, seen from inside an actor."""
    return {"loop": actor._loop is actor.loop and actor.loop.is_running(),
            "mailbox": actor.mailbox.actors[actor.aid] is actor,
            "stream": hasattr(actor.stream, "write"),
            "params": actor.actorparams(),
            "proxy": [actor.proxy.name, actor.proxy.aid]}


@command()
def count_then_missing(actor):
    """Count the call, then raise ActorNotFound (as a failed nested lookup would)."""
    from actorgrpc import ActorNotFound

    actor.extra["calls"] = actor.extra.get("calls", 0) + 1
    raise ActorNotFound("something this command looked for is missing")


@command()
def loaded_modules(actor, *names):
    """Which of ``names`` are imported in this process (allowlist tests)."""
    import sys

    return {name: name in sys.modules for name in names}


@command()
def touch(actor, path):
    """Create ``path``: proves a command ran (allowlist tests)."""
    with open(path, "w") as handle:
        handle.write(actor.name)
    return path


@command()
def leak_credential(actor):
    """What a compromised actor could read: the arbiter's internal credential."""
    from actorgrpc.transport.auth import token_from_metadata

    return token_from_metadata(actor.runtime.router.metadata)


@command()
def shout(actor, size):
    """Write ``size`` bytes to stdout (the actor's log file)."""
    import sys

    sys.stdout.write("x" * (size - 1) + "\n")
    sys.stdout.flush()
    return size


@command()
async def own_timeout(actor):
    """Raise the command's own TimeoutError (not a deadline of actorgrpc's)."""
    raise TimeoutError("the database did not answer")
