"""``incident_lab.toml``: where containment actions and notification channels are configured.

Values may reference environment variables as ``${NAME}``; secrets are only ever
read from the environment, and every substituted value is remembered so that
:class:`Secrets` can mask it in logs, the timeline and error messages.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_lab.errors import ConfigError

__all__ = ["CONFIG_ENV", "Config", "Secrets", "load_config", "substitute"]

CONFIG_ENV = "INCIDENT_LAB_CONFIG"
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


_NUMBERS = ("timeout", "attempts", "max_wait", "replicas")
_STRINGS = (
    "backend",
    "url",
    "method",
    "deployment",
    "namespace",
    "context",
    "kubectl",
    "routing_key",
    "project",
    "user",
    "token",
    "issue_type",
    "source",
    "component",
    "artifacts_base_url",
)
_TABLES = ("headers", "undo")


def _check_types(where: str, table: dict[str, Any], path: str) -> None:
    """Refuse values of the wrong type with the key named (exit 3), before anything runs."""
    for key, value in table.items():
        if key in _NUMBERS and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ConfigError(f"[{where}] {key} must be a number, not {value!r}", path=path)
        if key in _STRINGS and not isinstance(value, str):
            raise ConfigError(f"[{where}] {key} must be a string, not {value!r}", path=path)
        if key in _TABLES and not isinstance(value, dict):
            raise ConfigError(f"[{where}] {key} must be a table, not {value!r}", path=path)
        if key in ("command", "undo_command") and not (
            isinstance(value, str)
            or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        ):
            raise ConfigError(f"[{where}] {key} must be a string or a list of strings", path=path)


def _find_config(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    candidate = Path("incident_lab.toml")
    return candidate if candidate.exists() else None


def load_config(explicit: str | None = None) -> Config:
    """Load ``incident_lab.toml`` (``--config``, ``$INCIDENT_LAB_CONFIG`` or ./incident_lab.toml).

    Raises:
        ConfigError: the file is missing (when named), unreadable or not valid TOML,
            or a section has the wrong shape.
    """
    path = _find_config(explicit)
    if path is None:
        return Config(None, {}, {}, [], {})
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError("no such config file", path=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("config is not valid UTF-8", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror}", path=str(path)) from None
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
    for where, table in [
        *(("contain.actions." + k, v) for k, v in contain.items()),
        *(("notify." + k, v) for k, v in notify.items()),
    ]:
        _check_types(where, table, str(path))
    actor = (raw.get("incident_lab") or {}).get("actor")
    return Config(str(path), contain, notify, routing, raw, actor=actor)
