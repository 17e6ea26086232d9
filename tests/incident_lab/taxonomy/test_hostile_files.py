"""A hostile taxonomy extension is refused quickly: aliases, anchors, deep nesting, FIFOs, size."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from incident_lab.errors import ConfigError
from incident_lab.taxonomy.load import load_taxonomy

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_billion_laughs_is_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(LAUGHS)
    assert len(LAUGHS) < 1200
    start = time.process_time()
    with pytest.raises(ConfigError, match="anchors") as info:
        load_taxonomy(path)
    assert time.process_time() - start < 1.0
    assert info.value.line == 1 and info.value.path == str(path)


def test_alias_without_anchor_on_the_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("failure_modes: []\nsevere: *nowhere\n")
    with pytest.raises(ConfigError, match=r"aliases|not valid YAML"):
        load_taxonomy(path)


@pytest.mark.parametrize(
    "text",
    ["x: " + "[" * 5000 + "]" * 5000, "x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(2000))],
)
def test_deep_nesting_is_a_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError):
        load_taxonomy(path)


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    os.mkfifo(path)
    with pytest.raises(ConfigError, match="FIFO"):
        load_taxonomy(path)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    with open(path, "wb") as fh:
        fh.truncate(5 * 1024 * 1024)
    with pytest.raises(ConfigError, match="larger than"):
        load_taxonomy(path)
