"""POST JSON to a target endpoint through the one HTTP client (:mod:`incident_lab.httpclient`).

Used by the ``http`` and ``openai`` targets. Connection errors, timeouts, cut answers,
429 and 5xx are retried with exponential backoff (honouring ``Retry-After``); after
the last attempt they raise :class:`TargetUnreachable`. Any other 4xx (and a redirect,
which is never followed) is not retried: it raises :class:`TargetError` with the
status and an excerpt of the body.

The async variant uses httpx's transports (pools of up to
``REGRESSION_SUITE_HTTP_MAX_CONNECTIONS`` connections per event loop in all) and sleeps
between attempts with ``asyncio.sleep``, so many replays run concurrently without
threads.

Environment:
    ``REGRESSION_SUITE_HTTP_TIMEOUT``: seconds per attempt (default 30).
    ``REGRESSION_SUITE_HTTP_RETRIES``: attempts in all (default 3).
    ``REGRESSION_SUITE_HTTP_BACKOFF``: first backoff in seconds (default 0.5, doubling).
    ``REGRESSION_SUITE_HTTP_MAX_CONNECTIONS``: concurrent requests per target (default 64).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any

from incident_lab.errors import UsageError
from incident_lab.httpclient import HttpClient, HttpFailure, HttpResponse, RetryPolicy
from regression_suite.targets.base import TargetError, TargetUnreachable

MAX_RETRY_AFTER = 60.0
BODY_EXCERPT = 300


def env_float(name: str, default: float) -> float:
    """Read a positive, finite float from the environment, or ``default`` when unset.

    Raises:
        UsageError: the variable is set but is not a positive finite number.
    """
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"{name}={raw!r} must be a finite number greater than 0")
    return value


def env_int(name: str, default: int) -> int:
    """Read a positive integer (at most 1,000,000) from the environment, or ``default``.

    Raises:
        UsageError: the variable is set but is not a positive whole number in range.
    """
    value = env_float(name, float(default))
    if value != int(value):
        raise UsageError(f"{name}={os.environ.get(name)!r} must be a whole number")
    if value > 1_000_000:
        raise UsageError(f"{name}={os.environ.get(name)!r} is out of range (at most 1000000)")
    return int(value)


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Timeout and retry policy of one target."""

    timeout: float = 30.0
    attempts: int = 3
    backoff: float = 0.5
    max_connections: int = 64

    @classmethod
    def from_env(cls) -> HttpSettings:
        """Read the ``REGRESSION_SUITE_HTTP_*`` variables."""
        return cls(
            timeout=env_float("REGRESSION_SUITE_HTTP_TIMEOUT", 30.0),
            attempts=env_int("REGRESSION_SUITE_HTTP_RETRIES", 3),
            backoff=env_float("REGRESSION_SUITE_HTTP_BACKOFF", 0.5),
            max_connections=env_int("REGRESSION_SUITE_HTTP_MAX_CONNECTIONS", 64),
        )

    def policy(self) -> RetryPolicy:
        """The client's retry policy for these settings."""
        return RetryPolicy(
            attempts=self.attempts,
            timeout=self.timeout,
            backoff=self.backoff,
            max_wait=MAX_RETRY_AFTER,
        )


def _excerpt(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    text = " ".join(text.split())
    return text[:BODY_EXCERPT] + ("…" if len(text) > BODY_EXCERPT else "")


class JsonPoster:
    """POSTs JSON documents to one URL and returns the parsed JSON answers.

    Args:
        url: The endpoint.
        target: The target spec, named in error messages.
        headers: Extra request headers (authorization ...).
        settings: Timeout and retry policy; read from the environment when None.
    """

    def __init__(
        self,
        url: str,
        target: str,
        headers: dict[str, str] | None = None,
        settings: HttpSettings | None = None,
    ) -> None:
        self.url = url
        self.target = target
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self.headers.update(headers or {})
        self.settings = settings or HttpSettings.from_env()
        self.client = HttpClient(
            self.settings.policy(), max_connections=self.settings.max_connections
        )

    def _prepare(
        self, payload: Any, headers: dict[str, str] | None
    ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return body, {**self.headers, **(headers or {})}

    def _error(self, failure: HttpFailure) -> Exception:
        detail = _excerpt(failure.body)
        if failure.retryable:
            n = failure.attempts
            return TargetUnreachable(
                f"target {self.target} unreachable at {self.url}: "
                f"{failure.reason}{f' ({detail})' if detail else ''} "
                f"(after {n} attempt{'s' if n != 1 else ''})",
                hint="is the endpoint up? REGRESSION_SUITE_HTTP_TIMEOUT / _RETRIES tune the policy",
            )
        return TargetError(
            f"target {self.target} {failure.reason} at {self.url}"
            + (f": {detail}" if detail else ""),
            hint="a 4xx or a redirect is not retried: check the URL, the token and the request contract",
        )

    def _parse(self, response: HttpResponse) -> Any:
        try:
            return json.loads(response.body)
        except ValueError:
            raise TargetError(
                f"target {self.target} answered with a body that is not JSON: "
                f"{_excerpt(response.body)!r}",
                hint="the endpoint must answer application/json",
            ) from None

    def post(self, payload: Any, headers: dict[str, str] | None = None) -> Any:
        """POST ``payload`` as JSON and return the parsed JSON answer (blocking).

        Args:
            payload: A JSON-serialisable document.
            headers: Extra headers for this request only.
        """
        body, all_headers = self._prepare(payload, headers)
        try:
            response = self.client.request("POST", self.url, headers=all_headers, content=body)
        except HttpFailure as failure:
            raise self._error(failure) from None
        return self._parse(response)

    async def apost(self, payload: Any, headers: dict[str, str] | None = None) -> Any:
        """POST ``payload`` as JSON without blocking the event loop (see :meth:`post`)."""
        body, all_headers = self._prepare(payload, headers)
        try:
            response = await self.client.arequest(
                "POST", self.url, headers=all_headers, content=body
            )
        except HttpFailure as failure:
            raise self._error(failure) from None
        return self._parse(response)

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()
