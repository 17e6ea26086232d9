"""The ``recorded`` target: the scenario's own recording (the reproduction check).

It returns ``scenario["recording"]`` unchanged. A scenario's expectations must FAIL
against it: if they pass, they do not capture the incident.
"""

from __future__ import annotations

import copy
from typing import Any

from incident_lab.errors import UsageError
from regression_suite.targets.base import BaseTarget, TargetError, TargetKind


class RecordedTarget(BaseTarget):
    """Replay nothing: answer the recorded incident trajectory."""

    kind = "recorded"
    runs_agent = False  # replays the recording: no agent takes the documents

    def __init__(self, spec: str) -> None:
        if spec != "recorded":
            raise UsageError(
                f"target {spec!r}: the recorded target takes no argument; use 'recorded'"
            )
        super().__init__(spec)

    def run(self, replay: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any]:
        """Return a copy of the scenario's recording (unchanged).

        Raises:
            TargetError: the scenario has no recording.
        """
        recording = scenario.get("recording") if isinstance(scenario, dict) else None
        if not isinstance(recording, dict):
            raise TargetError(
                f"scenario {replay.get('scenario_id') or scenario.get('id')!r} has no recording "
                "to replay with the recorded target",
                hint="add the recorded trajectory under 'recording', or choose another --target",
            )
        # not observe(): the recording's model and policy are the incident's, not a
        # target's; the report says "unknown" rather than label a release with them
        return copy.deepcopy(recording)

    def describe(self) -> dict[str, Any]:
        """Describe the target: version ``recording``; model and policy unknown (``None``)."""
        info = super().describe()
        info["version"] = "recording"
        return info


KINDS = [
    TargetKind("recorded", "The scenario's own recording (the reproduction check).", RecordedTarget)
]
