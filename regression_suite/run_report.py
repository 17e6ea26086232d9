"""The end of a gate run: report items → verdict (``regression_suite.gate``) → report files.

Used by the pytest plugin (``--gate-report-dir``) and by ``regression_suite run``,
so both produce the same report for the same items.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from incident_lab.scenarios.io import write_text_atomic

if TYPE_CHECKING:
    from regression_suite.pytest_plugin import GateState

__all__ = ["RECORD_FILE", "finish", "item_order", "write_trajectories"]

#: Produced trajectories (``--record``), one JSON object per line.
RECORD_FILE = "trajectories.jsonl"


def item_order(item: dict[str, Any]) -> tuple[str, int]:
    """Sort key of report items: by case (id without ``#k``), then repeat number."""
    case_id, repeat = str(item["id"]), int(item.get("repeat") or 1)
    suffix = f"#{repeat}"
    return (case_id[: -len(suffix)] if case_id.endswith(suffix) else case_id), repeat


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_trajectories(
    path: Path, items: list[dict[str, Any]], trajectories: dict[str, Any]
) -> Path:
    """Write the produced trajectories in item order, each tagged with its item.

    The file is readable by ``incident_lab snapshot`` (native JSONL): each line is
    a trajectory with an extra ``gate`` field ``{"item_id", "outcome"}``.
    """
    lines = []
    for item in items:
        traj = trajectories.get(item["id"])
        if traj is None:
            continue
        tagged = dict(traj)
        tagged["gate"] = {"item_id": item["id"], "outcome": item["outcome"]}
        lines.append(json.dumps(tagged, ensure_ascii=False, default=str))
    write_text_atomic(path, "\n".join(lines) + ("\n" if lines else ""))
    return path


def _suite_for(state: GateState) -> dict[str, Any]:
    if state.suite is not None:
        return state.suite
    return {
        "name": None,
        "path": str(state.scenarios_dir),
        "description": "scenario files collected by pytest",
        "thresholds": None,
        "variants": "files",
        "repeats": state.repeats(),
    }


def finish(
    state: GateState, report_dir: Path | None, *, extra_options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Compute the gate report from the session's items; write it when ``report_dir`` is set.

    Returns:
        The ``gate_report/v1`` dict (also stored on ``state.report``).

    Raises:
        ConfigError / InputError / UsageError: invalid thresholds, an unreadable
            baseline, a bad warn exit code (rendered by the caller).
    """
    from regression_suite.gate import finalize

    config = state.config
    items = sorted(state.items, key=item_order)
    suite = _suite_for(state)
    target = state.get_target()
    described = dict(target.describe())
    described.setdefault("spec", state.target_spec)
    baseline = config.getoption("gate_baseline") or suite.get("baseline")
    finished = time.time()
    options: dict[str, Any] = {
        "warn_exit_code": config.getoption("gate_warn_exit_code"),
        "baseline": baseline,
        "shard": config.getoption("gate_shard"),
        "repeats": state.repeats(),
        "concurrency": config.getoption("gate_concurrency"),
        "keyword": config.option.keyword or None,
        "started_at": _iso(state.started_at),
        "finished_at": _iso(finished),
        "wall_time_s": round(finished - state.started_at, 3),
    }
    options.update(extra_options or {})
    report = finalize(items, suite=suite, target=described, options=options)
    state.report = report
    if report_dir is not None:
        from regression_suite.reports import write_reports

        paths = write_reports(report, report_dir)
        if config.getoption("gate_record"):
            paths.append(write_trajectories(report_dir / RECORD_FILE, items, state.trajectories))
        junit = getattr(config.option, "xmlpath", None)
        if junit:
            junit_path = Path(junit)
            if junit_path.resolve().parent == report_dir.resolve():
                junit_path = report_dir / junit_path.name
            paths.append(junit_path)
        state.report_paths = paths
    return report
