"""Reading a bundle's followup/classification.json back: one error naming the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from incident_lab.classify.followup import read_classification
from incident_lab.errors import InputError


def _write(bundle: Path, data: bytes) -> Path:
    (bundle / "followup").mkdir(parents=True, exist_ok=True)
    path = bundle / "followup" / "classification.json"
    path.write_bytes(data)
    return path


def test_absent_is_none_and_a_valid_document_gives_its_sessions(tmp_path: Path) -> None:
    assert read_classification(tmp_path) is None
    _write(tmp_path, b'{"schema_version": "classification/v1", "sessions": [{"top": "x"}]}')
    assert read_classification(tmp_path) == [{"top": "x"}]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"sessions": 5}', "not a classification"),
        (b'{"sessions": [1, 2]}', "not a classification"),
        (b'"text"', "not a classification"),
        (b'{"sessions": [\n', "invalid JSON"),
        (b"[" * 100_000, "invalid JSON"),
        (b'{"sessions": ["\xff"]}', "invalid UTF-8"),
    ],
)
def test_damage_is_an_input_error_naming_the_file(
    tmp_path: Path, data: bytes, problem: str
) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(InputError, match=problem) as info:
        read_classification(tmp_path)
    assert info.value.path == str(path) and info.value.exit_code == 3


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    (tmp_path / "followup").mkdir()
    os.mkfifo(tmp_path / "followup" / "classification.json")
    with pytest.raises(InputError, match="FIFO"):
        read_classification(tmp_path)
