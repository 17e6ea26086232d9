"""The blast-radius summary equals, field for field, the pandas computation it replaced.

``_pandas_aggregate`` below is the former implementation (pandas groupby), kept as the
oracle: random matches, with timestamps in every shape (offsets, no zone, date only,
nanoseconds, out of pandas' range, garbage), must summarise identically.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from incident_lab.blast.aggregate import aggregate, risk_level
from incident_lab.blast.match import Match


def _ref_counts(
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


def _ref_iso(value: Any) -> str | None:
    import pandas as pd

    if value is None or pd.isna(value):
        return None
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _pandas_aggregate(matches: list[Match], incident_sessions: list[str]) -> dict[str, Any]:
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
                "first_seen": _ref_iso(row["first_seen"]),
                "last_seen": _ref_iso(row["last_seen"]),
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
            "first_seen": _ref_iso(frame["time"].min()) if not frame.empty else None,
            "last_seen": _ref_iso(frame["time"].max()) if not frame.empty else None,
        },
        "by_day": _ref_counts(frame, "day", "day", chronological=True),
        "by_model": _ref_counts(frame, "model", "model"),
        "by_policy_hash": _ref_counts(frame, "policy_hash", "policy_hash"),
        "by_actor": _ref_counts(frame, "actor_key", "actor"),
        "by_tenant": _ref_counts(frame, "tenant", "tenant"),
        "affected_actors": affected,
        "risk": risk_level(harm_actors, harm_tenants),
    }


_TIMES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "2026-02-01T00:00:07.329000Z", "2026-02-01T23:59:59Z", "2026-02-02T00:30:00+05:30",
            "2026-02-01T22:00:00-03:00", "2026-02-01T10:00:00", "2026-02-01", "2026-02-01 10:00:00",
            "2026-02-01T10:00:00.123456789Z", "2026-02-30T00:00:00Z", "1500-01-01T00:00:00Z",
            "2300-01-01T00:00:00Z", "garbage", "", "2026-02-01T24:00:00Z", "2026-02-01T10:00:00.5Z",
        ]
    ),
)  # fmt: skip
_MATCH = st.builds(
    lambda sid, started, actor, tenant, model, policy, harm, state, form: Match(
        session_id=sid, started_at=started, actor=actor, tenant=tenant, model=model,
        policy_hash=policy, score=0.5, payload_score=0.5, payload_form=form, tool_match=None,
        tool_exact=harm, safeguard_match=[], reasons=[], tool_state=state, exposure=True, harm=harm,
    ),
    st.sampled_from(["s1", "s2", "s3", "s4"]), _TIMES,
    st.one_of(st.none(), st.sampled_from(["u1", "u2", "u3"])),
    st.one_of(st.none(), st.sampled_from(["t1", "t2"])),
    st.one_of(st.none(), st.sampled_from(["m@1", "m@2"])),
    st.one_of(st.none(), st.sampled_from(["sha256:aa", "sha256:bb"])),
    st.booleans(), st.sampled_from([None, "executed", "blocked", "failed"]),
    st.sampled_from([None, "payload"]),
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(_MATCH, max_size=8), st.lists(st.sampled_from(["s1", "s2"]), max_size=2))
def test_summary_equals_the_pandas_computation(matches: list[Match], own: list[str]) -> None:
    """Counts, actors, tenants, first/last seen and risk agree with pandas on any matches."""
    assert aggregate(matches, own) == _pandas_aggregate(matches, own)


def test_summary_of_no_match() -> None:
    """Nothing matched: empty counts, no actor, risk none (pandas agreed)."""
    assert aggregate([], []) == _pandas_aggregate([], [])
    assert aggregate([], [])["risk"]["level"] == "none"
