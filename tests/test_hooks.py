"""Hook references resolve only inside the modules the operator allowed."""

import sys

import pytest

from actorgrpc import InvalidArgument, PermissionDenied
from actorgrpc.actor.hooks import HookResolver


def test_resolves_allowed_functions():
    resolver = HookResolver(["tests.sample_actors"])
    resolver.import_all()
    assert resolver.resolve("tests.sample_actors:mark_started").__name__ == "mark_started"


def test_refuses_os_system_without_importing_anything():
    resolver = HookResolver(["tests.sample_actors"])
    with pytest.raises(PermissionDenied, match="not allowed"):
        resolver.resolve("os:system")
    assert "tests.never_imported" not in sys.modules
    with pytest.raises(PermissionDenied):
        resolver.resolve("tests.never_imported:anything")
    assert "tests.never_imported" not in sys.modules


@pytest.mark.parametrize("reference", [
    "", "nocolon", "a:b:c", "os.system", ":f", "m:", "1m:f", "m:f()", None, 42,
])
def test_malformed_references(reference):
    with pytest.raises(InvalidArgument):
        HookResolver(["tests.sample_actors"]).resolve(reference)


def test_missing_function_in_allowed_module():
    resolver = HookResolver(["tests.sample_actors"])
    resolver.import_all()
    with pytest.raises(PermissionDenied, match="not a hook or command"):
        resolver.resolve("tests.sample_actors:no_such_function")
