"""From matches to the blast-radius report: exposure and harm, counts (pandas), risk level.

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

from typing import Any

from incident_lab.blast.match import Match

__all__ = ["RISK_BANDS", "aggregate", "risk_level"]

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


def _counts(
    frame: Any, column: str, label: str, chronological: bool = False
) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    grouped = (
        frame.assign(**{column: frame[column].fillna("(unknown)")})
        .groupby(column, sort=True)
        .agg(sessions=("session_id", "size"), actors=("actor_key", "nunique"))
        .reset_index()
    )
    if not chronological:
        grouped = grouped.sort_values(["sessions", column], ascending=[False, True], kind="stable")
    return [
        {label: str(row[column]), "sessions": int(row["sessions"]), "actors": int(row["actors"])}
        for _, row in grouped.iterrows()
    ]


def _iso(value: Any) -> str | None:
    import pandas as pd

    if value is None or pd.isna(value):
        return None
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def aggregate(matches: list[Match], incident_sessions: list[str]) -> dict[str, Any]:
    """Summarise matches: by day, model, policy hash, actor and tenant; actors; first/last seen; risk.

    Args:
        matches: In report order.
        incident_sessions: The incident's own session ids (flagged in the output).

    Returns:
        The ``summary``, ``by_*``, ``affected_actors`` and ``risk`` parts of the report.
    """
    import pandas as pd

    rows = [
        {
            "session_id": m.session_id,
            "actor": m.actor,
            "tenant": m.tenant,
            "actor_key": f"{m.tenant}/{m.actor}"
            if m.actor is not None
            else f"(session {m.session_id})",
            "model": m.model,
            "policy_hash": m.policy_hash,
            "started_at": m.started_at,
            "executed": m.harm,
        }
        for m in matches
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "session_id",
            "actor",
            "tenant",
            "actor_key",
            "model",
            "policy_hash",
            "started_at",
            "executed",
        ],
    )
    frame["time"] = pd.to_datetime(frame["started_at"], utc=True, errors="coerce", format="ISO8601")
    frame["day"] = frame["time"].dt.strftime("%Y-%m-%d")
    actors = int(frame["actor_key"].nunique())
    tenants = int(frame["tenant"].dropna().nunique()) or (1 if actors else 0)
    affected: list[dict[str, Any]] = []
    if not frame.empty:
        per_actor = (
            frame.groupby("actor_key", sort=True)
            .agg(
                actor=("actor", "first"),
                tenant=("tenant", "first"),
                sessions=("session_id", "size"),
                first_seen=("time", "min"),
                last_seen=("time", "max"),
            )
            .reset_index()
            .sort_values(["sessions", "actor_key"], ascending=[False, True], kind="stable")
        )
        affected = [
            {
                "actor": None if pd.isna(row["actor"]) else str(row["actor"]),
                "tenant": None if pd.isna(row["tenant"]) else str(row["tenant"]),
                "sessions": int(row["sessions"]),
                "first_seen": _iso(row["first_seen"]),
                "last_seen": _iso(row["last_seen"]),
            }
            for _, row in per_actor.iterrows()
        ]
    own = set(incident_sessions)
    harmed = frame[frame["executed"].astype(bool)]
    harm_actors = int(harmed["actor_key"].nunique())
    harm_tenants = int(harmed["tenant"].dropna().nunique()) or (1 if harm_actors else 0)
    states: dict[str, int] = {}
    for m in matches:
        if m.tool_state is not None:
            states[m.tool_state] = states.get(m.tool_state, 0) + 1
    return {
        "exposure": {
            "sessions": len(matches),
            "users": actors,
            "tenants": tenants,
            "tenant_ids": sorted(str(t) for t in frame["tenant"].dropna().unique()),
        },
        "harm": {
            "sessions": len(harmed),
            "users": harm_actors,
            "tenants": harm_tenants,
            "tenant_ids": sorted(str(t) for t in harmed["tenant"].dropna().unique()),
            "session_ids": sorted(str(s) for s in harmed["session_id"]),
            "attempts_blocked": states.get("blocked", 0),
            "attempts_failed": states.get("failed", 0),
        },
        "summary": {
            "sessions": len(matches),
            "incident_sessions": sum(1 for m in matches if m.session_id in own),
            "new_sessions": sum(1 for m in matches if m.session_id not in own),
            "harmful_calls_executed": int(frame["executed"].sum()),
            "payload_matches": sum(1 for m in matches if m.payload_form is not None),
            "actors": actors,
            "tenants": tenants,
            "first_seen": _iso(frame["time"].min()) if not frame.empty else None,
            "last_seen": _iso(frame["time"].max()) if not frame.empty else None,
        },
        "by_day": _counts(frame, "day", "day", chronological=True),
        "by_model": _counts(frame, "model", "model"),
        "by_policy_hash": _counts(frame, "policy_hash", "policy_hash"),
        "by_actor": _counts(frame, "actor_key", "actor"),
        "by_tenant": _counts(frame, "tenant", "tenant"),
        "affected_actors": affected,
        "risk": risk_level(harm_actors, harm_tenants),
    }
