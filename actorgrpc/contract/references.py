"""The registry of functions that may be named by a ``"module:function"`` reference.

Plain data shared by every layer: ``@hook`` and ``@command`` (actorgrpc.actor)
register functions here; the sealed allowlist (actorgrpc.actor.hooks) resolves
references against it; a spawn specification turns a registered function back into
its reference (a function cannot cross into another process, its name can).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from actorgrpc.contract.errors import InvalidArgument

__all__ = ["register_reference", "registered", "reference_of"]

F = TypeVar("F", bound=Callable[..., Any])

#: (module name, function name) → the function its module registered.
_REGISTERED: dict[tuple[str, str], Callable[..., Any]] = {}


def register_reference(function: F) -> F:
    """Make ``function`` callable as ``"its_module:its_name"`` (used by ``@hook``
    and ``@command``). Only module-level functions can be registered."""
    module = getattr(function, "__module__", None)
    name = getattr(function, "__name__", None)
    qualname = getattr(function, "__qualname__", None)
    if not callable(function) or not module or not name or qualname != name:
        raise TypeError(f"{function!r}: only module-level functions can be registered "
                        "as hooks or commands")
    _REGISTERED[(module, name)] = function
    return function


def registered(module: str, name: str) -> Callable[..., Any] | None:
    """The function ``module`` registered as ``name``, if any."""
    return _REGISTERED.get((module, name))


def reference_of(function: object) -> str:
    """The ``"module:function"`` reference of a hook given as a function."""
    if function is None or function == "":
        return ""
    if isinstance(function, str):
        return function
    module = getattr(function, "__module__", None)
    name = getattr(function, "__name__", None)
    if module is None or name is None or _REGISTERED.get((module, name)) is not function:
        raise InvalidArgument(
            f"{function!r} cannot be sent to another process: hooks of process actors "
            "must be functions registered with @hook (or @command) in an allowed module")
    return f"{module}:{name}"
