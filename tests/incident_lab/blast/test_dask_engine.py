"""The Dask engine on a two-worker LocalCluster gives the local engine's answer exactly."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from incident_lab.blast import blast_radius, load_signature
from incident_lab.blast.dask_engine import plan_blocks

_VOLATILE = ("generated_at", "engine")


@pytest.fixture(scope="module")
def cluster() -> Any:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as lc,
        Client(lc) as client,
    ):
        yield client


def _stable(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in _VOLATILE}


def test_blocks_cover_every_byte_once(broken_log: Path) -> None:
    """Blocks tile each file without gap or overlap."""
    blocks = plan_blocks([str(broken_log)], blocksize=50_000)
    assert len(blocks) > 3
    assert blocks[0][1] == 0 and blocks[-1][2] == broken_log.stat().st_size
    assert all(a[2] == b[1] for a, b in itertools.pairwise(blocks))


def test_dask_on_two_workers_matches_the_local_engine(
    cluster: Any, traffic: dict[str, Any], broken_log: Path
) -> None:
    """Same matches, counts, risk and rejects (with their line numbers), over many small blocks."""
    assert len(cluster.scheduler_info()["workers"]) == 2
    signature = load_signature(str(traffic["bundle"]))
    local = blast_radius(signature, [str(broken_log)])
    distributed = blast_radius(signature, [str(broken_log)], engine="dask", blocksize=50_000)
    assert distributed["engine"] == "dask"
    assert _stable(distributed) == _stable(local)
    assert [r["line"] for r in distributed["rejects"]] == [3, 50]
    assert len(distributed["matches"]) == 5


def test_dask_reads_gzip_as_one_block(
    cluster: Any, traffic: dict[str, Any], tmp_path: Path
) -> None:
    """A gzip file cannot be split; it is one task and still gives the same matches."""
    import gzip

    gz = tmp_path / "log.jsonl.gz"
    gz.write_bytes(gzip.compress(traffic["log"].read_bytes()))
    assert len(plan_blocks([str(gz)], blocksize=1000)) == 1
    signature = load_signature(str(traffic["bundle"]))
    local = blast_radius(signature, [str(traffic["log"])])
    distributed = blast_radius(signature, [str(gz)], engine="dask")
    assert [m["session_id"] for m in distributed["matches"]] == [
        m["session_id"] for m in local["matches"]
    ]
