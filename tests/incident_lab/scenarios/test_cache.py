"""The compiled scenario cache: an unchanged file is served without parsing, a changed one
never is (same-size edits with the mtime put back, touch, rename, delete, a damaged or
foreign cache file, an unwritable cache directory, two writers at once, racy timestamps)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from incident_lab.errors import InputError, SchemaError, UsageError
from incident_lab.scenarios import cache as cache_mod
from incident_lab.scenarios.cache import ScenarioCache, cache_mode, cache_path
from incident_lab.scenarios.io import load_scenario, write_scenario
from tests.regression_suite._library import scenario, variant, write


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache-home"
    monkeypatch.setenv(cache_mod.DIR_ENV, str(home))
    monkeypatch.delenv(cache_mod.MODE_ENV, raising=False)
    return home


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    base = tmp_path / "lib"
    write(base, scenario("inc-a", title="alpha"), scenario("inc-b", title="bravo"))
    return base


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every scenario file the cache parses (a hit parses nothing)."""
    seen: list[Path] = []
    real = cache_mod.parse_scenario

    def spy(text: str, path: Any, **kw: Any) -> Any:
        seen.append(Path(path))
        return real(text, path, **kw)

    monkeypatch.setattr(cache_mod, "parse_scenario", spy)
    return seen


def _age(path: Path, seconds: float = 60.0) -> None:
    """Move the file's times into the past (a file edited long before the run)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def _load_all(base: Path, mode: str | None = None) -> tuple[dict[str, Any], ScenarioCache]:
    with ScenarioCache.open(base, mode) as files:
        docs = {p.stem: files.load(p) for p in sorted(base.glob("*.yaml"))}
    return docs, files


def _old_cache(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries stamped long after the files changed: trusted on stat data alone."""
    for p in base.glob("*.yaml"):
        _age(p)
    real = cache_mod.time.time_ns
    monkeypatch.setattr(cache_mod.time, "time_ns", lambda: real() + 10**11)
    _load_all(base)
    monkeypatch.setattr(cache_mod.time, "time_ns", real)


def test_second_load_parses_nothing_and_equals_load_scenario(
    lib: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_cache(lib, monkeypatch)
    assert len(parses) == 2
    parses.clear()
    docs, files = _load_all(lib)
    assert parses == [] and files.hits == 2 and files.misses == 0
    assert docs == {p.stem: load_scenario(p) for p in lib.glob("*.yaml")}
    assert cache_path(lib).is_file()
    assert lib.resolve() not in cache_path(lib).parents  # never inside the library


def test_same_size_edit_with_mtime_put_back_is_reparsed(
    lib: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_cache(lib, monkeypatch)
    path = lib / "inc-a.yaml"
    before = path.stat()
    text = path.read_text("utf-8")
    assert "title: alpha" in text
    path.write_text(text.replace("title: alpha", "title: omega"), "utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # size and mtime as before
    assert path.stat().st_size == before.st_size
    parses.clear()
    docs, _ = _load_all(lib)
    assert docs["inc-a"]["title"] == "omega"
    assert parses == [path]


def test_touch_keeps_content_served_by_digest_and_restamped(
    lib: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_cache(lib, monkeypatch)
    path = lib / "inc-b.yaml"
    os.utime(path)  # touch: new times (the change time too), same content
    real = cache_mod.time.time_ns
    monkeypatch.setattr(cache_mod.time, "time_ns", lambda: real() + 10**11)  # a run later on
    parses.clear()
    docs, files = _load_all(lib)
    assert docs["inc-b"]["title"] == "bravo" and parses == [] and files.hits == 2
    # restamped: the next run trusts its stat data (no read of the file at all)
    monkeypatch.setattr(cache_mod, "read_bounded", lambda *a, **k: pytest.fail("read"))
    _, files = _load_all(lib)
    assert files.hits == 2


def test_rename_and_delete(lib: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    _old_cache(lib, monkeypatch)
    # inc-b's file replaced by inc-a's (rename over it): same name, other content
    os.replace(lib / "inc-a.yaml", lib / "inc-b.yaml")
    parses.clear()
    docs, _ = _load_all(lib)
    assert list(docs) == ["inc-b"] and docs["inc-b"]["title"] == "alpha"
    assert parses == [lib / "inc-b.yaml"]
    lines = cache_path(lib).read_bytes().splitlines()[1:]
    assert [line.split(b"\t")[0] for line in lines] == [b"inc-b.yaml"]  # inc-a dropped


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b"not json at all\n" + b,  # foreign header
        lambda b: b[: len(b) // 2],  # truncated mid-line
        lambda b: b.replace(b"alpha", b"alphz"),  # a flipped byte inside a cached document
        lambda b: b"",  # empty
    ],
)
def test_damaged_cache_is_never_served(
    lib: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch, damage: Any
) -> None:
    _old_cache(lib, monkeypatch)
    path = cache_path(lib)
    path.write_bytes(damage(path.read_bytes()))
    parses.clear()
    docs, _ = _load_all(lib)
    assert docs["inc-a"]["title"] == "alpha" and docs["inc-b"]["title"] == "bravo"
    assert lib / "inc-a.yaml" in parses
    docs, files = _load_all(lib)  # rewritten whole
    assert files.misses == 0 and docs["inc-a"]["title"] == "alpha"


def test_cache_of_other_schemas_is_ignored(
    lib: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_cache(lib, monkeypatch)
    monkeypatch.setattr(cache_mod, "_fingerprint", lambda: "another-version")
    parses.clear()
    _load_all(lib)
    assert len(parses) == 2


def test_racy_timestamps_are_checked_by_content(
    lib: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A coarse clock can leave a file edited right after it was cached with the very
    same stat data: such an entry is checked by content, never trusted on stat."""
    path = lib / "inc-a.yaml"
    stale = path.stat()
    _load_all(lib)  # cached within the same instant the file was written
    path.write_text(path.read_text("utf-8").replace("alpha", "omega"), "utf-8")
    real_stat = os.stat
    monkeypatch.setattr(
        cache_mod.os, "stat", lambda p, *a, **k: stale if Path(p) == path else real_stat(p)
    )
    parses.clear()
    docs, _ = _load_all(lib)
    assert docs["inc-a"]["title"] == "omega" and parses == [path]


def test_verify_checks_every_entry_by_content(
    lib: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_cache(lib, monkeypatch)
    path = lib / "inc-a.yaml"
    stale = path.stat()
    path.write_text(path.read_text("utf-8").replace("alpha", "omega"), "utf-8")
    real_stat = os.stat
    monkeypatch.setattr(
        cache_mod.os, "stat", lambda p, *a, **k: stale if Path(p) == path else real_stat(p)
    )
    # stat data that cannot be told apart (on an old entry) is trusted: what verify is for
    docs, _ = _load_all(lib, "on")
    assert docs["inc-a"]["title"] == "alpha"
    parses.clear()
    docs, _ = _load_all(lib, "verify")
    assert docs["inc-a"]["title"] == "omega" and parses == [path]


def test_off_reads_and_writes_no_cache(lib: Path, parses: list[Path]) -> None:
    _load_all(lib, "off")
    _load_all(lib, "off")
    assert len(parses) == 4 and not cache_path(lib).exists()


def test_mode_from_environment_and_bad_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache_mod.MODE_ENV, "OFF")
    assert cache_mode() == "off" and cache_mode("verify") == "verify"
    monkeypatch.setenv(cache_mod.MODE_ENV, "sometimes")
    with pytest.raises(UsageError, match="sometimes"):
        cache_mode()


def test_unwritable_cache_dir_warns_once_and_loads(
    lib: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    monkeypatch.setenv(cache_mod.DIR_ENV, str(blocked))
    docs, files = _load_all(lib)
    assert docs["inc-a"]["title"] == "alpha" and files.misses == 2
    err = capsys.readouterr().err
    assert err.count("scenario cache not written") == 1 and cache_mod.DIR_ENV in err


def test_two_writers_leave_one_whole_cache(
    lib: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for p in lib.glob("*.yaml"):
        _age(p)
    first, second = ScenarioCache.open(lib), ScenarioCache.open(lib)
    a = [first.load(p) for p in sorted(lib.glob("*.yaml"))]
    b = [second.load(p) for p in sorted(lib.glob("*.yaml"))]
    second.save()
    first.save()  # renamed over the other: the last whole cache wins
    assert a == b
    assert not list(cache_path(lib).parent.glob(".*.tmp"))  # no temporary file left
    parses.clear()
    docs, files = _load_all(lib)
    assert files.hits == 2 and parses == [] and docs["inc-b"]["title"] == "bravo"


def test_invalid_file_is_never_cached(lib: Path, parses: list[Path]) -> None:
    bad = lib / "inc-c.yaml"
    bad.write_text("schema_version: scenario/v1\nid: inc-c\n", "utf-8")
    for _ in range(2):
        with pytest.raises(SchemaError), ScenarioCache.open(lib) as files:
            files.load(bad)
    assert parses.count(bad) == 2


def test_document_json_cannot_carry_is_parsed_each_time(
    lib: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A YAML timestamp in a free-form field would come back from JSON as a string."""
    doc = scenario("inc-d")
    doc["recording"]["steps"][0]["when"] = "2026-12-01"
    path, _ = write_scenario(lib, doc)
    path.write_text(path.read_text("utf-8").replace("'2026-12-01'", "2026-12-01"), "utf-8")
    expected = load_scenario(path)
    assert type(expected["recording"]["steps"][0]["when"]).__name__ == "date"
    _old_cache(lib, monkeypatch)
    parses.clear()
    docs, _ = _load_all(lib)
    assert docs["inc-d"] == expected and parses == [path]


def test_reference_variant_is_materialised_from_cached_document(
    tmp_path: Path,
) -> None:
    from incident_lab.scenarios.reference import to_reference

    base = tmp_path / "lib"
    parent = scenario("inc-p")
    full = variant("inc-p-v", "inc-p", ["base64"])
    full["title"] = "a variant with its own title"
    write(base, parent)
    ref = to_reference(parent, full)
    assert ref is not None
    write_scenario(base, ref, variant=True)
    vpath = base / "variants" / "inc-p-v.yaml"
    expected = load_scenario(vpath)
    for _ in range(2):
        with ScenarioCache.open(base) as files:
            assert files.load(vpath) == expected


def test_unreadable_file_error_is_the_loaders(lib: Path) -> None:
    fifo = lib / "inc-f.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"), ScenarioCache.open(lib) as files:
        files.load(fifo)


def test_rewrite_keeps_served_and_unvisited_entries(
    lib: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that parses one file writes a new cache with the lines it served unchanged
    and the lines of files it never looked at (a suite naming a few ids)."""
    write(lib, scenario("inc-c", title="charlie"))
    _old_cache(lib, monkeypatch)
    path = lib / "inc-a.yaml"
    path.write_text(path.read_text("utf-8").replace("alpha", "omega"), "utf-8")
    _age(path)
    parses.clear()
    with ScenarioCache.open(lib) as files:  # inc-c is not looked up
        assert files.load(path)["title"] == "omega"
        assert files.load(lib / "inc-b.yaml")["title"] == "bravo"
    assert parses == [path]
    parses.clear()
    docs, files = _load_all(lib)
    assert parses == [] and files.hits == 3
    assert [docs[k]["title"] for k in ("inc-a", "inc-b", "inc-c")] == ["omega", "bravo", "charlie"]


@pytest.mark.parametrize(
    ("value", "exact"),
    [
        ({"a": [1, 2.5, -0.0, True, None, "x"]}, True),
        ({"a": float("nan")}, False),
        ({"a": float("inf")}, False),
        ({1: "int key"}, False),
        ({"a": 2**64}, False),
        ({"a": __import__("datetime").date(2026, 12, 1)}, False),
        ({"a": ("tuple",)}, False),
    ],
)
def test_only_documents_json_gives_back_exactly_are_cached(value: Any, exact: bool) -> None:
    import orjson

    assert cache_mod._json_exact(value) is exact
    if exact:
        assert orjson.loads(orjson.dumps(value)) == value


# -- housekeeping -----------------------------------------------------------------------


def test_a_cache_served_whole_is_marked_used(lib: Path, parses: list[Path]) -> None:
    """A run served entirely from the cache rewrites nothing but refreshes the cache
    file's modification time: "unused for UNUSED_S" means unused."""
    _load_all(lib)
    for p in lib.glob("*.yaml"):
        _age(p, 120)
    _load_all(lib)  # restamped (racy entries): rewritten
    path = cache_path(lib)
    content = path.read_bytes()
    _backdate(path, cache_mod.UNUSED_S + 60)
    parses.clear()
    _load_all(lib)
    assert parses == [] and path.read_bytes() == content
    assert os.stat(path).st_mtime > time.time() - 60


def test_sweep_keeps_the_cache_of_a_non_utf8_library(tmp_path: Path) -> None:
    """A library whose path is not UTF-8 is named in the header losslessly: its cache is
    attributed (kept while the library exists), and goes like any other once it is gone."""
    weird = tmp_path / os.fsdecode(b"lib-\xff")
    write(weird, scenario("inc-w"))
    _load_all(weird)
    path = cache_path(weird)
    header = json.loads(path.read_bytes().split(b"\n", 1)[0])
    assert bytes.fromhex(header["library_hex"]) == os.fsencode(os.path.realpath(weird))
    _backdate(path, 2 * cache_mod.UNUSED_S)
    assert cache_mod.sweep(path.parent) == []
    weird.rename(tmp_path / "elsewhere")
    assert cache_mod.sweep(path.parent) == [path]


def test_sweep_keeps_a_cache_whose_library_it_cannot_see(
    lib: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library this machine cannot stat (permission denied, a stale mount) is not gone:
    its cache is never swept, however old."""
    _load_all(lib)
    path = cache_path(lib)
    _backdate(path, 2 * cache_mod.UNUSED_S)
    real_stat, library = os.stat, os.path.realpath(lib)

    def denied(target: Any, *args: Any, **kwargs: Any) -> Any:
        if os.fspath(target) == library:
            raise PermissionError(13, "Permission denied", library)
        return real_stat(target, *args, **kwargs)

    monkeypatch.setattr(cache_mod.os, "stat", denied)
    monkeypatch.setattr(cache_mod.os.path, "isdir", lambda p: False)  # as when unseen
    assert cache_mod.sweep(path.parent) == []
    assert path.exists()


def test_sweep_removes_only_the_temporary_files_the_cache_names(lib: Path) -> None:
    """Another program's ``.*.jsonl.*.tmp`` file in the cache directory is not ours."""
    _load_all(lib)
    folder = cache_path(lib).parent
    foreign = [
        folder / ".export.jsonl.bak.tmp",
        folder / f".{'e' * 32}.jsonl.abc.tmp",
        folder / f".{'e' * 32}.jsonl.abcdefgh.bak.tmp",
        folder / f".x{'e' * 32}.jsonl.abcdefgh.tmp",
    ]
    ours = folder / f".{'e' * 32}.jsonl.a_c0efgh.tmp"
    for path in (*foreign, ours):
        path.write_bytes(b"data")
        _backdate(path, 2 * cache_mod.UNUSED_S)
    assert cache_mod.sweep(folder) == [ours]
    assert all(path.exists() for path in foreign)


def _backdate(path: Path, seconds: float) -> None:
    """Set the file's modification time ``seconds`` into the past."""
    when = path.stat().st_mtime - seconds
    os.utime(path, (when, when), follow_symlinks=False)


def test_moving_a_library_sweeps_its_old_cache_file_once_it_is_long_unused(
    lib: Path, tmp_path: Path
) -> None:
    """The cache file of a library that moved goes when the next cache is written, but
    only once it has been unused for UNUSED_S (the library may exist on another machine
    sharing the cache directory); the library's new cache and a live one stay."""
    other = tmp_path / "other"
    write(other, scenario("inc-z"))
    _load_all(lib)
    _load_all(other)
    old_cache, other_cache = cache_path(lib), cache_path(other)
    moved = tmp_path / "moved"
    lib.rename(moved)
    _backdate(old_cache, cache_mod.STALE_S / 2)
    _load_all(moved)  # writes the moved library's cache, sweeps: too recent to go
    assert old_cache.exists()
    _backdate(old_cache, cache_mod.UNUSED_S - 3 * cache_mod.STALE_S)
    assert cache_mod.sweep(old_cache.parent) == []  # missing here, but used this month
    _backdate(old_cache, 3 * cache_mod.STALE_S)
    _backdate(other_cache, 2 * cache_mod.UNUSED_S)  # old, but its library exists
    (moved / "inc-a.yaml").write_text(
        (moved / "inc-a.yaml").read_text("utf-8").replace("alpha", "alpha2"), "utf-8"
    )
    docs, _ = _load_all(moved)  # an edit: a new cache is written, and the sweep runs
    assert docs["inc-a"]["title"] == "alpha2"
    assert not old_cache.exists()
    assert other_cache.exists() and cache_path(moved).exists()


def test_sweep_removes_a_killed_writers_temporary_file_but_not_a_live_one(
    lib: Path,
) -> None:
    """A temporary file nobody renamed (the writer was killed) goes once it is stale; one
    written within STALE_S (a writer still at work) stays."""
    _load_all(lib)
    folder = cache_path(lib).parent
    dead = folder / f".{cache_path(lib).name}.k1ll3d_z.tmp"  # as mkstemp names them
    live = folder / f".{cache_path(lib).name}.st1ll0n_.tmp"
    dead.write_bytes(b'{"format": 2}\npartial')
    live.write_bytes(b'{"format": 2}\n')
    _backdate(dead, cache_mod.STALE_S + 5)
    _backdate(live, cache_mod.STALE_S - 60)
    assert cache_mod.sweep(folder) == [dead]
    assert live.exists() and cache_path(lib).exists()


def test_sweep_leaves_what_it_cannot_attribute_until_it_is_long_unused(
    lib: Path, tmp_path: Path
) -> None:
    """A cache file naming no library (an older format) goes only after UNUSED_S; a
    header naming a library the file name does not match, other names, directories and
    symbolic links are never touched."""
    _load_all(lib)
    folder = cache_path(lib).parent
    unattributed = folder / ("a" * 32 + ".jsonl")
    unattributed.write_bytes(b'{"format": 1, "fingerprint": "x"}\n')
    mismatched = folder / ("b" * 32 + ".jsonl")
    mismatched.write_bytes(b'{"format": 2, "library": "/no/such/library"}\n')
    stranger = folder / "notes.txt"
    stranger.write_text("mine")
    subdir = folder / ("c" * 32 + ".jsonl")
    subdir.mkdir()
    link = folder / ("d" * 32 + ".jsonl")
    link.symlink_to(unattributed)
    for path in (unattributed, mismatched, stranger, link):
        _backdate(path, 2 * cache_mod.STALE_S)
    assert cache_mod.sweep(folder) == []
    for path in (unattributed, stranger, link, subdir):
        _backdate(path, cache_mod.UNUSED_S)
    assert cache_mod.sweep(folder) == [unattributed]
    assert mismatched.exists() and stranger.exists() and subdir.is_dir() and link.is_symlink()
    assert cache_path(lib).exists()
    assert cache_mod.sweep(tmp_path / "no-such-dir") == []


def test_cache_header_names_its_library(
    lib: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header names the library's real path (what the sweep checks); a cache of the
    previous format (no library) is not served (one cold run), and is rewritten."""
    _old_cache(lib, monkeypatch)
    first, rest = cache_path(lib).read_bytes().split(b"\n", 1)
    header = json.loads(first)
    assert header["library"] == os.path.realpath(lib) and header["format"] == cache_mod.FORMAT
    previous = {"format": 1, "fingerprint": header["fingerprint"]}
    cache_path(lib).write_bytes(json.dumps(previous).encode() + b"\n" + rest)
    parses.clear()
    _load_all(lib)
    assert len(parses) == 2
    assert json.loads(cache_path(lib).read_bytes().split(b"\n", 1)[0]) == header
