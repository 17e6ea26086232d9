from pathlib import Path

import pytest


def test_empty_scenario_file_says_so(tmp_path) -> None:
    """An empty scenario file is reported as empty, not as a type name."""
    import pytest

    from incident_lab.errors import SchemaError
    from incident_lab.scenarios.io import load_scenario

    path = tmp_path / "x.yaml"
    path.write_text("")
    with pytest.raises(SchemaError, match="empty"):
        load_scenario(path)


def _listing_by_pathlib(directory: Path | str, variants: bool) -> list[Path]:
    """The listing as it was built with pathlib (the reference for the string form)."""
    base = Path(directory)
    files = sorted(
        (p for p in base.iterdir() if p.suffix in (".yaml", ".yml")), key=lambda p: p.name
    )
    if variants and (base / "variants").is_dir():
        files += sorted(p for p in (base / "variants").iterdir() if p.suffix in (".yaml", ".yml"))
    return files


@pytest.mark.parametrize("spelling", ["plain", "trailing-slash", "dot-dot", "relative", "dot"])
def test_scenario_files_as_strings_are_the_pathlib_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    from incident_lab.scenarios.io import iter_scenario_files, iter_scenario_paths

    lib = tmp_path / "lib"
    (lib / "variants").mkdir(parents=True)
    (lib / "suites").mkdir()
    names = ["b.yaml", "a.yml", "B.yaml", ".yaml", "..yaml", "x.yaml.", "c.YAML", "d.json",
             "e.tar.yaml", "f. yaml", "é.yaml", "g.yaml~"]  # fmt: skip
    for name in names:
        (lib / name).write_text("x", "utf-8")
        (lib / "variants" / name).write_text("x", "utf-8")
    (lib / "dir.yaml").mkdir()  # not a file: listed all the same (the loader refuses it)
    (lib / "suites" / "s.yaml").write_text("x", "utf-8")
    monkeypatch.chdir(lib if spelling == "dot" else tmp_path)
    directory = {
        "dot": ".",
        "plain": str(lib),
        "trailing-slash": f"{lib}/",
        "dot-dot": f"{lib}/variants/..",
        "relative": "lib",
    }[spelling]
    for variants in (False, True):
        expected = _listing_by_pathlib(directory, variants)
        got = iter_scenario_files(directory, variants=variants)
        assert got == [str(p) for p in expected]
        assert iter_scenario_paths(directory, variants=variants) == expected
    listed = {Path(p).name for p in iter_scenario_files(lib)}
    assert listed == {"b.yaml", "a.yml", "B.yaml", "..yaml", "e.tar.yaml", "é.yaml", "dir.yaml"}
    assert iter_scenario_files(tmp_path / "missing") == []
