"""Resolution of ``"module:function"`` references inside the operator's allowed modules.

Nothing named by the network is imported: a reference is resolved only when its
module is one the operator allowed (``-m``) and was imported at boot, so
``os:system`` is refused with PERMISSION_DENIED before anything happens.
"""

from __future__ import annotations

import importlib
import re
import sys
from typing import Callable, Iterable

from .errors import InvalidArgument, PermissionDenied

__all__ = ["HookResolver", "reference_of"]

_REFERENCE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")

#: Modules whose functions are always callable as hooks: our own examples.
BUILTIN_MODULES = ("actorgrpc.examples.demo",)


class HookResolver:
    """Resolves references against a fixed set of allowed modules."""

    def __init__(self, modules: Iterable[str] = ()):
        self.modules: tuple[str, ...] = tuple(dict.fromkeys([*modules]))

    def import_all(self) -> None:
        """Import every allowed module (registering its commands); errors propagate."""
        for name in self.modules:
            importlib.import_module(name)

    def allows(self, module: str) -> bool:
        return module in self.modules or module in BUILTIN_MODULES

    def check(self, reference: str) -> str:
        """Validate a reference without calling it; return it unchanged."""
        self.resolve(reference)
        return reference

    def resolve(self, reference) -> Callable:
        """The function that ``reference`` names.

        INVALID_ARGUMENT when it is not of the form "module:function" or names
        nothing callable; PERMISSION_DENIED when the module is not allowed.
        """
        if not isinstance(reference, str) or not _REFERENCE.match(reference):
            raise InvalidArgument(
                f"bad hook reference {reference!r}: expected \"module:function\""
            )
        module_name, _, attribute = reference.partition(":")
        if not self.allows(module_name):
            raise PermissionDenied(
                f"module {module_name!r} is not allowed; the operator allows: "
                f"{', '.join(self.modules) or 'none'} (serve -m MODULE)"
            )
        module = sys.modules.get(module_name)
        if module is None:
            # Allowed modules are imported at boot; importing here only happens for
            # the built-in examples, which are ours.
            module = importlib.import_module(module_name)
        target = module
        for part in attribute.split("."):
            target = getattr(target, part, None)
            if target is None:
                break
        if not callable(target):
            raise InvalidArgument(f"{reference!r} does not name a function")
        return target


def reference_of(hook) -> str:
    """Turn a hook given as a function into its "module:function" reference."""
    if hook is None or hook == "":
        return ""
    if isinstance(hook, str):
        return hook
    module = getattr(hook, "__module__", None)
    qualname = getattr(hook, "__qualname__", None)
    if not module or not qualname or "<" in qualname or module == "__main__":
        raise InvalidArgument(
            f"{hook!r} cannot be sent to another process: hooks of process actors must "
            "be module-level functions of an allowed module (or \"module:function\")"
        )
    return f"{module}:{qualname}"
