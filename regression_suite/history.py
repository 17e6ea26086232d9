"""Gate history: every recorded ``report.json`` in a local SQLite store, and slow-erosion detection.

``regression_suite run --record`` calls :func:`record_report`; ``regression_suite
history`` calls :func:`query`; the gate's ``report.html`` draws :func:`trend_svg`.

A **release** is what the gate ran against: ``versions.target`` of the report
(falling back to the models and policies), in the order first recorded. Several
runs of one release add up. Per failure mode and release the store keeps:

- scenario runs and passes (the original incidents): the **pass rate**;
- variant runs and bypasses (a variant run that failed): the **bypass rate**.

**Erosion** is a decline of the pass rate (or a rise of the bypass rate) over the
last N releases that is statistically significant even if no single step is: the
Cochran-Armitage test for trend in proportions, one-sided, at ``alpha`` (default
0.05). It is the score test of the slope in a logistic regression of pass/fail on
release index, so it pools every run of every release instead of comparing
neighbours: six releases at 99%, 98.5%, 98%, ... with 400 runs each show no
significant step, yet a very significant trend. The Mann-Kendall test on the rates
is reported beside it as a distribution-free check of direction (it uses ranks
only, so it needs about five releases to say anything).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from incident_lab.errors import InputError, SchemaError
from regression_suite.spool import Spool

__all__ = ["record_report"]

#: Default store, relative to the current directory (``$REGRESSION_SUITE_HISTORY`` overrides).
DEFAULT_DB = ".regression_suite/history.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    suite TEXT NOT NULL,
    release TEXT NOT NULL,
    started_at TEXT,
    recorded_at TEXT NOT NULL,
    verdict TEXT NOT NULL,
    exit_code INTEGER,
    target TEXT,
    models TEXT,
    policies TEXT,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS mode_stats (
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    failure_mode TEXT NOT NULL,
    scenario_runs INTEGER NOT NULL,
    scenario_passed INTEGER NOT NULL,
    variant_runs INTEGER NOT NULL,
    variant_bypasses INTEGER NOT NULL,
    PRIMARY KEY (run, failure_mode)
);
CREATE INDEX IF NOT EXISTS runs_suite ON runs(suite, started_at);
"""
ALL_MODES = "(all)"
#: Fewer releases than this make a step, not a trend: the baseline comparison catches steps.
MIN_RELEASES = 3


def default_db() -> Path:
    """``$REGRESSION_SUITE_HISTORY`` or ``./.regression_suite/history.sqlite``."""
    return Path(os.environ.get("REGRESSION_SUITE_HISTORY") or DEFAULT_DB)


@contextmanager
def _connect(db: Path, *, create: bool) -> Iterator[sqlite3.Connection]:
    if not create and not db.is_file():
        raise InputError(
            "no gate history here",
            path=str(db),
            hint="record runs with 'regression_suite run --record' (or pass --db)",
        )
    try:
        if create:
            db.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(db, timeout=30)) as conn:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.executescript(_SCHEMA) if create else conn.execute("SELECT 1 FROM runs LIMIT 1")
            yield conn
    except sqlite3.DatabaseError as exc:
        raise InputError(f"not a gate history database: {exc}", path=str(db)) from None
    except OSError as exc:
        raise InputError(f"cannot open the history: {exc.strerror}", path=str(db)) from None


def _release(report: dict[str, Any]) -> str:
    versions = report.get("versions") or {}
    if versions.get("target"):
        return str(versions["target"])
    parts = list(versions.get("models") or []) + list(versions.get("policies") or [])
    return " ".join(str(p) for p in parts) or str(
        (report.get("target") or {}).get("spec") or "unknown"
    )


def _mode_stats(items: Iterable[dict[str, Any]]) -> dict[str, list[int]]:
    """Per failure mode: [scenario runs, scenario passes, variant runs, variant bypasses]."""
    stats: dict[str, list[int]] = {}
    for item in items:
        outcome = item.get("outcome")
        if outcome not in ("passed", "failed"):
            continue  # an error is neither a pass nor a bypass
        mode = str(item.get("failure_mode") or "unknown")
        row = stats.setdefault(mode, [0, 0, 0, 0])
        if item.get("variant") or item.get("parent_id"):
            row[2] += 1
            row[3] += outcome == "failed"
        else:
            row[0] += 1
            row[1] += outcome == "passed"
    return stats


def record_report(
    report: dict[str, Any], db: Path | None = None, *, release: str | None = None
) -> int:
    """Record one gate report in the history; recording the same run twice is a no-op.

    Args:
        report: A ``gate_report/v1`` dict (``report.json``).
        db: The SQLite file (created if missing); default :func:`default_db`.
        release: Release label; default ``versions.target`` of the report.

    Returns:
        The run's row id in the store.

    Raises:
        SchemaError: the report lacks ``verdict``, ``run.id`` or ``items``.
        InputError: the database cannot be opened or is not a history store.
    """
    from incident_lab.trajectory import utc_now_iso

    run = report.get("run") if isinstance(report, dict) else None
    if not isinstance(run, dict) or not run.get("id") or "verdict" not in report:
        raise SchemaError("not a gate report: missing 'run.id' or 'verdict'")
    items = report.get("items")
    if not isinstance(items, list | Spool):
        raise SchemaError("not a gate report: 'items' is not a list")
    path = Path(db) if db is not None else default_db()
    versions = report.get("versions") or {}
    with _connect(path, create=True) as conn, conn:
        found = conn.execute("SELECT id FROM runs WHERE run_id = ?", (str(run["id"]),)).fetchone()
        if found:
            return int(found[0])
        cur = conn.execute(
            "INSERT INTO runs (run_id, suite, release, started_at, recorded_at, verdict, exit_code,"
            " target, models, policies, summary) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                str(run["id"]),
                str((report.get("suite") or {}).get("name") or "(files)"),
                release or _release(report),
                run.get("started_at"),
                utc_now_iso(),
                str(report["verdict"]),
                report.get("exit_code"),
                str((report.get("target") or {}).get("spec") or ""),
                json.dumps(versions.get("models") or []),
                json.dumps(versions.get("policies") or []),
                json.dumps(report.get("summary") or {}),
            ),
        )
        run_pk = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO mode_stats VALUES (?,?,?,?,?,?)",
            [(run_pk, mode, *row) for mode, row in sorted(_mode_stats(items).items())],
        )
    return run_pk


def check_db(db: Path) -> None:
    """Open (creating if needed) the history store, so a bad ``--db`` fails before a gate run.

    Raises:
        InputError: the path is not a usable gate history database.
    """
    with _connect(db, create=True):
        pass


# -- statistics ------------------------------------------------------------------------


def _norm_sf(z: float) -> float:
    """Upper tail of the standard normal distribution."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def cochran_armitage(successes: list[int], totals: list[int]) -> dict[str, Any]:
    """Cochran-Armitage test for a trend in proportions over ordered groups (scores 0, 1, ...).

    Returns:
        ``{"z", "p_decreasing", "p_increasing"}``; ``z`` is None (p-values 1.0) when
        the test is undefined (fewer than two groups with runs, or no variation).
    """
    rows = [(i, s, n) for i, (s, n) in enumerate(zip(successes, totals, strict=True)) if n > 0]
    big_n = sum(n for _, _, n in rows)
    if len(rows) < 2 or big_n == 0:
        return {"z": None, "p_decreasing": 1.0, "p_increasing": 1.0}
    p = sum(s for _, s, _ in rows) / big_n
    t = sum(i * (s - n * p) for i, s, n in rows)
    mean_x = sum(i * n for i, _, n in rows) / big_n
    var = p * (1 - p) * sum(n * (i - mean_x) ** 2 for i, _, n in rows)
    if var <= 0:
        return {"z": None, "p_decreasing": 1.0, "p_increasing": 1.0}
    z = t / math.sqrt(var)
    return {"z": z, "p_decreasing": _norm_sf(-z), "p_increasing": _norm_sf(z)}


def mann_kendall(values: list[float]) -> dict[str, Any]:
    """Mann-Kendall trend test (normal approximation with tie and continuity corrections).

    Returns:
        ``{"s", "tau", "p_decreasing", "p_increasing"}``.
    """
    n = len(values)
    s = sum(
        (values[j] > values[i]) - (values[j] < values[i])
        for i in range(n - 1)
        for j in range(i + 1, n)
    )
    ties: dict[float, int] = {}
    for v in values:
        ties[v] = ties.get(v, 0) + 1
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties.values())) / 18
    pairs = n * (n - 1) / 2
    if var <= 0:
        return {"s": s, "tau": 0.0, "p_decreasing": 1.0, "p_increasing": 1.0}
    z = (s - 1) / math.sqrt(var) if s > 0 else (s + 1) / math.sqrt(var) if s < 0 else 0.0
    return {
        "s": s,
        "tau": s / pairs if pairs else 0.0,
        "p_decreasing": _norm_sf(-z),
        "p_increasing": _norm_sf(z),
    }


# -- queries ------------------------------------------------------------------------


#: The counts ``mode_stats`` keeps per run and failure mode, in column order.
_COUNTS = ("scenario_runs", "scenario_passed", "variant_runs", "variant_bypasses")


def _series(conn: sqlite3.Connection, suite: str | None) -> dict[str, list[dict[str, Any]]]:
    """Per failure mode (and ``(all)``), one point per release, in first-recorded order."""
    where, args = ("WHERE r.suite = ?", [suite]) if suite else ("", [])
    rows = conn.execute(
        "SELECT r.release, MIN(r.started_at) OVER (PARTITION BY r.release) AS first, r.started_at,"
        " r.run_id, r.verdict, m.failure_mode, m.scenario_runs, m.scenario_passed, m.variant_runs,"
        f" m.variant_bypasses FROM runs r JOIN mode_stats m ON m.run = r.id {where}"
        " ORDER BY first, r.release, r.started_at",
        args,
    ).fetchall()
    series: dict[str, dict[str, dict[str, Any]]] = {}
    for release, first, _started, run_id, verdict, mode, *counts in rows:
        for key in (mode, ALL_MODES):
            point = series.setdefault(key, {}).setdefault(
                release,
                {"release": release, "first_run": first, "runs": set(), "verdicts": [],
                 **dict.fromkeys(_COUNTS, 0)},
            )  # fmt: skip
            if run_id not in point["runs"]:
                point["runs"].add(run_id)
                point["verdicts"].append(verdict)
            for name, n in zip(_COUNTS, counts, strict=True):
                point[name] += n
    out: dict[str, list[dict[str, Any]]] = {}
    for mode, points in series.items():
        out[mode] = []
        for point in points.values():
            point["gate_runs"] = len(point.pop("runs"))
            point["pass_rate"] = _ratio(point["scenario_passed"], point["scenario_runs"])
            point["bypass_rate"] = _ratio(point["variant_bypasses"], point["variant_runs"])
            out[mode].append(point)
    return out


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _erosion(points: list[dict[str, Any]], alpha: float) -> dict[str, Any]:
    passes = cochran_armitage(
        [p["scenario_passed"] for p in points], [p["scenario_runs"] for p in points]
    )
    bypass = cochran_armitage(
        [p["variant_bypasses"] for p in points], [p["variant_runs"] for p in points]
    )
    rates = [p["pass_rate"] for p in points if p["pass_rate"] is not None]
    brates = [p["bypass_rate"] for p in points if p["bypass_rate"] is not None]
    pass_mk, bypass_mk = mann_kendall(rates), mann_kendall(brates)
    reasons: list[str] = []
    enough = len(points) >= MIN_RELEASES
    if enough and passes["p_decreasing"] < alpha:
        reasons.append(
            f"pass rate declines over {len(points)} releases (Cochran-Armitage p={passes['p_decreasing']:.2g})"
        )
    if enough and bypass["p_increasing"] < alpha:
        reasons.append(
            f"bypass rate rises over {len(points)} releases (Cochran-Armitage p={bypass['p_increasing']:.2g})"
        )
    return {
        "eroding": bool(reasons),
        "reasons": reasons,
        "pass_trend": {"cochran_armitage": passes, "mann_kendall": pass_mk},
        "bypass_trend": {"cochran_armitage": bypass, "mann_kendall": bypass_mk},
    }


def query(
    db: Path | None = None,
    *,
    suite: str | None = None,
    last: int = 10,
    failure_mode: str | None = None,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Pass and bypass rates per failure mode over the last ``last`` releases, with erosion flags.

    Returns:
        ``{"db", "suite", "last", "alpha", "releases", "failure_modes": {mode: {"points",
        "eroding", "reasons", "pass_trend", "bypass_trend"}}, "eroding": [modes]}``.

    Raises:
        InputError: no store at ``db``, or not a history store.
    """
    path = Path(db) if db is not None else default_db()
    with _connect(path, create=False) as conn:
        series = _series(conn, suite)
    modes: dict[str, Any] = {}
    for mode, points in sorted(series.items()):
        if failure_mode and mode != failure_mode:
            continue
        window = points[-last:]
        modes[mode] = {"points": window, **_erosion(window, alpha)}
    releases = [p["release"] for p in (series.get(ALL_MODES) or [])][-last:]
    return {
        "db": str(path),
        "suite": suite,
        "last": last,
        "alpha": alpha,
        "releases": releases,
        "failure_modes": modes,
        "eroding": [m for m, v in modes.items() if v["eroding"] and m != ALL_MODES],
    }


def trend_svg(
    db: Path | None, suite: str | None, failure_mode: str | None = None, *, last: int = 10
) -> str:
    """An inline SVG line chart of pass and bypass rate per release ("" when there is no history).

    Args:
        db: The history store; a missing file gives "".
        suite: Only this suite's runs.
        failure_mode: One failure mode; default all modes together.
        last: Releases shown.
    """
    from incident_lab.report.svg import line_chart

    path = Path(db) if db is not None else default_db()
    if not path.is_file():
        return ""
    result = query(path, suite=suite, last=last, failure_mode=failure_mode or ALL_MODES)
    mode = result["failure_modes"].get(failure_mode or ALL_MODES)
    if not mode or not mode["points"]:
        return ""
    points = mode["points"]
    title = (
        f"Gate history ({failure_mode or 'all failure modes'}): pass and bypass rate per release"
    )
    note = "; ".join(mode["reasons"]) or "no significant erosion"
    return line_chart(
        title,
        [str(p["release"]) for p in points],
        [
            ("pass rate", [p["pass_rate"] for p in points], "good"),
            ("bypass rate", [p["bypass_rate"] for p in points], "bad"),
        ],
        note=note,
    )
