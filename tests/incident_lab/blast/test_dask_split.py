"""The Dask engine splits a search over the workers of a two-worker LocalCluster.

``test_dask_engine.py`` checks that the answer is the local engine's; this checks
that the work is really shared: one scan task per planned block, run on both workers,
with every session scanned once in all. (Speed is measured by ``benchmarks/bench_blast.py``.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from incident_lab.blast import blast_radius
from incident_lab.blast.dask_engine import plan
from incident_lab.blast.signature import load_signature


def test_scan_tasks_run_on_both_workers_and_cover_the_log_once(
    traffic: dict[str, Any], broken_log: Path
) -> None:
    from distributed import Client, LocalCluster, get_task_stream

    signature = load_signature(str(traffic["bundle"]))
    local = blast_radius(signature, [str(broken_log)])
    units, _ = plan([str(broken_log)], blocksize=20_000)
    assert len(units) >= 8
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as lc,
        Client(lc) as client,
    ):
        workers = set(client.scheduler_info()["workers"])
        assert len(workers) == 2
        with get_task_stream(client) as stream:
            distributed = blast_radius(
                signature, [str(broken_log)], engine="dask", blocksize=20_000
            )
    scans = [t for t in stream.data if str(t["key"][0]).startswith("_scan_unit-")]
    assert len(scans) == len({t["key"] for t in scans}) == len(units)  # one task per block
    by_worker = {w: sum(t["worker"] == w for t in scans) for w in workers}
    assert all(n >= 1 for n in by_worker.values()), by_worker  # both workers scanned
    assert distributed["scanned"] == local["scanned"]
    assert distributed["scanned"]["sessions"] > 0
    assert [m["session_id"] for m in distributed["matches"]] == [
        m["session_id"] for m in local["matches"]
    ]


def test_the_matcher_is_shipped_once_not_with_every_task(
    traffic: dict[str, Any], broken_log: Path, monkeypatch: Any
) -> None:
    """The matcher is one key of the graph: unpickled (and its lookup tables rebuilt) at
    most once per worker, however many blocks there are (it was once per task: 0.66 MB
    and 40 ms each for the benchmark's signature)."""
    from distributed import Client, LocalCluster

    from incident_lab.blast.match import Matcher

    signature = load_signature(str(traffic["bundle"]))
    units, _ = plan([str(broken_log)], blocksize=20_000)
    assert len(units) >= 8
    loads: list[int] = []
    restore = Matcher.__setstate__

    def counted(self: Matcher, state: dict[str, Any]) -> None:
        loads.append(1)
        restore(self, state)

    monkeypatch.setattr(Matcher, "__setstate__", counted)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as lc,
        Client(lc),
    ):
        found = blast_radius(signature, [str(broken_log)], engine="dask", blocksize=20_000)
    assert found["scanned"]["sessions"] > 0
    assert len(loads) <= 2 < len(units), len(loads)
