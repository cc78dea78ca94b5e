"""Programs the operator registers for EXEC actors: the only commands the arbiter runs.

A client spawns ``SpawnRequest{kind: EXEC, program: NAME}``; NAME must be one the
operator registered (``serve --program NAME=COMMAND`` or ``[programs.NAME]`` in the
configuration file). The network never names a file to execute or its arguments.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from actorgrpc.contract.errors import PermissionDenied

__all__ = ["Program", "ProgramTable", "parse_program_option"]

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Program:
    """A command line to start an actor with."""

    name: str
    command: tuple[str, ...]
    #: Extra environment variables (added to the arbiter's own).
    env: dict[str, str] = field(default_factory=dict)
    #: Working directory; None: the arbiter's.
    cwd: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"bad program name {self.name!r}: 1-64 letters, digits, _ . -")
        if not self.command or not all(isinstance(part, str) and part
                                       for part in self.command):
            raise ValueError(f"program {self.name!r}: the command must be a non-empty list "
                             "of non-empty strings")


def parse_program_option(text: str) -> Program:
    """``NAME=COMMAND`` (the command split as a POSIX shell would, never run by one)."""
    name, sep, command = text.partition("=")
    if not sep:
        raise ValueError(f"expected NAME=COMMAND, got {text!r}")
    return Program(name=name.strip(), command=tuple(shlex.split(command)))


class ProgramTable:
    """The registered programs, by name."""

    def __init__(self, programs: Iterable[Program] = ()) -> None:
        self.by_name: dict[str, Program] = {}
        for program in programs:
            self.by_name[program.name] = program

    def get(self, name: str) -> Program:
        program = self.by_name.get(name)
        if program is None:
            shown = name if len(name) <= 64 else name[:64] + "…"
            raise PermissionDenied(
                f"program {shown!r} is not registered; the operator registers programs "
                f"with serve --program NAME=COMMAND (registered: "
                f"{', '.join(sorted(self.by_name)) or 'none'})")
        return program

    def __contains__(self, name: str) -> bool:
        return name in self.by_name
