"""From matches to the blast-radius report: exposure and harm, counts, risk level.

Two answers, each with its sessions, users and tenants:

- ``exposure``: every matching session: it received the payload or a rewrite of
  it (or made the harmful call at all);
- ``harm``: the sessions where the harmful call actually happened (same tool and
  attacker-controlled value, executed: not blocked, not failed), with the attempts
  that were blocked or failed counted beside it.

The risk level is computed from **harm**, not exposure: a thousand sessions that
received the injection and ignored it are a detection story, thirty that executed
it are the incident. Risk bands (the highest band any count reaches wins;
documented in docs/incident_lab.md). A session without an actor counts as one actor
of its own, since it cannot be told apart from others:

============  ======================================================
level         when
============  ======================================================
``none``      no session where the harm happened
``isolated``  one affected actor in one tenant
``localized`` 2-10 affected actors, all in one tenant
``moderate``  11-100 affected actors, or 2-5 tenants
``systemic``  more than 100 affected actors, or more than 5 tenants
============  ======================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from incident_lab.blast.match import Match

#: ``(level, max actors, max tenants)`` in increasing order; ``systemic`` is everything above.
RISK_BANDS: tuple[tuple[str, int, int], ...] = (
    ("isolated", 1, 1),
    ("localized", 10, 1),
    ("moderate", 100, 5),
)


def risk_level(actors: int, tenants: int) -> dict[str, Any]:
    """Return ``{"level", "reason", "bands"}`` for counts of affected actors and tenants."""
    bands = {
        "isolated": "1 actor, 1 tenant",
        "localized": "2-10 actors, 1 tenant",
        "moderate": "11-100 actors or 2-5 tenants",
        "systemic": "more than 100 actors or more than 5 tenants",
    }
    counts = f"{actors} harmed actor(s) in {tenants} tenant(s)"
    if actors == 0:
        return {
            "level": "none",
            "reason": "no session where the harmful call executed",
            "bands": bands,
        }
    for level, max_actors, max_tenants in RISK_BANDS:
        if actors <= max_actors and tenants <= max_tenants:
            return {"level": level, "reason": f"{counts}: {bands[level]}", "bands": bands}
    return {"level": "systemic", "reason": f"{counts}: {bands['systemic']}", "bands": bands}


# Timestamps read without pandas: ISO 8601 with seconds, up to microseconds, 'Z' or an
# offset, years 1900-2099 (inside pandas' nanosecond range), where ``fromisoformat`` and
# ``pandas.to_datetime(utc=True, format="ISO8601")`` agree. When any other shape is
# present, the whole column goes to pandas as before (its reading of one value can
# depend on the others: nanoseconds anywhere put a year 1500 out of range).
_PLAIN_TIME = re.compile(
    r"(?:19|20)\d\d-\d\d-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?"
)


def _plain_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:  # e.g. February 30th
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _times(values: list[Any]) -> list[datetime | None]:
    """Each ``started_at`` as a UTC datetime (naive means UTC), None when unreadable."""
    if all(v is None or (isinstance(v, str) and _PLAIN_TIME.fullmatch(v)) for v in values):
        return [_plain_time(v) for v in values]
    import warnings

    import pandas as pd

    column = pd.to_datetime(
        pd.Series(values, dtype=object), utc=True, errors="coerce", format="ISO8601"
    )
    with warnings.catch_warnings():  # nanoseconds: below the report's one-second precision
        warnings.simplefilter("ignore", UserWarning)
        return [None if pd.isna(t) else t.to_pydatetime() for t in column]


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Row:
    session_id: str
    actor: str | None
    tenant: str | None
    actor_key: str
    model: str | None
    policy_hash: str | None
    time: datetime | None
    day: str | None
    executed: bool


def _counts(
    rows: list[_Row], key: str, label: str, chronological: bool = False
) -> list[dict[str, Any]]:
    """Sessions and distinct actors per value of ``key`` (None counted as "(unknown)"):
    by value when ``chronological``, else most sessions first, then by value."""
    groups: dict[str, tuple[list[int], set[str]]] = {}
    for row in rows:
        value = getattr(row, key)
        group = groups.setdefault("(unknown)" if value is None else str(value), ([0], set()))
        group[0][0] += 1
        group[1].add(row.actor_key)
    order = sorted(groups)
    if not chronological:
        order.sort(key=lambda v: -groups[v][0][0])  # stable: ties stay sorted by value
    return [{label: v, "sessions": groups[v][0][0], "actors": len(groups[v][1])} for v in order]


def _distinct_tenants(rows: list[_Row]) -> list[str]:
    return sorted({str(r.tenant) for r in rows if r.tenant is not None})


def _rows(matches: list[Match]) -> list[_Row]:
    """One row per match, its start time parsed and its actor key resolved."""
    rows = []
    for m, when in zip(matches, _times([m.started_at for m in matches]), strict=True):
        rows.append(
            _Row(
                session_id=m.session_id,
                actor=m.actor,
                tenant=m.tenant,
                actor_key=f"{m.tenant}/{m.actor}"
                if m.actor is not None
                else f"(session {m.session_id})",
                model=m.model,
                policy_hash=m.policy_hash,
                time=when,
                day=when.strftime("%Y-%m-%d") if when is not None else None,
                executed=bool(m.harm),
            )
        )
    return rows


def _reach(rows: list[_Row]) -> tuple[int, list[str], int]:
    """Distinct actors, the sorted tenant ids and the tenant count (1 when actors but no ids)."""
    actors = len({r.actor_key for r in rows})
    tenant_ids = _distinct_tenants(rows)
    return actors, tenant_ids, len(tenant_ids) or (1 if actors else 0)


def _first_last(rows: list[_Row]) -> tuple[str | None, str | None]:
    """The earliest and latest known time of ``rows`` (None, None when none is known)."""
    times = [r.time for r in rows if r.time is not None]
    return (_iso(min(times)), _iso(max(times))) if times else (None, None)


def _affected_actors(rows: list[_Row]) -> list[dict[str, Any]]:
    """Per actor: first known actor/tenant, session count, first/last seen; most sessions first."""
    per_actor: dict[str, list[_Row]] = {}
    for row in rows:
        per_actor.setdefault(row.actor_key, []).append(row)
    affected = []
    for key in sorted(per_actor, key=lambda k: (-len(per_actor[k]), k)):
        group = per_actor[key]
        first_seen, last_seen = _first_last(group)
        affected.append(
            {
                "actor": next((r.actor for r in group if r.actor is not None), None),
                "tenant": next((r.tenant for r in group if r.tenant is not None), None),
                "sessions": len(group),
                "first_seen": first_seen,
                "last_seen": last_seen,
            }
        )
    return affected


def _tool_states(matches: list[Match]) -> dict[str, int]:
    """How many matches ended in each tool state (matches without one are not counted)."""
    states: dict[str, int] = {}
    for m in matches:
        if m.tool_state is not None:
            states[m.tool_state] = states.get(m.tool_state, 0) + 1
    return states


def aggregate(matches: list[Match], incident_sessions: list[str]) -> dict[str, Any]:
    """Summarise matches: by day, model, policy hash, actor and tenant; actors; first/last seen; risk.

    Plain Python over the matches (a few thousand at most): the counts pandas gave,
    without its import (a fifth of a second of CPU on every search).

    Args:
        matches: In report order.
        incident_sessions: The incident's own session ids (flagged in the output).

    Returns:
        The ``summary``, ``by_*``, ``affected_actors`` and ``risk`` parts of the report.
    """
    rows = _rows(matches)
    actors, tenant_ids, tenants = _reach(rows)
    affected = _affected_actors(rows)
    own = set(incident_sessions)
    harmed = [r for r in rows if r.executed]
    harm_actors, harm_tenant_ids, harm_tenants = _reach(harmed)
    states = _tool_states(matches)
    first_seen, last_seen = _first_last(rows)
    return {
        "exposure": {
            "sessions": len(matches),
            "users": actors,
            "tenants": tenants,
            "tenant_ids": tenant_ids,
        },
        "harm": {
            "sessions": len(harmed),
            "users": harm_actors,
            "tenants": harm_tenants,
            "tenant_ids": harm_tenant_ids,
            "session_ids": sorted(str(r.session_id) for r in harmed),
            "attempts_blocked": states.get("blocked", 0),
            "attempts_failed": states.get("failed", 0),
        },
        "summary": {
            "sessions": len(matches),
            "incident_sessions": sum(1 for m in matches if m.session_id in own),
            "new_sessions": sum(1 for m in matches if m.session_id not in own),
            "harmful_calls_executed": len(harmed),
            "payload_matches": sum(1 for m in matches if m.payload_form is not None),
            "actors": actors,
            "tenants": tenants,
            "first_seen": first_seen,
            "last_seen": last_seen,
        },
        "by_day": _counts(rows, "day", "day", chronological=True),
        "by_model": _counts(rows, "model", "model"),
        "by_policy_hash": _counts(rows, "policy_hash", "policy_hash"),
        "by_actor": _counts(rows, "actor_key", "actor"),
        "by_tenant": _counts(rows, "tenant", "tenant"),
        "affected_actors": affected,
        "risk": risk_level(harm_actors, harm_tenants),
    }
