"""The SHA-256 and size checks of every hashed file, one same-size byte at a time (issue 14:
the hand mutation run found the checks of rejects.jsonl and metrics.json unguarded)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from incident_lab.evidence import take_snapshot
from incident_lab.evidence.manifest import HASHED_FILES, serialise
from incident_lab.evidence.verify import verify_bundle
from tests.incident_lab.evidence.conftest import make_session, write_jsonl

NOW = datetime(2026, 2, 1, 13, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hashes")
    rows: list[object] = [make_session(i) for i in range(4)]
    rows[1] = b'{"broken": tru'
    src = write_jsonl(root / "log.jsonl", rows)
    return take_snapshot([src], out=root / "bundle", now=NOW).bundle


@pytest.fixture
def bundle(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "bundle"))


def _swap_one_digit(path: Path) -> None:
    """Change one digit in place: same size, different bytes."""
    data = bytearray(path.read_bytes())
    for i, b in enumerate(data):
        if 0x30 <= b <= 0x38:
            data[i] = b + 1
            break
    else:  # pragma: no cover - every hashed file holds a digit
        raise AssertionError(f"no digit in {path}")
    path.write_bytes(bytes(data))


def test_the_pristine_bundle_verifies(pristine: Path) -> None:
    report = verify_bundle(pristine)
    assert report.ok, report.problems
    assert report.stats["sessions"] == 3 and report.stats["rejects"] == 1


@pytest.mark.parametrize("name", HASHED_FILES)
def test_a_same_size_edit_is_a_sha256_mismatch(bundle: Path, name: str) -> None:
    _swap_one_digit(bundle / name)
    report = verify_bundle(bundle)
    assert not report.ok
    assert f"changed: {name}: SHA-256 differs from the manifest" in report.problems
    assert not any(p.startswith(f"changed: {name} is ") for p in report.problems)


@pytest.mark.parametrize("name", HASHED_FILES)
def test_a_size_change_is_named_with_both_sizes(bundle: Path, name: str) -> None:
    size = (bundle / name).stat().st_size
    with open(bundle / name, "ab") as fh:
        fh.write(b" ")
    report = verify_bundle(bundle)
    assert f"changed: {name} is {size + 1} bytes, the manifest says {size}" in report.problems
    assert f"changed: {name}: SHA-256 differs from the manifest" not in report.problems


@pytest.mark.parametrize("name", HASHED_FILES)
def test_a_file_dropped_from_the_manifest_is_named(bundle: Path, name: str) -> None:
    manifest = json.loads((bundle / "manifest.json").read_bytes())
    del manifest["files"][name]
    (bundle / "manifest.json").write_bytes(serialise(manifest))
    report = verify_bundle(bundle)
    # The schema requires every hashed file, so the schema check names it (and stops).
    assert report.problems == [
        f"manifest edited: manifest.json: files: '{name}' is a required property"
    ]
