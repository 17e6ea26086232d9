"""The Dask engine on a two-worker LocalCluster gives the local engine's answer exactly.

Correctness only: the speed-up with workers is measured by ``benchmarks/bench_blast.py``
(a loaded two-core machine makes timing assertions flaky).
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from incident_lab.blast import blast_radius
from incident_lab.blast.dask_engine import (
    DEFAULT_BLOCKSIZE,
    MIN_BLOCKSIZE,
    _split,
    _worker_threads,
    auto_blocksize,
    plan,
    plan_blocks,
)
from incident_lab.blast.signature import load_signature
from incident_lab.example.traffic import INJECTION

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


def test_auto_blocksize_gives_each_worker_about_four_blocks() -> None:
    """190 MB on two workers: 8 blocks of ~24 MB, not three 64 MB blocks (where one worker
    does two thirds of the work); bounded by the minimum and the default."""
    mb = 1 << 20
    assert auto_blocksize(190 * mb, 2) == -(-190 * mb // 8)
    assert auto_blocksize(10_000 * mb, 2) == DEFAULT_BLOCKSIZE
    assert auto_blocksize(1 * mb, 8) == MIN_BLOCKSIZE
    assert auto_blocksize(0, 0) == MIN_BLOCKSIZE


def test_split_cuts_only_uncompressed_native_blocks() -> None:
    units = [
        ("block", ("a.jsonl", 0, 10, False)),
        ("block", ("b.jsonl.gz", 0, 10, True)),
        ("file", ("c.json", "openai_chat")),
        ("block", ("d.jsonl", 20, 27, False)),
    ]
    out = _split(units, 4)
    assert out == [
        ("block", ("a.jsonl", 0, 4, False)),
        ("block", ("a.jsonl", 4, 8, False)),
        ("block", ("a.jsonl", 8, 10, False)),
        ("block", ("b.jsonl.gz", 0, 10, True)),
        ("file", ("c.json", "openai_chat")),
        ("block", ("d.jsonl", 20, 24, False)),
        ("block", ("d.jsonl", 24, 27, False)),
    ]


def test_the_active_clusters_threads_set_the_default_blocksize(
    cluster: Any, traffic: dict[str, Any], broken_log: Path
) -> None:
    """No blocksize: the log is cut for the active client's 2 threads, same answer as local."""
    assert _worker_threads(None) == 2
    signature = load_signature(str(traffic["bundle"]))
    local = blast_radius(signature, [str(broken_log)])
    distributed = blast_radius(signature, [str(broken_log)], engine="dask")
    assert _stable(distributed) == _stable(local)


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


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "logs"


def _chat_line(session: str, text: str) -> str:
    """One OpenAI chat-completions exchange whose tool output carries ``text``."""
    return json.dumps(
        {
            "request": {
                "model": "gpt-4o",
                "messages": [
                    {"role": "user", "content": "Summarise my unread emails."},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "read_inbox", "arguments": "{}"},
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "c1", "content": text},
                ],
                "user": "u_chat",
                "metadata": {"session_id": session},
            },
            "response": {
                "id": f"chatcmpl-{session}",
                "object": "chat.completion",
                "created": 1769947205,
                "model": "gpt-4o-2024-08-06",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Done."}}],
            },
        }
    )


@pytest.fixture
def mixed_dir(traffic: dict[str, Any], broken_log: Path, tmp_path: Path) -> Path:
    """Native JSONL (with rejects), an OpenAI chat log holding the payload, the mixed-format
    fixtures (OTel, Inspect, events, gzip) and a file no reader knows."""
    root = tmp_path / "logs"
    shutil.copytree(FIXTURES / "mixed", root)
    shutil.copy(broken_log, root / "a_native.jsonl")
    (root / "b_chat.jsonl").write_text(
        _chat_line("chat-hit", f"Invoice attached. {INJECTION}")
        + "\n"
        + _chat_line("chat-miss", "Lunch is at noon on Friday.")
        + "\n",
        "utf-8",
    )
    (root / "zz_notes.txt").write_text("not a log\n", "utf-8")
    return root


def test_dask_reads_every_format_through_the_readers(
    cluster: Any, traffic: dict[str, Any], mixed_dir: Path
) -> None:
    """Every format of a mixed directory is read on the workers: same result as locally."""
    assert len(cluster.scheduler_info()["workers"]) == 2
    units, sources = plan([str(mixed_dir)], blocksize=50_000)
    formats = {s["format"] for s in sources}
    assert {"native", "openai_chat", "unknown"} <= formats and len(formats) >= 5
    assert sum(kind == "block" for kind, _ in units) > 3  # native JSONL is still split
    assert sum(kind == "file" for kind, _ in units) >= 4  # other formats: one task a file
    signature = load_signature(str(traffic["bundle"]))
    local = blast_radius(signature, [str(mixed_dir)])
    distributed = blast_radius(signature, [str(mixed_dir)], engine="dask", blocksize=50_000)
    assert _stable(distributed) == _stable(local)
    found = {m["session_id"]: m for m in distributed["matches"]}
    assert found["chat-hit"]["source"]["path"].endswith("b_chat.jsonl")
    assert "chat-miss" not in found
    assert any(r["source"].endswith("zz_notes.txt") for r in distributed["rejects"])
    scanned = distributed["scanned"]
    assert scanned["files"] == len(sources) and scanned["sessions"] > len(traffic["records"])
