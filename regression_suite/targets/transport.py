"""POST JSON to an endpoint with a timeout and retries, stdlib only (``urllib``).

Used by the ``http`` and ``openai`` targets. Connection errors, timeouts and 5xx
answers are retried with exponential backoff (honouring ``Retry-After``); after the
last attempt they raise :class:`TargetUnreachable`. A 4xx answer is not retried: it
raises :class:`TargetError` with the status and an excerpt of the body.

The async variant runs each attempt in a thread pool owned by the
:class:`JsonPoster` (size ``REGRESSION_SUITE_HTTP_MAX_CONNECTIONS``, default 64) and
sleeps between attempts with ``asyncio.sleep``, so many replays run concurrently
without blocking the event loop.

Environment:
    ``REGRESSION_SUITE_HTTP_TIMEOUT``: seconds per attempt (default 30).
    ``REGRESSION_SUITE_HTTP_RETRIES``: attempts in all (default 3).
    ``REGRESSION_SUITE_HTTP_BACKOFF``: first backoff in seconds (default 0.5, doubling).
    ``REGRESSION_SUITE_HTTP_MAX_CONNECTIONS``: concurrent requests per target (default 64).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from incident_lab.errors import UsageError
from regression_suite.targets.base import TargetError, TargetUnreachable

__all__ = ["HttpSettings", "JsonPoster", "env_float", "env_int"]

MAX_RETRY_AFTER = 60.0
BODY_EXCERPT = 300


def env_float(name: str, default: float) -> float:
    """Read a positive float from the environment, or ``default`` when unset.

    Raises:
        UsageError: the variable is set but is not a positive number.
    """
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise UsageError(f"{name}={raw!r} must be greater than 0")
    return value


def env_int(name: str, default: int) -> int:
    """Read a positive integer from the environment, or ``default`` when unset.

    Raises:
        UsageError: the variable is set but is not a positive integer.
    """
    value = env_float(name, float(default))
    if value != int(value):
        raise UsageError(f"{name}={os.environ.get(name)!r} must be a whole number")
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


class _Retry(Exception):
    """One failed attempt that may be retried."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """Parse ``Retry-After`` (seconds or an HTTP date), capped at a minute."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, MAX_RETRY_AFTER))


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
        self._pool: ThreadPoolExecutor | None = None

    def _attempt(self, body: bytes, headers: dict[str, str]) -> Any:
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                detail = _excerpt(exc.read() or b"")
            if exc.code >= 500 or exc.code == 429:
                raise _Retry(
                    f"HTTP {exc.code} ({detail or exc.reason})",
                    _retry_after(exc.headers.get("Retry-After") if exc.headers else None),
                ) from None
            raise TargetError(
                f"target {self.target} answered HTTP {exc.code} at {self.url}: {detail or exc.reason}",
                hint="a 4xx is not retried: check the URL, the token and the request contract",
            ) from None
        except TimeoutError:
            raise _Retry(f"timed out after {self.settings.timeout:g} s") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise _Retry(f"timed out after {self.settings.timeout:g} s") from None
            raise _Retry(f"cannot connect ({reason})") from None
        except (ConnectionError, OSError) as exc:
            raise _Retry(f"connection failed ({exc})") from None
        try:
            return json.loads(raw)
        except ValueError:
            raise TargetError(
                f"target {self.target} answered with a body that is not JSON: {_excerpt(raw)!r}",
                hint="the endpoint must answer application/json",
            ) from None

    def _delay(self, attempt: int, retry: _Retry) -> float:
        if retry.retry_after is not None:
            return retry.retry_after
        return float(self.settings.backoff * (2**attempt))

    def _unreachable(self, retry: _Retry) -> TargetUnreachable:
        return TargetUnreachable(
            f"target {self.target} unreachable at {self.url}: {retry.reason} "
            f"(after {self.settings.attempts} attempt{'s' if self.settings.attempts != 1 else ''})",
            hint="is the endpoint up? REGRESSION_SUITE_HTTP_TIMEOUT / _RETRIES tune the policy",
        )

    def _prepare(
        self, payload: Any, headers: dict[str, str] | None
    ) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return body, {**self.headers, **(headers or {})}

    def post(self, payload: Any, headers: dict[str, str] | None = None) -> Any:
        """POST ``payload`` as JSON and return the parsed JSON answer (blocking).

        Args:
            payload: A JSON-serialisable document.
            headers: Extra headers for this request only.
        """
        body, all_headers = self._prepare(payload, headers)
        for attempt in range(self.settings.attempts):
            try:
                return self._attempt(body, all_headers)
            except _Retry as retry:
                if attempt + 1 >= self.settings.attempts:
                    raise self._unreachable(retry) from None
                time.sleep(self._delay(attempt, retry))
        raise AssertionError("unreachable")  # pragma: no cover

    async def apost(self, payload: Any, headers: dict[str, str] | None = None) -> Any:
        """POST ``payload`` as JSON without blocking the event loop (see :meth:`post`)."""
        body, all_headers = self._prepare(payload, headers)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.settings.max_connections, thread_name_prefix="regression-http"
            )
        loop = asyncio.get_running_loop()
        for attempt in range(self.settings.attempts):
            try:
                return await loop.run_in_executor(self._pool, self._attempt, body, all_headers)
            except _Retry as retry:
                if attempt + 1 >= self.settings.attempts:
                    raise self._unreachable(retry) from None
                await asyncio.sleep(self._delay(attempt, retry))
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Shut the thread pool down."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
