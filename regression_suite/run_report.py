"""The end of a gate run: report items → verdict (``regression_suite.gate``) → report files.

Used by the pytest plugin (``--gate-report-dir``) and by ``regression_suite run``,
so both produce the same report for the same items.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from incident_lab.atomic import write_text_atomic

if TYPE_CHECKING:
    from regression_suite.plugin_state import GateState


#: Produced trajectories (``--record``), one JSON object per line.
RECORD_FILE = "trajectories.jsonl"


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _tagged_line(item: dict[str, Any], trajectory: dict[str, Any]) -> str:
    tagged = dict(trajectory)
    tagged["gate"] = {"item_id": item["id"], "outcome": item["outcome"]}
    return json.dumps(tagged, ensure_ascii=False, default=str) + "\n"


class TrajectorySpool:
    """Produced trajectories (``--record``) kept on disk until the report orders them.

    Each trajectory is written once, as its final tagged JSON line, to an anonymous
    temporary file as its item reports; memory holds only an offset per item, so
    recording a 10,000-case run does not hold 10,000 trajectories. The file is
    closed by :meth:`close`, or when the spool is garbage-collected.
    """

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._where: dict[str, tuple[int, int]] = {}

    def add(self, item: dict[str, Any], trajectory: dict[str, Any]) -> None:
        """Spool ``trajectory``, tagged with its report ``item``."""
        data = _tagged_line(item, trajectory).encode("utf-8")
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="gate-trajectories-")  # noqa: SIM115 (closed by close() or the finalizer)
            weakref.finalize(self, self._file.close)
        offset = self._file.seek(0, os.SEEK_END)
        self._file.write(data)
        self._where[str(item["id"])] = (offset, len(data))

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._where

    def line(self, item_id: str) -> str | None:
        """The tagged JSON line of ``item_id`` (with its newline), or ``None``."""
        where = self._where.get(item_id)
        if where is None or self._file is None:
            return None
        self._file.seek(where[0])
        return self._file.read(where[1]).decode("utf-8")

    def close(self) -> None:
        """Delete the spool file (idempotent)."""
        if self._file is not None:
            self._file.close()


def write_trajectories(
    path: Path,
    items: Iterable[dict[str, Any]],
    trajectories: TrajectorySpool | Mapping[str, dict[str, Any]],
) -> Path:
    """Write the produced trajectories in item order, each tagged with its item.

    The file is readable by ``incident_lab snapshot`` (native JSONL): each line is
    a trajectory with an extra ``gate`` field ``{"item_id", "outcome"}``. Written
    line by line (from a :class:`TrajectorySpool` or a mapping of id → trajectory).
    """

    def lines() -> Iterator[str]:
        for item in items:
            if isinstance(trajectories, TrajectorySpool):
                line = trajectories.line(str(item["id"]))
            else:
                traj = trajectories.get(item["id"])
                line = None if traj is None else _tagged_line(item, traj)
            if line is not None:
                yield line

    write_text_atomic(path, lines())
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
    state: GateState,
    report_dir: Path | None,
    *,
    extra_options: dict[str, Any] | None = None,
    skip_reporters: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Compute the gate report from the session's items; write it when ``report_dir`` is set.

    Streamed (:func:`regression_suite.gate.finalize_stream`): the items come back
    from the session's on-disk spool in report order, and the report's ``reasons``,
    ``cases`` and ``items`` stay on disk while the reporters write their files.

    Returns:
        The ``gate_report/v1`` dict (also stored on ``state.report``).

    Raises:
        ConfigError / InputError / UsageError: invalid thresholds, an unreadable
            baseline, a bad warn exit code (rendered by the caller).
    """
    from regression_suite.gate import finalize_stream

    config = state.config
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
    report = finalize_stream(state.items, suite=suite, target=described, options=options)
    state.report = report
    if report_dir is not None:
        from regression_suite.reports import report_write_error, write_reports

        paths = write_reports(report, report_dir, skip=skip_reporters)
        if config.getoption("gate_record"):
            try:
                paths.append(
                    write_trajectories(
                        report_dir / RECORD_FILE, report["items"], state.trajectories
                    )
                )
            except OSError as exc:
                raise report_write_error(exc, report_dir / RECORD_FILE) from None
            state.trajectories.close()
        state.report_paths = paths
    return report
