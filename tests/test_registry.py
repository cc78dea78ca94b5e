"""The registry's record of restarts under way (what lookups wait on)."""

from actorgrpc.supervisor.registry import Registry


async def test_a_restart_that_ends_does_not_settle_a_newer_one():
    registry = Registry()
    first = registry.restart_expected("w")
    assert registry.restart_expected("w") is first  # one Future per name
    registry.restart_settled("w")  # the replacement registered ...
    assert first.done()
    second = registry.restart_expected("w")  # ... then crashed while starting
    registry.restart_settled("w", first)  # the first restart ends (its spawn failed)
    assert registry.restarting["w"] is second and not second.done()
    registry.restart_settled("w", second)
    assert "w" not in registry.restarting and second.done()
