"""``actorgrpc serve --config FILE``: the arbiter's settings in a TOML file.

Why a schema of our own instead of passing the TOML through: an operator's typo
(``num_worker = 4``) must stop the arbiter at start with the file, line and key
named, not be ignored. tomllib reports the line of syntax errors; for unknown keys
and wrong types the key's line is found by scanning the text (``locate``).

The file (every table and key optional)::

    [server]      bind, modules, start, run_dir, max_message_bytes
    [supervision] heartbeat_interval, monitor_task_period, spawn_timeout, action_timeout
    [logging]     level, format
    [security]    auth_token_file, tls_cert, tls_key, tls_client_ca, tls_ca, insecure
    [metrics]     port
    [dashboard]   port
    [programs.NAME]  command (a list of strings), env (a table of strings), cwd:
                     a program that EXEC actors may run (see actorgrpc.supervisor.programs)
    [monitors.NAME]  num_workers, kind, start, stopping, periodic_task,
                     periodic_interval, timeout, extra, and the restart policy
                     (restart, strategy, max_restarts, max_seconds, backoff_initial,
                     backoff_max, backoff_jitter, stable_seconds) passed to add_monitor as is
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ConfigError", "ServeConfig", "load_config", "parse_config", "locate"]

_NUMBER = (int, float)
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

#: table → key → (accepted Python types, description for messages)
SCHEMA: dict[str, dict[str, tuple[tuple, str]]] = {
    "server": {
        "bind": ((str,), "a HOST:PORT string"),
        "modules": ((list,), "a list of module names"),
        "start": ((str,), 'a "module:function" string'),
        "run_dir": ((str,), "a folder path"),
        "max_message_bytes": ((int,), "a positive integer"),
    },
    "supervision": {
        "heartbeat_interval": (_NUMBER, "a positive number of seconds"),
        "monitor_task_period": (_NUMBER, "a positive number of seconds"),
        "spawn_timeout": (_NUMBER, "a positive number of seconds"),
        "action_timeout": (_NUMBER, "a positive number of seconds"),
    },
    "logging": {
        "level": ((str,), f"one of {', '.join(_LOG_LEVELS)}"),
        "format": ((str,), '"text" or "json"'),
    },
    "security": {
        "auth_token_file": ((str,), "a path to a token file"),
        "tls_cert": ((str,), "a path to a PEM certificate chain"),
        "tls_key": ((str,), "a path to a PEM private key"),
        "tls_client_ca": ((str,), "a path to PEM CA certificates"),
        "tls_ca": ((str,), "a path to PEM CA certificates"),
        "insecure": ((bool,), "true or false"),
    },
    "metrics": {"port": ((int,), "a port number (0-65535)")},
    "dashboard": {"port": ((int,), "a port number (0-65535)")},
}

#: Keys of a ``[monitors.NAME]`` table; all but num_workers go to add_monitor as is.
MONITOR_KEYS: dict[str, tuple[tuple, str]] = {
    "num_workers": ((int,), "a non-negative integer"),
    "kind": ((str,), '"process" or "thread"'),
    "start": ((str,), 'a "module:function" string'),
    "stopping": ((str,), 'a "module:function" string'),
    "periodic_task": ((str,), 'a "module:function" string'),
    "periodic_interval": (_NUMBER, "a positive number of seconds"),
    "timeout": (_NUMBER, "a positive number of seconds"),
    "extra": ((dict,), "a table"),
    # The restart policy (validated here for type only; the monitor checks values).
    "restart": ((str,), '"permanent", "transient" or "temporary"'),
    "strategy": ((str,), 'a strategy name such as "one_for_one"'),
    "max_restarts": ((int,), "a non-negative integer"),
    "max_seconds": (_NUMBER, "a positive number of seconds"),
    "backoff_initial": (_NUMBER, "a non-negative number of seconds"),
    "backoff_max": (_NUMBER, "a non-negative number of seconds"),
    "backoff_jitter": (_NUMBER, "a non-negative fraction (0.2 = up to 20 %)"),
    "stable_seconds": (_NUMBER, "a non-negative number of seconds"),
}

_POSITIVE = {"max_message_bytes", "heartbeat_interval", "monitor_task_period",
             "spawn_timeout", "action_timeout", "periodic_interval", "timeout", "max_seconds"}
_NON_NEGATIVE = {"num_workers", "max_restarts", "backoff_initial", "backoff_max",
                 "backoff_jitter", "stable_seconds"}


class ConfigError(ValueError):
    """A configuration file that cannot be used; ``str()`` names file, line and key."""


@dataclass
class ServeConfig:
    """Settings of ``actorgrpc serve``; ``None`` means "not set in the file"."""

    bind: str | None = None
    modules: list[str] = field(default_factory=list)
    start: str | None = None
    run_dir: str | None = None
    max_message_bytes: int | None = None
    heartbeat_interval: float | None = None
    monitor_task_period: float | None = None
    spawn_timeout: float | None = None
    action_timeout: float | None = None
    log_level: str | None = None
    log_format: str | None = None
    metrics_port: int | None = None
    dashboard_port: int | None = None
    auth_token_file: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None
    tls_ca: str | None = None
    insecure: bool | None = None
    #: Programs EXEC actors may run.
    programs: list = field(default_factory=list)
    #: Monitor name → keyword arguments of ``Arbiter.add_monitor``.
    monitors: dict[str, dict[str, Any]] = field(default_factory=dict)

    def arbiter_kwargs(self) -> dict:
        """The supervision timings that were set, as ``Arbiter(...)`` keyword arguments."""
        return {key: getattr(self, key) for key in
                ("heartbeat_interval", "monitor_task_period", "spawn_timeout",
                 "action_timeout")
                if getattr(self, key) is not None}


def load_config(path: str) -> ServeConfig:
    """Read and validate a configuration file (ConfigError when it is not usable)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") \
            from None
    return parse_config(text, path)


def parse_config(text: str, path: str = "<config>") -> ServeConfig:
    """Validate the TOML ``text``; ``path`` only names the file in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message ends with "(at line N, column M)".
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    problems = _Problems(text, path)
    config = ServeConfig()
    for table, value in data.items():
        if table == "monitors":
            _read_monitors(value, config, problems)
        elif table == "programs":
            _read_programs(value, config, problems)
        elif table in SCHEMA:
            if not isinstance(value, dict):
                problems.add((table,), f"must be a table [{table}]")
                continue
            _read_table(table, value, config, problems)
        else:
            known = ", ".join(f"[{name}]" for name in [*SCHEMA, "monitors.NAME",
                                                       "programs.NAME"])
            problems.add((table,), f"unknown table or key {table!r}; expected {known}")
    problems.raise_if_any()
    return config


_FIELD_OF = {("logging", "level"): "log_level", ("logging", "format"): "log_format",
             ("metrics", "port"): "metrics_port", ("dashboard", "port"): "dashboard_port"}


def _read_table(table: str, values: dict, config: ServeConfig, problems) -> None:
    schema = SCHEMA[table]
    for key, value in values.items():
        if key not in schema:
            problems.add((table, key), f"unknown key {key!r} in [{table}]; expected one "
                         f"of {', '.join(schema)}")
            continue
        if not _check(table, key, value, schema[key], problems, (table, key)):
            continue
        setattr(config, _FIELD_OF.get((table, key), key), value)


def _read_monitors(monitors, config: ServeConfig, problems) -> None:
    if not isinstance(monitors, dict):
        problems.add(("monitors",), "must be tables [monitors.NAME]")
        return
    for name, params in monitors.items():
        where = ("monitors", name)
        if not isinstance(params, dict):
            problems.add(where, f"[monitors.{name}] must be a table of settings")
            continue
        if not re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$", name):
            problems.add(where, f"bad monitor name {name!r}")
            continue
        accepted = {}
        for key, value in params.items():
            if key not in MONITOR_KEYS:
                problems.add(where + (key,), f"unknown key {key!r} in [monitors.{name}]; "
                             f"expected one of {', '.join(MONITOR_KEYS)}")
            elif _check(f"monitors.{name}", key, value, MONITOR_KEYS[key], problems,
                        where + (key,)):
                accepted[key] = value
        accepted.setdefault("num_workers", 1)
        config.monitors[name] = accepted


def _read_programs(programs, config: ServeConfig, problems) -> None:
    from actorgrpc.supervisor.programs import Program

    if not isinstance(programs, dict):
        problems.add(("programs",), "must be tables [programs.NAME]")
        return
    for name, params in programs.items():
        where = ("programs", name)
        if not isinstance(params, dict):
            problems.add(where, f"[programs.{name}] must be a table with a command")
            continue
        unknown = set(params) - {"command", "env", "cwd"}
        if unknown:
            problems.add(where, f"unknown key(s) {', '.join(sorted(unknown))} in "
                         f"[programs.{name}]; expected command, env, cwd")
            continue
        env = params.get("env", {})
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            problems.add(where + ("env",), f"[programs.{name}] env must be a table of strings")
            continue
        cwd = params.get("cwd")
        if cwd is not None and not isinstance(cwd, str):
            problems.add(where + ("cwd",), f"[programs.{name}] cwd must be a folder path")
            continue
        command = params.get("command")
        try:
            if not isinstance(command, list):
                raise ValueError(f"program {name!r}: command must be a list of strings")
            config.programs.append(Program(name=name, command=tuple(command), env=env,
                                           cwd=cwd))
        except ValueError as exc:
            problems.add(where, f"[programs.{name}] {exc}")


def _check(table: str, key: str, value, rule, problems, where) -> bool:
    types, description = rule
    # bool is an int in Python; "true" is never a number or a count here.
    ok = isinstance(value, types) and (bool in types or not isinstance(value, bool))
    if ok and key in _POSITIVE:
        ok = value > 0
    if ok and key in _NON_NEGATIVE:
        ok = value >= 0
    if ok and key == "port":
        ok = 0 <= value <= 65535
    if ok and key == "modules":
        ok = all(isinstance(m, str) and m for m in value)
    if ok and key == "level":
        ok = value.upper() in _LOG_LEVELS
    if ok and key == "format":
        ok = value in ("text", "json")
    if ok and key == "kind":
        ok = value in ("process", "thread")
    if ok and key == "bind":
        ok = ":" in value and value.rsplit(":", 1)[1].isdigit()
    if not ok:
        problems.add(where, f"[{table}] {key} must be {description}, got {_show(value)}")
    return ok


def _show(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


class _Problems:
    """Collects every problem of a file, so the operator fixes them in one go."""

    def __init__(self, text: str, path: str):
        self.text = text
        self.path = path
        self.items: list[tuple[int | None, str]] = []

    def add(self, where: tuple, message: str) -> None:
        self.items.append((locate(self.text, where), message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        self.items.sort(key=lambda item: item[0] or 0)
        raise ConfigError("\n".join(
            f"{self.path}:{line}: {message}" if line else f"{self.path}: {message}"
            for line, message in self.items))


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


def locate(text: str, where: tuple) -> int | None:
    """The 1-based line where the key path ``where`` is defined, or None.

    Understands ``[table]`` headers, ``[a.b]`` sub-tables and ``key = value``
    lines, and dotted keys (``monitors.web.num_workers = 2``). Good enough for
    messages; not a TOML parser (tomllib already validated the syntax).
    """
    current: tuple = ()
    header_line: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if match:
            current = tuple(_unquote(p) for p in match.group(1).split("."))
            if current == where:
                header_line = number
            continue
        key_match = re.match(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=", line)
        if not key_match:
            continue
        key = tuple(_unquote(p) for p in key_match.group(1).split("."))
        full = current + key
        if full == where or (len(full) > len(where) and full[:len(where)] == where
                             and header_line is None):
            return number
    return header_line


def _unquote(part: str) -> str:
    return part.strip().strip('"').strip("'")
