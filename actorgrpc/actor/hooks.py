"""The sealed allowlist: which ``"module:name"`` references an actor may call.

A reference names a hook (``start``, ``stopping``, ``periodic_task``) or the target
of the ``run`` command. It resolves only when all of these hold:

* it has the shape ``module:name``: a dotted module path, one colon, one plain
  identifier; no attribute paths (``mod:os.system``) and no dunders;
* the module is one the operator named (``serve -m MODULE`` or ``arbiter(modules=)``)
  and was imported when the process booted: nothing is imported here;
* the module itself registered that function with :func:`hook` or ``@command``.
  A name the module merely imported (``os``, ``time.sleep``, another module's
  function) is not registered under it.

A malformed reference is INVALID_ARGUMENT; a well-formed one that is not allowed
is PERMISSION_DENIED. Either way nothing is imported or called.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from actorgrpc.contract.errors import InvalidArgument, PermissionDenied
from actorgrpc.contract.references import register_reference, registered

if TYPE_CHECKING:
    from actorgrpc.actor.core import Actor
    from actorgrpc.actor.protocols import Hook

__all__ = ["HookResolver", "hook", "lazy_hook"]

F = TypeVar("F", bound=Callable[..., Any])

#: Longest reference accepted (and echoed back in errors).
MAX_REFERENCE_LENGTH = 256

_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = rf"{_IDENTIFIER}(\.{_IDENTIFIER})*"
#: What a reference looks like at all; anything else is malformed.
_WELL_FORMED = re.compile(rf"{_DOTTED}:{_DOTTED}", re.ASCII)
#: An attribute path after the colon, or a component that starts with two
#: underscores: well-formed, never allowed.
_FORBIDDEN = re.compile(r"(^|[.:])__|:.*\.")

def hook(function: F) -> F:
    """Decorator: allow ``function(actor, ...)`` as a hook or ``run`` target.

    Only functions decorated this way (or with ``@command``) can be named by a
    ``"module:function"`` reference, and only when the operator allowed the
    module.
    """
    return register_reference(function)


def _shown(reference: object) -> str:
    text = reference if isinstance(reference, str) else repr(reference)
    if len(text) > 64:
        text = text[:64] + "…"
    return repr(text)


class HookResolver:
    """Resolves references against the modules the operator allowed."""

    def __init__(self, modules: Iterable[str] = ()):
        self.modules: tuple[str, ...] = tuple(dict.fromkeys(modules))

    def import_all(self) -> None:
        """Import every allowed module (registering its hooks and commands)."""
        import importlib

        for name in self.modules:
            importlib.import_module(name)

    def allows(self, module: str) -> bool:
        return module in self.modules

    def check(self, reference: str) -> str:
        """Validate a reference without calling it; return it unchanged."""
        self.resolve(reference)
        return reference

    def resolve(self, reference: object) -> Callable[..., Any]:
        """The registered function that ``reference`` names (see the module doc)."""
        if not isinstance(reference, str) or len(reference) > MAX_REFERENCE_LENGTH \
                or not _WELL_FORMED.fullmatch(reference):
            raise InvalidArgument(f"bad hook reference {_shown(reference)}: expected "
                                  "\"module:function\"")
        module_name, _, name = reference.partition(":")
        if _FORBIDDEN.search(reference):
            raise PermissionDenied(
                f"{_shown(reference)} is not allowed: a reference is \"module:function\" "
                "with one plain name (no attribute path, no dunder)")
        if not self.allows(module_name):
            raise PermissionDenied(
                f"module {_shown(module_name)} is not allowed; the operator allows: "
                f"{', '.join(self.modules) or 'none'} (serve -m MODULE)")
        function = registered(module_name, name)
        if function is None or module_name not in sys.modules:
            raise PermissionDenied(
                f"{_shown(reference)} is not a hook or command that module "
                f"{module_name!r} registered (decorate it with @hook or @command)")
        return function


def lazy_hook(hook: Hook | str | None, resolver: HookResolver) -> Hook | None:
    """``hook`` itself when it is a function (or None); for a "module:function"
    reference, a callable that resolves it when first called, once the operator's
    modules are imported (the arbiter's own hooks are given before its start)."""
    if hook is None or callable(hook):
        return hook
    return _LazyHook(hook, resolver)


class _LazyHook:
    """A "module:function" hook, resolved when called."""

    def __init__(self, reference: str, resolver: HookResolver) -> None:
        self.reference = reference
        self.resolver = resolver

    def __call__(self, actor: Actor) -> object:
        return self.resolver.resolve(self.reference)(actor)
