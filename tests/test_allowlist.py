"""The sealed allowlist: only functions that an allowed module registered can be
named by a hook or ``run`` reference; everything else is refused before anything is
imported or called, in actors and in the arbiter alike."""

from __future__ import annotations

import sys

import pytest

import actorgrpc
from actorgrpc.actor.hooks import HookResolver

from .support import ArbiterProcess

#: The operator names only the tests' module: the demo module is NOT allowed here.
MODULES = ("tests.sample_actors",)


def shell_attack(marker: str) -> list:
    """The arguments of the remote-code-execution attack: a shell that writes ``marker``."""
    return ["/bin/sh", "sh", "-c", f"id > {marker}"]


#: References that resolved to something callable before the allowlist was sealed
#: (attribute walks, imported names, plain functions, other modules), plus other
#: shapes an attacker would try. Each must be refused with PERMISSION_DENIED.
DENIED = [
    # The attacks of the report.
    "actorgrpc.examples.demo:asyncio.base_events.os.spawnl",
    "actorgrpc.examples.demo:asyncio.sys.exit",
    "tests.sample_actors:os.spawnl",
    "tests.sample_actors:time.sleep",
    "actorgrpc.examples.demo:on_start",        # registered, but its module is not allowed
    # Names an allowed module merely imported.
    "tests.sample_actors:os",
    "tests.sample_actors:asyncio",
    "tests.sample_actors:time",
    "tests.sample_actors:ActorProxy",
    "tests.sample_actors:get_actor",
    "tests.sample_actors:command",
    "tests.sample_actors:hook",
    "tests.sample_actors:annotations",
    # Dunders and attribute paths.
    "tests.sample_actors:__builtins__",
    "tests.sample_actors:__loader__",
    "tests.sample_actors:__spec__",
    "tests.sample_actors:__class__",
    "tests.sample_actors:__dict__",
    "tests.sample_actors:relay.__globals__",
    "tests.sample_actors:mark_started.__call__",
    "tests.sample_actors:mark_started.__code__",
    "tests.__init__:anything",
    "tests.sample_actors.__builtins__:eval",
    # Builtins and the standard library.
    "builtins:eval",
    "builtins:exec",
    "builtins:__import__",
    "os:system",
    "subprocess:Popen",
    "importlib:import_module",
    "asyncio:sys",
    "pickle:loads",
    # Our own modules, registered commands included: not named by the operator.
    "actorgrpc.actor.commands:run",
    "actorgrpc.actor.commands:stop",
    "actorgrpc.actor.hooks:register_reference",
    "actorgrpc:arbiter",
    # Parents, children and look-alikes of the allowed module.
    "tests:sample_actors",
    "tests.sample_actors.os:system",
    "TESTS.SAMPLE_ACTORS:mark_started",
    "tests.sample_actors:no_such_function",
    "tests.never_imported:anything",
]

#: References that are not even well-formed: INVALID_ARGUMENT.
MALFORMED = [
    "", "nocolon", "a:b:c", ":f", "m:", "1m:f", "m:f()", "m:f x",
    " tests.sample_actors:mark_started",
    "tests.sample_actors:mark_started\n", "tests.sample_actors:m\u0430rk_started",
    "tests.sample_actors:" + "x" * 300, "tests/sample_actors:mark_started",
    "tests.sample_actors:mark_started;id", "tests..sample_actors:mark_started",
]


@pytest.fixture(scope="module")
def sealed_arbiter(tmp_path_factory):
    arbiter = ArbiterProcess(modules=MODULES, run_dir=str(tmp_path_factory.mktemp("run")))
    yield arbiter
    arbiter.stop_and_check()


@pytest.fixture
async def sealed(sealed_arbiter):
    async with actorgrpc.connect(sealed_arbiter.address) as client:
        yield client


@pytest.fixture
async def victims(sealed):
    """A process actor and a thread actor; each test gets fresh ones."""
    process = await sealed.spawn(name="victim-process")
    thread = await sealed.spawn(name="victim-thread", kind="thread")
    yield {"process": process, "thread": thread, "arbiter": "arbiter"}
    for proxy in (process, thread):
        await sealed.stop(proxy)


def test_resolver_refuses_every_shape_without_importing():
    resolver = HookResolver(MODULES)
    resolver.import_all()
    for reference in DENIED:
        with pytest.raises(actorgrpc.PermissionDenied):
            resolver.resolve(reference)
    for reference in [*MALFORMED, None, 42, b"tests.sample_actors:mark_started"]:
        with pytest.raises(actorgrpc.InvalidArgument):
            resolver.resolve(reference)
    assert "tests.never_imported" not in sys.modules
    assert resolver.resolve("tests.sample_actors:mark_started").__name__ == "mark_started"
    # A registered command is a reference of its own module too.
    assert resolver.resolve("tests.sample_actors:whoami").__name__ == "whoami"


def test_only_module_level_functions_register():
    def nested(actor):
        return actor

    with pytest.raises(TypeError, match="module-level"):
        actorgrpc.hook(nested)


@pytest.mark.parametrize("where", ["process", "thread", "arbiter"])
async def test_run_refuses_every_denied_reference(sealed, victims, where, tmp_path):
    target = victims[where]
    for reference in DENIED:
        marker = tmp_path / "pwned"
        with pytest.raises(actorgrpc.PermissionDenied):
            await sealed.send(target, "run", reference, *shell_attack(str(marker)))
        # Through the arbiter, as grpcurl would.
        name = target if isinstance(target, str) else target.name
        with pytest.raises(actorgrpc.PermissionDenied):
            await sealed.send_via_arbiter(name, "run", reference, *shell_attack(str(marker)))
        assert not marker.exists(), reference
    for reference in MALFORMED:
        with pytest.raises(actorgrpc.InvalidArgument):
            await sealed.send(target, "run", reference)
    # Nothing was imported on the way, and the actor still serves.
    loaded = await sealed.send(target, "loaded_modules", "tests.never_imported",
                               "actorgrpc.examples.demo", "pickle")
    assert loaded == {"tests.never_imported": False, "actorgrpc.examples.demo": False,
                      "pickle": loaded["pickle"]}
    assert await sealed.send(target, "ping") == "pong"


async def test_registered_functions_still_run(sealed, victims):
    result = await sealed.send(victims["process"], "run", "tests.sample_actors:run_target", 1,
                               b=2)
    assert result == {"sum": 3, "name": "victim-process"}


async def test_demo_module_is_not_allowed_unless_named(sealed, sealed_arbiter):
    for field in ("start", "stopping", "periodic_task"):
        with pytest.raises(actorgrpc.PermissionDenied, match="not allowed"):
            await sealed.spawn(name="demo-hooked", **{field: "actorgrpc.examples.demo:on_start"})
    # Its commands are unknown, in actors and in the arbiter: it was never imported.
    proxy = await sealed.spawn(name="plain")
    with pytest.raises(actorgrpc.CommandNotFound):
        await sealed.send(proxy, "add", 1, 2)
    with pytest.raises(actorgrpc.CommandNotFound):
        await sealed.send("arbiter", "add", 1, 2)
    assert await sealed.send("arbiter", "loaded_modules", "actorgrpc.examples.demo") == {
        "actorgrpc.examples.demo": False}
    await sealed.stop(proxy)


async def test_the_arbiter_survives_sys_exit_references(sealed, sealed_arbiter):
    for reference in ("actorgrpc.examples.demo:asyncio.sys.exit", "sys:exit",
                      "tests.sample_actors:os._exit"):
        with pytest.raises(actorgrpc.PermissionDenied):
            await sealed.send("arbiter", "run", reference, 3)
    assert sealed_arbiter.process.poll() is None
    assert await sealed.send("arbiter", "ping") == "pong"
