"""The ``http://`` / ``https://`` target: an agent endpoint speaking JSON.

Contract: the runner POSTs the replay input (``docs/formats.md``) as the JSON body;
the endpoint answers ``200`` with the trajectory it produced, either bare or as
``{"trajectory": {...}}``. A partial trajectory (just ``steps``) is completed with
``schema_version`` and ``session_id``. Headers sent: ``Content-Type:
application/json``, ``X-Regression-Suite-Scenario: <scenario id>`` and, when
``REGRESSION_SUITE_HTTP_TOKEN`` is set, ``Authorization: Bearer <token>``.
Timeouts and retries: :mod:`regression_suite.targets.transport`.
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Any

from incident_lab.errors import UsageError
from regression_suite.targets.base import BaseTarget, TargetKind, complete_trajectory
from regression_suite.targets.transport import JsonPoster

TOKEN_ENV = "REGRESSION_SUITE_HTTP_TOKEN"


def _check_url(spec: str, url: str) -> None:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise UsageError(
            f"target {spec!r} is not a valid http(s) URL",
            hint="e.g. --target http://127.0.0.1:8080/replay",
        )


class HttpAgentTarget(BaseTarget):
    """POST the replay input to an agent endpoint; the JSON answer is the trajectory.

    Args:
        spec: The URL (``http://host:port/path`` or ``https://...``).
    """

    kind = "http"
    io_bound = True

    def __init__(self, spec: str) -> None:
        super().__init__(spec)
        _check_url(spec, spec)
        token = os.environ.get(TOKEN_ENV)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.poster = JsonPoster(spec, spec, headers)

    @staticmethod
    def _headers_for(replay: dict[str, Any]) -> dict[str, str]:
        return {"X-Regression-Suite-Scenario": str(replay.get("scenario_id", ""))}

    def run(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        """POST ``replay`` and return the trajectory answered (blocking)."""
        answer = self.poster.post(replay, self._headers_for(replay))
        return self.observe(complete_trajectory(answer, replay, self.name))

    async def arun(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        """POST ``replay`` and return the trajectory answered (asyncio)."""
        answer = await self.poster.apost(replay, self._headers_for(replay))
        return self.observe(complete_trajectory(answer, replay, self.name))

    def close(self) -> None:
        """Release the connection thread pool."""
        self.poster.close()


KINDS = [
    TargetKind(
        "http",
        "An agent endpoint (http:// or https://): POST the replay input, answer a trajectory.",
        HttpAgentTarget,
        aliases=("https",),
    )
]
