"""The OTLP readers stream: spans spooled by trace (span_spool), the same records as in memory."""

from __future__ import annotations

import hashlib
import re
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from incident_lab.readers import read_paths, span_spool
from incident_lab.readers.span_spool import KeyedSpool

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
_IDS = re.compile(rb'"(traceId|spanId|parentSpanId)":"([0-9a-fA-F]+)"')

VALUES: list[Any] = [
    {"a": 1, "b": [1.5, None, True, False], "c": {"d": "é\u2028\U0001f600\ud800"}},
    "text",
    10**30,
    -0.0,
    [],
    {},
]


@pytest.mark.parametrize("budget", [0, 50, 1 << 20])
def test_items_come_back_per_key_in_order_whatever_was_spilled(budget: int) -> None:
    spool = KeyedSpool(budget)
    expected: dict[str, list[Any]] = {}
    for i in range(300):
        key = f"k{i % 7}" if i % 11 else "rare"
        item = VALUES[i % len(VALUES)] if i % 3 else {"i": i, "text": "x" * (i % 40)}
        spool.add(key, item)
        expected.setdefault(key, []).append(item)
    assert spool.keys() == list(expected)  # first-added order
    assert (spool._end > 0) == (budget < 1 << 20)  # bytes spilled to the temporary file
    assert spool.take("k3") == expected["k3"]
    assert spool.take("k3") == []  # taken keys are forgotten
    spool.add("k3", "again")
    assert spool.keys()[-1] == "k3"
    for key in ("rare", "k0", "k6"):
        assert spool.take(key) == expected[key]
    assert spool.take("k3") == ["again"]
    spool.close()
    assert spool.keys() == []


def _copies(src: Path, dest: Path, copies: int, *, bad_every: int = 0, pad: int = 0) -> None:
    """``copies`` of a fixture file, each with its own ids and system prompt (so no two stitch),
    the prompt lengthened by ``pad`` bytes."""
    lines = src.read_bytes().splitlines()
    with dest.open("wb") as out:
        for i in range(copies):
            for line in lines:

                def ident(m: re.Match[bytes], i: int = i) -> bytes:
                    digest = hashlib.blake2b(
                        m.group(2) + b"/%d" % i, digest_size=len(m.group(2)) // 2
                    )
                    return b'"%s":"%s"' % (m.group(1), digest.hexdigest().encode())

                name = b"MailPilot-%d" % i + b" x%d" % i * (pad // 8)
                copy = _IDS.sub(ident, line).replace(b"MailPilot", name)
                out.write(copy.replace(b"sess-oi-", b"sess-oi-%d-" % i) + b"\n")
            if bad_every and i % bad_every == 0:
                out.write(b"not json\n")


def _rows(files: list[Path], fmt: str) -> list[tuple[Any, ...]]:
    return [
        (r.path, r.line, r.entry, r.reason, r.trajectory)
        for _fmt, r in read_paths([str(f) for f in files], fmt)
    ]


@pytest.mark.parametrize(
    ("fmt", "mode", "names"),
    [
        ("otel", "v2.1b0_capture_true", ["traces.jsonl", "logs.jsonl"]),
        ("otel", "v2.4b0_event_only", ["logs.jsonl", "traces.jsonl"]),
        ("otel", "v2.4b0_span_only", ["traces.jsonl"]),
        ("otel", "v2.4b0_no_content", ["traces.jsonl"]),
        ("openinference", "", ["spans.jsonl"]),
    ],
)
def test_spilling_every_span_gives_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, mode: str, names: list[str]
) -> None:
    """Real instrumentation output (logs joined from a second file, traces stitched by
    history, session ids), 20 copies interleaved with bad lines: the records read with every
    item written to the temporary file equal those read with everything held in memory,
    and the counts reconcile with what one copy gives."""
    src = FIXTURES / ("openinference" if fmt == "openinference" else f"otel_genai/{mode}")
    files = []
    for name in names:
        files.append(tmp_path / name)
        _copies(src / name, files[-1], 20, bad_every=7 if name != "logs.jsonl" else 0)
    one = []
    for name in names:
        one.append(tmp_path / f"one-{name}")
        _copies(src / name, one[-1], 1)
    in_memory = _rows(files, fmt)
    monkeypatch.setattr(span_spool, "BUDGET", 0)
    spilled = _rows(files, fmt)
    assert spilled == in_memory
    per_copy = _rows(one, fmt)
    accepted = sum(row[4] is not None for row in in_memory)
    assert accepted == 20 * sum(row[4] is not None for row in per_copy)
    bad = len(range(0, 20, 7)) * sum(name != "logs.jsonl" for name in names)
    assert len(in_memory) - accepted == 20 * sum(row[4] is None for row in per_copy) + bad
    if accepted:  # each copy is a session of its own: ids and prompts never mixed
        prompts = {str(row[4]["steps"][0]["content"]).split(",")[0] for row in in_memory if row[4]}
        assert len(prompts) == accepted


def test_memory_holds_one_session_not_the_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """150 sessions with long prompts (about 3 MB of spans): with a 64 KB budget the reader's
    peak traced memory is a fraction of the input (measured: 0.6 MB), where holding every
    decoded span until the end (as the reader did before) peaked at 6.8 MB."""
    src = FIXTURES / "otel_genai" / "v2.4b0_span_only" / "traces.jsonl"
    path, warm = tmp_path / "traces.jsonl", tmp_path / "warm.jsonl"
    _copies(src, path, 150, pad=8000)
    _copies(src, warm, 1)
    assert sum(r.accepted for _fmt, r in read_paths([str(warm)], "otel")) == 1  # imports done
    monkeypatch.setattr(span_spool, "BUDGET", 64 << 10)
    tracemalloc.start()
    try:
        accepted = sum(r.accepted for _fmt, r in read_paths([str(path)], "otel"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert accepted == 150
    size = path.stat().st_size
    assert size > 3_000_000
    assert peak < size / 3, (peak, size)
