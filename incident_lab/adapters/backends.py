"""Containment backends: ``kubectl``, ``command`` and ``http``.

A backend turns one configured action into concrete operations, runs them, and
returns what it did plus an *undo* in template form (``${VAR}`` references left
unresolved, so the timeline never stores a secret and undo re-reads the
environment). Backends are plugins (hook ``register_containment_backends``).
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from incident_lab.adapters.config import Secrets, substitute
from incident_lab.errors import ConfigError
from incident_lab.hookspecs import hookimpl
from incident_lab.httpclient import HttpClient, HttpFailure, RetryPolicy

__all__ = ["ActionOutcome", "run_argv"]

DEFAULT_TIMEOUT = 20.0
_EXCERPT = 500


@dataclass
class ActionOutcome:
    """What a backend did.

    Attributes:
        ok: True only when every operation succeeded.
        operations: Each operation as run (masked): argv or request, exit status, output.
        undo: How to reverse it, in template form (None when not reversible).
        error: What failed, in one sentence, when ``ok`` is False.
    """

    ok: bool
    operations: list[dict[str, Any]] = field(default_factory=list)
    undo: dict[str, Any] | None = None
    error: str | None = None


def run_argv(argv: list[str], *, timeout: float, secrets: Secrets) -> dict[str, Any]:
    """Run ``argv`` (never through a shell) and describe the result, secrets masked."""
    record: dict[str, Any] = {"argv": secrets.mask(list(argv))}
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        record.update(exit_status=127, ok=False, error=f"{argv[0]}: command not found on PATH")
        return record
    except PermissionError:
        record.update(exit_status=126, ok=False, error=f"{argv[0]}: permission denied")
        return record
    except subprocess.TimeoutExpired:
        record.update(exit_status=None, ok=False, error=f"{argv[0]} timed out after {timeout:g} s")
        return record
    record.update(
        exit_status=proc.returncode,
        ok=proc.returncode == 0,
        stdout=secrets.mask(proc.stdout[-_EXCERPT:]),
        stderr=secrets.mask(proc.stderr[-_EXCERPT:]),
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        record["error"] = f"{argv[0]} exited {proc.returncode}" + (
            f": {secrets.mask(tail[-1])}" if tail else ""
        )
    return record


def send_request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: Any = None,
    timeout: float,
    secrets: Secrets,
    client: HttpClient | None = None,
) -> dict[str, Any]:
    """Send one HTTP request through the one client and describe the result, secrets masked.

    ``ok`` is True only for a complete 2xx answer. With ``client`` its retry policy
    applies (429/5xx/connection errors retried, other 4xx never, redirects never
    followed); without, one attempt is made.
    """
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
        hdrs.setdefault("Content-Type", "application/json")
    record: dict[str, Any] = {
        "request": {
            "method": method,
            "url": secrets.mask(url),
            "headers": secrets.mask(hdrs),
            "body": secrets.mask(body),
        }
    }
    own = client is None
    http = client or HttpClient(RetryPolicy(attempts=1, timeout=timeout))
    try:
        resp = http.request(method.upper(), url, headers=hdrs, content=data)
    except HttpFailure as failure:
        text = failure.body.decode("utf-8", errors="replace")
        record.update(
            status=failure.status,
            retry_after=failure.retry_after,
            ok=False,
            attempts=failure.attempts,
            body=secrets.mask(text[:_EXCERPT]),
            error=f"{method.upper()} {secrets.mask(url)} {secrets.mask(failure.reason)}",
        )
    else:
        record.update(
            status=resp.status,
            ok=True,
            attempts=resp.attempts,
            body=secrets.mask(resp.text()[:_EXCERPT]),
        )
    finally:
        if own:
            http.close()
    return record


def fill_placeholders(value: Any, variables: dict[str, str]) -> Any:
    """Fill ``{tools}``/``{incident}`` (each variable's name in braces) in every string of
    ``value``, recursing into tables and lists; other braces are left as they are."""
    if isinstance(value, str):
        for name, text in variables.items():
            value = value.replace("{" + name + "}", str(text))
        return value
    if isinstance(value, list):
        return [fill_placeholders(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: fill_placeholders(v, variables) for k, v in value.items()}
    return value


def _argv(template: Any, variables: dict[str, str], secrets: Secrets, where: str) -> list[str]:
    """Turn a command template (string or list) into argv, filling ``{name}`` placeholders."""
    if isinstance(template, str):
        parts = shlex.split(template)
    elif isinstance(template, list) and all(isinstance(p, str) for p in template):
        parts = list(template)
    else:
        raise ConfigError(f"{where}: command must be a string or a list of strings")
    resolved = substitute(parts, secrets, where=where)
    try:
        return [p.format(**variables) for p in resolved]
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"{where}: unknown placeholder {exc} in command template") from None


def _run_or_show(
    argv: list[str],
    spec: dict[str, Any],
    ctx: dict[str, Any],
    shown: list[str],
    undo: dict[str, Any] | None = None,
    done: list[dict[str, Any]] | None = None,
) -> ActionOutcome:
    """Run ``argv`` with ``spec``'s timeout (a dry run only records ``shown``), after the
    operations already ``done``; ``undo`` is kept when the command succeeds."""
    ops = list(done or [])
    if ctx["dry_run"]:
        return ActionOutcome(True, [*ops, {"argv": shown, "dry_run": True}], undo)
    timeout = float(spec.get("timeout", DEFAULT_TIMEOUT))
    op = run_argv(argv, timeout=timeout, secrets=ctx["secrets"])
    return ActionOutcome(op["ok"], [*ops, op], undo if op["ok"] else None, op.get("error"))


class CommandBackend:
    """Run a command template (e.g. ``feature_flag set AGENT_TOOLS=off``) and its undo template."""

    name = "command"
    description = "Run a configured command (no shell); undo with its undo command."

    def run(self, action: str, spec: dict[str, Any], ctx: dict[str, Any]) -> ActionOutcome:
        """Run ``spec['command']`` with ``{tools}``/``{incident}`` placeholders filled."""
        where = f"contain.actions.{action}"
        argv = _argv(spec["command"], ctx["variables"], ctx["secrets"], where)
        return _run_or_show(argv, spec, ctx, ctx["secrets"].mask(argv), self._undo(spec, ctx))

    def _undo(self, spec: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any] | None:
        if "undo_command" not in spec:
            return None
        return {
            "backend": self.name,
            "command": spec["undo_command"],
            "variables": ctx["variables"],
            "timeout": spec.get("timeout", DEFAULT_TIMEOUT),
        }

    def undo(self, undo: dict[str, Any], ctx: dict[str, Any]) -> ActionOutcome:
        """Run the recorded undo command."""
        argv = _argv(undo["command"], undo.get("variables") or {}, ctx["secrets"], "undo")
        return _run_or_show(argv, undo, ctx, ctx["secrets"].mask(argv))


class KubectlBackend:
    """Scale a deployment with ``kubectl``; the current replica count is read first for undo."""

    name = "kubectl"
    description = "kubectl scale deployment NAME --replicas=N (reads current replicas for undo)."

    def _base(self, spec: dict[str, Any], ctx: dict[str, Any], where: str) -> list[str]:
        base = [str(spec.get("kubectl", "kubectl"))]
        if spec.get("context"):
            base += ["--context", str(substitute(spec["context"], ctx["secrets"], where=where))]
        if spec.get("namespace"):
            base += ["--namespace", str(substitute(spec["namespace"], ctx["secrets"], where=where))]
        return base

    def run(self, action: str, spec: dict[str, Any], ctx: dict[str, Any]) -> ActionOutcome:
        """Read ``.spec.replicas``, then scale to ``replicas`` (default 0)."""
        where = f"contain.actions.{action}"
        deployment = str(substitute(spec["deployment"], ctx["secrets"], where=where))
        base = self._base(spec, ctx, where)
        timeout = float(spec.get("timeout", DEFAULT_TIMEOUT))
        target = int(spec.get("replicas", 0))
        read = base + ["get", "deployment", deployment, "-o", "jsonpath={.spec.replicas}"]
        scale = base + ["scale", f"deployment/{deployment}", f"--replicas={target}"]
        op_read = run_argv(read, timeout=timeout, secrets=ctx["secrets"])
        if not op_read["ok"]:
            return ActionOutcome(
                False, [op_read], None, "could not read current replicas: " + op_read["error"]
            )
        try:
            current = int(str(op_read.get("stdout", "")).strip() or "0")
        except ValueError:
            return ActionOutcome(
                False,
                [op_read],
                None,
                f"unexpected replica count {op_read.get('stdout')!r} from kubectl",
            )
        undo = {
            "backend": self.name,
            "argv": base + ["scale", f"deployment/{deployment}", f"--replicas={current}"],
            "timeout": timeout,
            "previous_replicas": current,
        }
        return _run_or_show(scale, spec, ctx, scale, undo, done=[op_read])

    def undo(self, undo: dict[str, Any], ctx: dict[str, Any]) -> ActionOutcome:
        """Scale back to the recorded previous replica count."""
        argv = [str(a) for a in undo["argv"]]
        return _run_or_show(argv, undo, ctx, argv)


class HttpBackend:
    """Call a flag service or control endpoint; undo with the configured undo request."""

    name = "http"
    description = (
        "An HTTP request to a flag/control endpoint (headers from env vars), with an undo request."
    )

    def _request(
        self, req: dict[str, Any], ctx: dict[str, Any], where: str, timeout: float
    ) -> dict[str, Any]:
        if not req.get("url"):
            raise ConfigError(f"{where}: backend 'http' needs a 'url'")
        resolved = substitute(req, ctx["secrets"], where=where)
        body = fill_placeholders(resolved.get("body"), ctx["variables"])
        if ctx["dry_run"]:
            return {
                "request": ctx["secrets"].mask(
                    {
                        "method": resolved.get("method", "POST"),
                        "url": resolved["url"],
                        "headers": resolved.get("headers") or {},
                        "body": body,
                    }
                ),
                "dry_run": True,
                "ok": True,
            }
        return send_request(
            str(resolved.get("method", "POST")),
            str(resolved["url"]),
            headers={str(k): str(v) for k, v in (resolved.get("headers") or {}).items()},
            body=body,
            timeout=timeout,
            secrets=ctx["secrets"],
        )

    def run(self, action: str, spec: dict[str, Any], ctx: dict[str, Any]) -> ActionOutcome:
        """Send the configured request; 2xx is success."""
        where = f"contain.actions.{action}"
        timeout = float(spec.get("timeout", DEFAULT_TIMEOUT))
        op = self._request(spec, ctx, where, timeout)
        undo = None
        if isinstance(spec.get("undo"), dict):
            undo = {
                "backend": self.name,
                "request": spec["undo"],
                "variables": ctx["variables"],
                "timeout": timeout,
            }
        return ActionOutcome(op["ok"], [op], undo if op["ok"] else None, op.get("error"))

    def undo(self, undo: dict[str, Any], ctx: dict[str, Any]) -> ActionOutcome:
        """Send the recorded undo request (templates re-resolved from the environment)."""
        sub_ctx = dict(ctx, variables=undo.get("variables") or {})
        op = self._request(
            undo["request"], sub_ctx, "undo", float(undo.get("timeout", DEFAULT_TIMEOUT))
        )
        return ActionOutcome(op["ok"], [op], None, op.get("error"))


BUILTIN_BACKENDS: tuple[Callable[[], Any], ...] = (KubectlBackend, CommandBackend, HttpBackend)


@hookimpl
def register_containment_backends() -> list[Any]:
    """Register the built-in containment backends."""
    return [cls() for cls in BUILTIN_BACKENDS]
