"""``incident_lab.toml``: where containment actions and notification channels are configured.

Values may reference environment variables as ``${NAME}``; secrets are only ever
read from the environment, and every substituted value is remembered so that
:class:`Secrets` can mask it in logs, the timeline and error messages.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_lab.errors import ConfigError, InputError

CONFIG_ENV = "INCIDENT_LAB_CONFIG"
#: A config file larger than this is refused unread.
MAX_CONFIG_BYTES = 1024 * 1024
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MASK = "***"


@dataclass
class Secrets:
    """Values that came from environment variables, to be masked wherever shown."""

    values: set[str] = field(default_factory=set)

    def add(self, value: str) -> None:
        """Remember a secret value (values shorter than 4 characters are not masked)."""
        if value and len(value) >= 4:
            self.values.add(value)

    def mask(self, obj: Any) -> Any:
        """Return ``obj`` with every known secret replaced by ``***`` (recursively)."""
        if isinstance(obj, str):
            for value in sorted(self.values, key=len, reverse=True):
                obj = obj.replace(value, MASK)
            return obj
        if isinstance(obj, list | tuple):
            return [self.mask(v) for v in obj]
        if isinstance(obj, dict):
            return {k: self.mask(v) for k, v in obj.items()}
        return obj


def substitute(value: Any, secrets: Secrets, *, where: str, path: str | None = None) -> Any:
    """Replace ``${VAR}`` in strings (recursively) with environment values.

    Raises:
        ConfigError: a referenced variable is not set.
    """
    if isinstance(value, str):

        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in os.environ:
                raise ConfigError(
                    f"{where}: environment variable {name} is not set",
                    path=path,
                    hint=f"export {name}=... before running",
                )
            secrets.add(os.environ[name])
            return os.environ[name]

        return _VAR.sub(repl, value)
    if isinstance(value, list):
        return [substitute(v, secrets, where=where, path=path) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, secrets, where=where, path=path) for k, v in value.items()}
    return value


@dataclass
class Config:
    """The parsed configuration.

    Attributes:
        path: The file it came from, or None for the built-in empty config.
        contain: ``[contain.actions.<name>]`` tables by action name.
        notify: ``[notify.<channel>]`` tables by channel.
        routing: ``[[routing.rules]]`` list.
        raw: The whole document.
    """

    path: str | None
    contain: dict[str, dict[str, Any]]
    notify: dict[str, dict[str, Any]]
    routing: list[dict[str, Any]]
    raw: dict[str, Any]
    actor: str | None = None


# -- the typed model: every key's type, range and meaning, checked before anything runs ---

Check = Callable[[str, str, Any], Any]


def _fail(where: str, key: str, what: str, value: Any) -> ConfigError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return ConfigError(f"[{where}] {key} must be {what}, not {shown}")


def _number(low: float, high: float, *, whole: bool = False, low_open: bool = False) -> Check:
    kind = "a whole number" if whole else "a number"
    bounds = f"{'>' if low_open else '>='} {low:g} and <= {high:g}"

    def check(where: str, key: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(where, key, kind, value)
        if not math.isfinite(value) or value > high or value < low or (low_open and value == low):
            raise _fail(where, key, f"{kind} {bounds}", value)
        if whole and value != int(value):
            raise _fail(where, key, kind, value)
        return int(value) if whole else float(value)

    return check


def _text(*, choices: tuple[str, ...] = (), url: bool = False) -> Check:
    def check(where: str, key: str, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            raise _fail(where, key, "a non-empty string", value)
        if _CONTROL.search(value):
            raise _fail(where, key, "a string without control characters (CR, LF, NUL)", value)
        if choices and value.upper() not in choices:
            raise _fail(where, key, "one of " + ", ".join(choices), value)
        if url and "${" not in value and not _URL.match(value):
            raise _fail(where, key, "an http:// or https:// URL", value)
        return value.upper() if choices else value

    return check


def _strings(where: str, key: str, value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(where, key, 'a list of non-empty strings (e.g. ["send_email"])', value)
    return value


def _command(where: str, key: str, value: Any) -> Any:
    if isinstance(value, str):
        try:
            parts = shlex.split(value)
        except ValueError as exc:
            raise _fail(where, key, f"a command line that splits ({exc})", value) from None
        if not parts:
            raise _fail(where, key, "a non-empty command", value)
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value) and value[0]:
        return value
    raise _fail(where, key, "a non-empty command string or list of strings", value)


def _headers(where: str, key: str, value: Any) -> Any:
    if not isinstance(value, dict):
        raise _fail(where, key, "a table of header names to values", value)
    for name, v in value.items():
        if not _TOKEN.match(name):
            raise _fail(where, f"{key}.{name}", "a valid header name", name)
        if not isinstance(v, str) or _CONTROL.search(v):
            raise _fail(where, f"{key}.{name}", "a string without CR, LF or NUL", v)
    return value


def _body(where: str, key: str, value: Any) -> Any:
    if not isinstance(value, str | dict | list):
        raise _fail(where, key, "a string or a table", value)
    return value


def _table(where: str, key: str, value: Any) -> Any:
    if not isinstance(value, dict):
        raise _fail(where, key, "a table", value)
    return value


def _request(where: str, key: str, value: Any) -> Any:
    if not isinstance(value, dict):
        raise _fail(where, key, "a table (method, url, headers, body)", value)
    _check_table(f"{where}.{key}", value, _REQUEST_KEYS, strict=True)
    if "url" not in value:
        raise ConfigError(f"[{where}.{key}] needs a 'url'")
    return value


_TIMEOUT = _number(0, 3600, low_open=True)
_ATTEMPTS = _number(1, 20, whole=True)
_MAX_WAIT = _number(0, 3600)
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_REQUEST_KEYS: dict[str, Check] = {
    "method": _text(choices=_METHODS),
    "url": _text(url=True),
    "headers": _headers,
    "body": _body,
}
_ACTION_KEYS: dict[str, dict[str, Check]] = {
    "kubectl": {
        "deployment": _text(),
        "namespace": _text(),
        "context": _text(),
        "replicas": _number(0, 10_000, whole=True),
        "kubectl": _text(),
    },
    "command": {"command": _command, "undo_command": _command, "tools": _strings},
    "http": {**_REQUEST_KEYS, "undo": _request, "tools": _strings},
}
_COMMON_ACTION_KEYS: dict[str, Check] = {"backend": _text(), "timeout": _TIMEOUT}
_CHANNEL_COMMON: dict[str, Check] = {
    "url": _text(url=True),
    "headers": _headers,
    "attempts": _ATTEMPTS,
    "timeout": _TIMEOUT,
    "max_wait": _MAX_WAIT,
    "artifacts_base_url": _text(url=True),
}
_CHANNEL_KEYS: dict[str, dict[str, Check]] = {
    "slack": {},
    "pagerduty": {"routing_key": _text(), "source": _text(), "component": _text()},
    "jira": {
        "project": _text(),
        "user": _text(),
        "token": _text(),
        "issue_type": _text(),
        "labels": _strings,
    },
    "webhook": {"method": _text(choices=_METHODS)},
}
_CONTROL = re.compile(r"[\r\n\x00]")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")
_URL = re.compile(r"^https?://[^\s/?#]{1,255}", re.IGNORECASE)


def _check_table(
    where: str, table: dict[str, Any], keys: dict[str, Check], *, strict: bool
) -> None:
    """Check (and normalise in place) every known key; unknown keys are errors when ``strict``."""
    for key in list(table):
        check = keys.get(key)
        if check is None:
            if strict:
                raise ConfigError(
                    f"[{where}] unknown key {key!r} (known: {', '.join(sorted(keys))})"
                )
            continue
        table[key] = check(where, key, table[key])


def _check_action(name: str, table: dict[str, Any]) -> None:
    where = f"contain.actions.{name}"
    if "backend" not in table:
        raise ConfigError(f"[{where}] needs a 'backend' (kubectl, command or http)")
    backend = _text()(where, "backend", table["backend"])
    extra = _ACTION_KEYS.get(backend)
    keys = {**_COMMON_ACTION_KEYS, **(extra or {})}
    _check_table(where, table, keys, strict=extra is not None)  # a plugin's keys are its own
    if backend == "command" and "command" not in table:
        raise ConfigError(f"[{where}] backend 'command' needs a 'command'")
    if backend == "http" and "url" not in table:
        raise ConfigError(f"[{where}] backend 'http' needs a 'url'")
    if backend == "kubectl" and "deployment" not in table:
        raise ConfigError(f"[{where}] backend 'kubectl' needs a 'deployment'")


def _check_channel(name: str, table: dict[str, Any]) -> None:
    extra = _CHANNEL_KEYS.get(name)
    _check_table(
        f"notify.{name}", table, {**_CHANNEL_COMMON, **(extra or {})}, strict=extra is not None
    )


def _check_respond(table: dict[str, Any], contain: dict[str, Any]) -> None:
    _check_table("respond", table, {"contain": _strings}, strict=True)
    for name in table.get("contain", []):
        if name not in contain:
            configured = ", ".join(sorted(contain)) or "none"
            raise ConfigError(
                f"[respond] contain names {name!r}, which is not configured in "
                f"[contain.actions] (configured: {configured})"
            )


def _check_routing(rules: list[dict[str, Any]]) -> None:
    for n, rule in enumerate(rules, start=1):
        where = f"routing.rules #{n}"
        _check_table(
            where,
            rule,
            {
                "notify": _strings,
                "audience": _text(),
                "when": _table,
            },
            strict=True,
        )


def _find_config(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    candidate = Path("incident_lab.toml")
    return candidate if candidate.exists() else None


def _read_toml(path: Path) -> dict[str, Any]:
    """The config file's TOML document; every way it can fail is a one-line ConfigError."""
    from incident_lab.readers.base import read_bounded

    try:
        if not path.exists():
            raise FileNotFoundError(path)
        data = read_bounded(path, MAX_CONFIG_BYTES)  # regular files only: a FIFO never blocks
        if data is None:
            raise ConfigError(f"config is larger than {MAX_CONFIG_BYTES:,} bytes", path=str(path))
        return tomllib.loads(data.decode("utf-8"))
    except InputError as exc:
        raise ConfigError(f"cannot read config: {exc.message}", path=str(path)) from None
    except RecursionError:
        raise ConfigError("invalid TOML: nested too deeply", path=str(path)) from None
    except FileNotFoundError:
        raise ConfigError("no such config file", path=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("config is not valid UTF-8", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror}", path=str(path)) from None


def _sections(
    raw: dict[str, Any], path: Path
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The contain actions, notify channels and routing rules, checked for shape: each
    section a table, actions and channels tables of tables, rules an array of tables.

    Raises:
        ConfigError: naming the section.
    """
    for section in ("contain", "notify", "routing", "respond", "incident_lab"):
        if section in raw and not isinstance(raw[section], dict):
            raise ConfigError(
                f"[{section}] must be a table, not {type(raw[section]).__name__}", path=str(path)
            )
    contain = raw.get("contain", {}).get("actions") or {}
    notify = raw.get("notify") or {}
    routing = raw.get("routing", {}).get("rules") or []
    for name, table in [("contain.actions", contain), ("notify", notify)]:
        if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
            raise ConfigError(f"[{name}] must be a table of tables", path=str(path))
    if not isinstance(routing, list) or not all(isinstance(r, dict) for r in routing):
        raise ConfigError("[[routing.rules]] must be an array of tables", path=str(path))
    return contain, notify, routing


def load_config(explicit: str | None = None) -> Config:
    """Load ``incident_lab.toml`` (``--config``, ``$INCIDENT_LAB_CONFIG`` or ./incident_lab.toml).

    Raises:
        ConfigError: the file is missing (when named), unreadable or not valid TOML,
            or a section has the wrong shape.
    """
    path = _find_config(explicit)
    if path is None:
        return Config(None, {}, {}, [], {})
    raw = _read_toml(path)
    contain, notify, routing = _sections(raw, path)
    try:
        for name, table in contain.items():
            _check_action(name, table)
        for name, table in notify.items():
            _check_channel(name, table)
        _check_respond(raw.get("respond") or {}, contain)
        _check_routing(routing)
        _check_table("incident_lab", raw.get("incident_lab") or {}, {"actor": _text()}, strict=True)
    except ConfigError as exc:
        exc.path = str(path)
        raise
    actor = (raw.get("incident_lab") or {}).get("actor")
    return Config(str(path), contain, notify, routing, raw, actor=actor)
