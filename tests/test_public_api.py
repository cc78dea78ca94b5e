"""The public API is locked: names, states, constants and the error tree."""

import grpc
import pytest

import actorgrpc
from actorgrpc.contract import errors

EXPECTED_API = {
    "ACTOR_ACTION_TIMEOUT", "ACTOR_STATES", "Actor", "ActorAlreadyExists", "ActorError",
    "ActorNotFound", "ActorProxy", "ActorProxyMonitor", "ActorTimeout", "ActorUnavailable",
    "Arbiter", "ArbiterConcurrency", "Client", "CommandError", "CommandNotFound",
    "Concurrency", "DEFAULT_SEND_TIMEOUT", "InvalidArgument", "MONITOR_TASK_PERIOD",
    "MessageTooLarge", "Monitor", "PermissionDenied", "ProcessConcurrency", "SpawnError",
    "ResourceExhausted", "Unauthenticated", "arbiter", "command", "connect", "get_actor", "hook",
    "send",
    "spawn",
}


def test_all_is_exactly_the_public_api():
    assert set(actorgrpc.__all__) == EXPECTED_API
    for name in actorgrpc.__all__:
        assert hasattr(actorgrpc, name), name


def test_actor_states_are_pulsars():
    states = actorgrpc.ACTOR_STATES
    assert (states.INITIAL, states.INACTIVE, states.STARTING, states.RUN, states.STOPPING,
            states.CLOSE, states.TERMINATE) == (0, 1, 2, 3, 4, 5, 6)
    assert states.DESCRIPTION == {0: "initial", 1: "inactive", 2: "starting", 3: "running",
                                  4: "stopping", 5: "closed", 6: "terminated"}
    assert actorgrpc.ACTOR_ACTION_TIMEOUT == 5
    assert actorgrpc.MONITOR_TASK_PERIOD == 1


def test_wire_states_are_pulsars_plus_one_with_the_same_names():
    from actorgrpc.contract.enums import state_from_wire, state_to_wire, wire_state_name
    from actorgrpc.v1 import actor_pb2

    states = actorgrpc.ACTOR_STATES
    for number, description in states.DESCRIPTION.items():
        wire = state_to_wire(number)
        assert actor_pb2.ActorState.Name(wire) == "ACTOR_STATE_" + description.upper()
        assert state_from_wire(wire) == number and wire_state_name(wire) == description
    assert state_from_wire(actor_pb2.ACTOR_STATE_UNSPECIFIED) is None
    assert state_from_wire(99) is None


@pytest.mark.parametrize("cls, code", [
    (actorgrpc.ActorNotFound, grpc.StatusCode.NOT_FOUND),
    (actorgrpc.CommandNotFound, grpc.StatusCode.UNIMPLEMENTED),
    (actorgrpc.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (actorgrpc.ActorAlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (actorgrpc.CommandError, grpc.StatusCode.UNKNOWN),
    (actorgrpc.ActorUnavailable, grpc.StatusCode.UNAVAILABLE),
    (actorgrpc.ActorTimeout, grpc.StatusCode.DEADLINE_EXCEEDED),
    (actorgrpc.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (actorgrpc.ResourceExhausted, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (actorgrpc.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
])
def test_error_codes_round_trip(cls, code):
    assert issubclass(cls, actorgrpc.ActorError)
    assert cls.code == code
    assert errors.status_of(cls("x"))[0] == code
    assert type(errors.error_from_status(code, "x")) is cls


def test_user_exceptions_are_unknown_with_type_and_text():
    code, message, remote_type = errors.status_of(KeyError("k"))
    assert code == grpc.StatusCode.UNKNOWN
    assert message == "KeyError: 'k'"
    assert remote_type == "KeyError"


def test_errors_docstring_is_the_tree():
    for name in ("ActorNotFound", "CommandNotFound", "CommandError", "PermissionDenied"):
        assert name in errors.__doc__


def test_send_outside_an_actor_explains_what_to_do():
    with pytest.raises(RuntimeError, match="connect"):
        actorgrpc.send("x", "ping")


def test_a_client_imports_no_server_and_changes_nothing():
    """`import actorgrpc` loads nothing; `connect` brings the client side only; neither
    sets environment variables or global settings (prometheus_client untouched)."""
    import subprocess
    import sys

    from .support import ROOT

    probe = (
        "import os, sys\n"
        "before = dict(os.environ)\n"
        "import actorgrpc\n"
        "assert [m for m in sys.modules if m.startswith('actorgrpc.')] == [], sys.modules\n"
        "from actorgrpc import connect, ActorError, ActorProxy\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('actorgrpc.'))\n"
        "server = [m for m in loaded if m.split('.')[1] in "
        "('supervisor', 'actor', 'ops') or m == 'actorgrpc.transport.server']\n"
        "assert not server, server\n"
        "assert 'prometheus_client' not in sys.modules\n"
        "assert dict(os.environ) == before\n"
        "print(len(loaded))\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 0


def test_all_is_sorted_and_every_name_resolves_lazily():
    assert actorgrpc.__all__ == sorted(actorgrpc.__all__)
    assert set(dir(actorgrpc)) >= set(actorgrpc.__all__)
    with pytest.raises(AttributeError):
        actorgrpc.no_such_name  # noqa: B018


def test_message_too_large_is_a_bound_and_a_bad_argument():
    assert issubclass(actorgrpc.MessageTooLarge, actorgrpc.ResourceExhausted)
    assert issubclass(actorgrpc.MessageTooLarge, actorgrpc.InvalidArgument)
    # The ErrorInfo's error_class refines the code's class when they agree.
    refined = errors.error_from_status(grpc.StatusCode.RESOURCE_EXHAUSTED, "x",
                                       error_class="MessageTooLarge")
    assert type(refined) is actorgrpc.MessageTooLarge
    assert type(errors.error_from_status(grpc.StatusCode.NOT_FOUND, "x",
                                         error_class="MessageTooLarge")) is actorgrpc.ActorNotFound
