"""``actorgrpc serve --config FILE``: the arbiter's settings in a TOML file.

The file is validated by one declarative schema, built from the same models that
validate spawn parameters and restart policies (actorgrpc.contract.schema), so a
monitor's workers in the file and an actor spawned by a client obey the same rules.
An operator's typo (``num_worker = 4``) stops the arbiter at start with the file,
line and key named; every problem of the file is reported at once. tomllib reports
the line of syntax errors; for the schema's findings the key's line is found by
scanning the text (``locate``).

The file (every table and key optional)::

    [server]      bind, modules, start, run_dir, max_message_bytes
    [supervision] heartbeat_interval, monitor_task_period, spawn_timeout, action_timeout
    [logging]     level, format
    [security]    auth_token_file, tls_cert, tls_key, tls_client_ca, tls_ca, insecure
    [metrics]     port
    [dashboard]   port
    [programs.NAME]  command (a list of strings), env (a table of strings), cwd:
                     a program that EXEC actors may run (see supervisor.programs)
    [monitors.NAME]  num_workers, and the workers' spawn parameters (kind, start,
                     stopping, periodic_task, periodic_interval, timeout, extra,
                     restart, program) and restart policy (strategy, max_restarts,
                     max_seconds, backoff_initial, backoff_max, backoff_jitter,
                     stable_seconds), passed to add_monitor as is

``ServeConfig.defaults()`` are the values the file gives the ``serve`` command's
options: click's ``default_map`` (a flag on the command line wins over the file).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from pydantic import AfterValidator, Field, StrictBool, StrictInt, ValidationError

from actorgrpc.contract.schema import (
    PositiveSeconds,
    RestartPolicyParams,
    StrictModel,
    WorkerParams,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from actorgrpc.supervisor.programs import Program

__all__ = ["ConfigError", "ServeConfig", "ConfigFile", "load_config", "parse_config",
           "locate"]

_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$"
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _shaped(pattern: str, what: str) -> AfterValidator:
    """A string of one shape; the message says the shape in words, not as a regex."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"must be {what}")
        return value
    return AfterValidator(check)


Port = Annotated[StrictInt, Field(ge=0, le=65535)]
BindAddress = Annotated[str, _shaped(r"^.*:[0-9]+$", "a HOST:PORT string")]
ModuleName = Annotated[str, _shaped(_MODULE.pattern, "a module name (dotted identifiers)")]


class ServerSection(StrictModel):
    bind: BindAddress | None = None
    modules: list[ModuleName] = []
    start: str | None = None
    run_dir: str | None = None
    max_message_bytes: Annotated[StrictInt, Field(gt=0)] | None = None


class SupervisionSection(StrictModel):
    heartbeat_interval: PositiveSeconds | None = None
    monitor_task_period: PositiveSeconds | None = None
    spawn_timeout: PositiveSeconds | None = None
    action_timeout: PositiveSeconds | None = None


class LoggingSection(StrictModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL",
                   "debug", "info", "warning", "error", "critical"] | None = None
    format: Literal["text", "json"] | None = None


class SecuritySection(StrictModel):
    auth_token_file: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None
    tls_ca: str | None = None
    insecure: StrictBool | None = None


class ClusterSection(StrictModel):
    """``[cluster]``: join arbiters on several hosts through etcd (docs/cluster.md)."""

    etcd: Annotated[str, Field(min_length=1)] | None = None
    name: Annotated[str, Field(pattern=_NAME)] | None = None
    advertise: BindAddress | None = None
    lease_ttl: Annotated[StrictInt, Field(ge=2)] | None = None
    placement: Literal["least-loaded", "local"] | None = None
    etcd_cacert: str | None = None
    etcd_cert: str | None = None
    etcd_key: str | None = None
    etcd_user: str | None = None
    etcd_password_file: str | None = None


class PortSection(StrictModel):
    port: Port | None = None


class MonitorSection(WorkerParams, RestartPolicyParams):
    """A pool: its size, its workers' spawn parameters and its restart policy."""

    num_workers: Annotated[StrictInt, Field(ge=0)] = 1


class ProgramSection(StrictModel):
    command: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    env: dict[str, str] = {}
    cwd: str | None = None


class LimitsSection(StrictModel):
    max_actors: Annotated[StrictInt, Field(ge=1)] | None = None
    max_thread_actors: Annotated[StrictInt, Field(ge=1)] | None = None
    max_pending_calls: Annotated[StrictInt, Field(ge=1)] | None = None


class ConfigFile(StrictModel):
    """The whole file."""

    server: ServerSection = ServerSection()
    supervision: SupervisionSection = SupervisionSection()
    limits: LimitsSection = LimitsSection()
    logging: LoggingSection = LoggingSection()
    security: SecuritySection = SecuritySection()
    cluster: ClusterSection = ClusterSection()
    metrics: PortSection = PortSection()
    dashboard: PortSection = PortSection()
    monitors: dict[Annotated[str, Field(pattern=_NAME)], MonitorSection] = {}
    programs: dict[Annotated[str, Field(pattern=_NAME)], ProgramSection] = {}


class ConfigError(ValueError):
    """A configuration file that cannot be used; ``str()`` names file, line and key."""


#: Option of ``serve`` → (section, key) of the file that gives its default.
_OPTIONS = {
    "bind": ("server", "bind"), "start": ("server", "start"),
    "run_dir": ("server", "run_dir"), "max_message_bytes": ("server", "max_message_bytes"),
    "heartbeat_interval": ("supervision", "heartbeat_interval"),
    "max_actors": ("limits", "max_actors"),
    "max_thread_actors": ("limits", "max_thread_actors"),
    "max_pending_calls": ("limits", "max_pending_calls"),
    "spawn_timeout": ("supervision", "spawn_timeout"),
    "log_level": ("logging", "level"), "log_format": ("logging", "format"),
    "auth_token_file": ("security", "auth_token_file"), "tls_cert": ("security", "tls_cert"),
    "tls_key": ("security", "tls_key"), "tls_client_ca": ("security", "tls_client_ca"),
    "tls_ca": ("security", "tls_ca"), "insecure": ("security", "insecure"),
    "metrics_port": ("metrics", "port"), "dashboard_port": ("dashboard", "port"),
    "etcd": ("cluster", "etcd"), "cluster_name": ("cluster", "name"),
    "advertise": ("cluster", "advertise"), "lease_ttl": ("cluster", "lease_ttl"),
    "placement": ("cluster", "placement"),
    **{key: ("cluster", key) for key in ("etcd_cacert", "etcd_cert", "etcd_key", "etcd_user",
                                         "etcd_password_file")},
}


@dataclass
class ServeConfig:
    """Settings of ``actorgrpc serve``; ``None`` means "not set in the file"."""

    file: ConfigFile = field(default_factory=ConfigFile)

    def __getattr__(self, name: str) -> Any:
        if name in _OPTIONS:
            section, key = _OPTIONS[name]
            return getattr(getattr(self.file, section), key)
        if name in ("monitor_task_period", "action_timeout"):
            return getattr(self.file.supervision, name)
        raise AttributeError(name)

    @property
    def modules(self) -> list[str]:
        return list(self.file.server.modules)

    @property
    def monitors(self) -> dict[str, dict[str, Any]]:
        """Monitor name → keyword arguments of ``Arbiter.add_monitor`` (what the file
        set, as given)."""
        return {name: section.model_dump(exclude_unset=True) | {
                    "num_workers": section.num_workers}
                for name, section in self.file.monitors.items()}

    @property
    def programs(self) -> list[Program]:
        from actorgrpc.supervisor.programs import Program

        return [Program(name=name, command=tuple(p.command), env=dict(p.env), cwd=p.cwd)
                for name, p in self.file.programs.items()]

    def defaults(self) -> dict[str, Any]:
        """The file's values of ``serve``'s options (click's ``default_map``)."""
        return {option: value for option in _OPTIONS
                if (value := getattr(self, option)) is not None}

    def arbiter_kwargs(self) -> dict[str, Any]:
        """The supervision timings that were set, as ``Arbiter(...)`` keyword arguments."""
        return {key: getattr(self.file.supervision, key) for key in
                ("heartbeat_interval", "monitor_task_period", "spawn_timeout",
                 "action_timeout")
                if getattr(self.file.supervision, key) is not None}


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
    try:
        return ServeConfig(ConfigFile.model_validate(data))
    except ValidationError as error:
        raise ConfigError(_describe(error, text, path)) from None


def _describe(error: ValidationError, text: str, path: str) -> str:
    """Every problem, one per line, in line order: ``path:line: [table] key: what``."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(part for part in item["loc"] if not _is_branch(part))
        keys = tuple(str(part) for part in loc if not isinstance(part, int))
        table, key = _table_and_key(keys)
        # A list item is named like TOML's arrays are read: modules[1].
        key += "".join(f"[{part}]" for part in loc if isinstance(part, int))
        if item["type"] == "extra_forbidden":
            expected = ", ".join(_keys_of(keys[:-1]))
            message = (f"unknown key {key!r} in [{table}]" if table else
                       f"unknown table or key {key!r}") + \
                (f"; expected one of {expected}" if expected else "")
        else:
            what = _what(item)
            message = f"[{table}] {key}: {what}" if table and key else \
                f"[{table or key}]: {what}"
        problems.append((locate(text, keys), message))
    problems.sort(key=lambda problem: problem[0] or 0)
    return "\n".join(f"{path}:{line}: {message}" if line else f"{path}: {message}"
                     for line, message in problems)


def _what(item: Mapping[str, Any]) -> str:
    """pydantic's message in the file's words, and the value that was given."""
    message = item["msg"].removeprefix("Value error, ")
    if item["type"] in ("model_type", "dict_type"):
        return "must be a table"
    message = message.replace("Input should be", "must be")
    return f"{message}, got {_toml(item['input'])}"


def _toml(value: Any) -> str:
    """A value as the file spells it (true, not True; "4", not '4')."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _keys_of(where: tuple[str, ...]) -> list[str]:
    """The keys the schema allows in the table at ``where`` (for "expected one of")."""
    if not where:
        return sorted(ConfigFile.model_fields)
    if len(where) == 2 and where[0] in ("monitors", "programs"):
        model: Any = MonitorSection if where[0] == "monitors" else ProgramSection
    elif len(where) == 1 and where[0] in ConfigFile.model_fields:
        model = ConfigFile.model_fields[where[0]].annotation
    else:
        return []
    # The tables' annotations are pydantic models.
    return sorted(cast("type[BaseModel]", model).model_fields) if isinstance(model, type) else []


def _is_branch(part: object) -> bool:
    """A name pydantic gives the branch of a union it tried, not a key of the file."""
    return isinstance(part, str) and ("[" in part or part.startswith(("constrained-",
                                                                       "function-")))


def _table_and_key(loc: tuple[str, ...]) -> tuple[str, str]:
    if len(loc) >= 3 and loc[0] in ("monitors", "programs"):
        return f"{loc[0]}.{loc[1]}", ".".join(loc[2:])
    if len(loc) == 2 and loc[0] in ("monitors", "programs"):
        return f"{loc[0]}.{loc[1]}", ""
    if len(loc) >= 2:
        return loc[0], ".".join(loc[1:])
    return "", loc[0] if loc else ""


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


def locate(text: str, where: tuple[str, ...]) -> int | None:
    """The 1-based line where the key path ``where`` is defined, or None.

    Understands ``[table]`` headers, ``[a.b]`` sub-tables and ``key = value``
    lines, and dotted keys (``monitors.web.num_workers = 2``). Good enough for
    messages; not a TOML parser (tomllib already validated the syntax).
    """
    current: tuple[str, ...] = ()
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
