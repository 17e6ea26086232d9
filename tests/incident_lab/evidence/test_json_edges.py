"""JSON edge cases through ``snapshot`` and ``verify``: the orjson fast path changes nothing.

The same log is snapshotted in this process (orjson) and in a subprocess where orjson
cannot be imported (the stdlib path, as without the optional fast path): the bundles
are byte for byte identical, and ``verify`` reports the same. Inputs the stdlib could
not process at all (nesting deeper than it recurses, lone surrogates it cannot encode)
are rejects or preserved, never an internal error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from incident_lab.evidence import take_snapshot
from incident_lab.evidence.scan import TOO_DEEP
from incident_lab.evidence.verify import verify_bundle
from tests.incident_lab.evidence.conftest import make_session, read_jsonl

NOW = datetime(2026, 2, 1, 13, 0, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]

_STDLIB_RUN = """
import json, sys
sys.modules["orjson"] = None  # as if the optional fast path were not installed
from datetime import datetime
from incident_lab.evidence import take_snapshot
from incident_lab.evidence.verify import verify_bundle
from incident_lab.evidence import fastjson
assert fastjson._orjson is None
src, out, last = sys.argv[1], sys.argv[2], sys.argv[3]
take_snapshot([src], out=out, last=int(last) if last else None, incident_id="INC-9",
              now=datetime.fromisoformat(sys.argv[4]))
print(json.dumps(verify_bundle(out).as_dict()))
"""


def _line(obj: dict[str, Any], *replace: tuple[str, str]) -> bytes:
    text = json.dumps(obj)
    for old, new in replace:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.encode("utf-8")


def _tricky_log(path: Path) -> Path:
    """Sessions holding every number, string and structure orjson alone would get wrong."""
    deep = b"[" * 5000 + b"]" * 5000
    lines = [
        _line(make_session(1)),
        # integers beyond 64 bits and at its edges, in free-form arguments
        _line(
            make_session(2),
            ('"d2"', '"d2", "big": 123456789012345678901234567890, "u64": 18446744073709551615'),
            ('"c1"}', '"c1", "neg": -9223372036854775809}'),
        ),
        # floats the stdlib spells differently from orjson; NaN and Infinity (rejected)
        _line(make_session(3), ('"score": 0.5', '"score": 1e-05'), ('"d3"', "[2.5e-07, 1e16]")),
        _line(make_session(4), ('"score": 0.5', '"score": NaN'), ('"d4"', "-Infinity")),
        _line(make_session(5), ('"d5"', "1e400")),
        # lone surrogate escapes, a surrogate pair, duplicate keys
        _line(make_session(6), ('"Done."', '"\\ud800 half \\udfff"'), ('"d6"', '"\\ud83d\\ude00"')),
        _line(make_session(7), ('"sess-0007"', '"sess-first", "session_id": "sess-0007"')),
        # rejects: BOM, invalid UTF-8, nesting beyond any parser, not an object, bad JSON
        b"\xef\xbb\xbf" + _line(make_session(8)),
        _line(make_session(9)).replace(b"Summarise", b"Summ\xed\xa0\x80rise"),
        _line(make_session(10), ('"d10"', '"d10", "x": ' + deep.decode())),
        b"[18446744073709551616, 1e-05]",
        b'{"session_id": "x", "steps": [NaN,]}',
        _line(make_session(11)),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _tree(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())}


@pytest.mark.parametrize("last", [None, 3])
def test_bundle_is_byte_identical_with_and_without_orjson(tmp_path: Path, last: int | None) -> None:
    """Every file of the bundle (trajectories, rejects and their reasons, metrics, counts,
    manifest, timeline) is the same whether orjson or the stdlib parsed and wrote it;
    verify's reports agree too."""
    src = _tricky_log(tmp_path / "log.jsonl")
    fast = take_snapshot([src], out=tmp_path / "a" / "b", last=last, incident_id="INC-9", now=NOW)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _STDLIB_RUN,
            src,
            tmp_path / "s" / "b",
            str(last or ""),
            NOW.isoformat(),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert _tree(fast.bundle) == _tree(tmp_path / "s" / "b")
    fast_report = verify_bundle(fast.bundle).as_dict()
    stdlib_report = json.loads(proc.stdout)
    assert fast_report["ok"] and stdlib_report["ok"]
    assert {k: v for k, v in fast_report.items() if k != "bundle"} == {
        k: v for k, v in stdlib_report.items() if k != "bundle"
    }


def test_edge_values_are_preserved_exactly(tmp_path: Path) -> None:
    """Big integers stay integers, floats keep their spelling, lone surrogates survive as
    escapes; NaN and Infinity (no JSON form) and what cannot be parsed are rejects with
    their reason."""
    src = _tricky_log(tmp_path / "log.jsonl")
    result = take_snapshot([src], out=tmp_path / "b", now=NOW)
    assert result.manifest["counts"] == {
        "read": 13,
        "accepted": 6,
        "rejected": 7,
        "filtered_out": 0,
    }
    raw = (result.bundle / "trajectories.jsonl").read_bytes()
    assert b'"big":123456789012345678901234567890' in raw and b'"neg":-9223372036854775809' in raw
    assert b'"score":1e-05' in raw and b"[2.5e-07,1e+16]" in raw
    assert b"NaN" not in raw and b"Infinity" not in raw
    assert b'"\\ud800 half \\udfff"' in raw and "\U0001f600".encode() in raw
    sessions = [json.loads(line) for line in raw.splitlines()]
    assert [s["session_id"] for s in sessions][-3:] == ["sess-0006", "sess-0007", "sess-0011"]
    rejects = {r["line"]: r["reason"] for r in read_jsonl(result.bundle / "rejects.jsonl")}
    not_json = "is not JSON (NaN and Infinity have no canonical form)"
    assert rejects[4] == f"schema: steps/4/score: nan {not_json}"
    assert rejects[5] == f"schema: steps/2/arguments/doc_id: inf {not_json}"
    assert rejects[8].startswith("malformed JSON at column 1: Unexpected UTF-8 BOM")
    assert rejects[9].startswith("invalid UTF-8 at byte ")
    assert rejects[10] == TOO_DEEP
    assert rejects[11].startswith("schema: (root): [18446744073709551616, 1e-05] is not")
    assert rejects[12].startswith("malformed JSON at column")
    assert verify_bundle(result.bundle).ok


def test_verify_names_a_too_deep_trajectory_line(tmp_path: Path) -> None:
    """A trajectory line nested beyond the parser's reach is a discrepancy, not a crash."""
    result = take_snapshot([_tricky_log(tmp_path / "log.jsonl")], out=tmp_path / "b", now=NOW)
    path = result.bundle / "trajectories.jsonl"
    path.write_bytes(path.read_bytes() + b'{"x": ' + b"[" * 5000 + b"]" * 5000 + b"}\n")
    problems = verify_bundle(result.bundle).problems
    assert "changed: trajectories.jsonl:7: not valid JSON (nested too deeply to parse)" in problems
