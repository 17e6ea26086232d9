"""The add / tag / list / show / lint commands: output, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from incident_lab.cli.main import main

from .conftest import benign_trajectory, injected_trajectory, write_jsonl


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_seed_spelling_works_with_the_default_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`incident_lab add --from incident_2026-02-01/trajectories.jsonl` writes ./scenarios/<id>.yaml."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    write_jsonl(
        Path("incident_2026-02-01/trajectories.jsonl"), [benign_trajectory(), injected_trajectory()]
    )
    (tmp_path / "incident_2026-02-01" / "manifest.json").write_text(
        json.dumps({"incident_id": "incident_2026-02-01"})
    )
    code, out, err = run(capsys, "add", "--from", "incident_2026-02-01/trajectories.jsonl")
    assert code == 0, err
    files = list((tmp_path / "scenarios").glob("inc-*.yaml"))
    assert len(files) == 1 and f"[{files[0].stem}]" in out
    assert "redaction:" in out and "EMAIL" in out
    scenario = json.loads(json.dumps(__import__("yaml").safe_load(files[0].read_text())))
    assert scenario["provenance"]["incident_id"] == "incident_2026-02-01"
    assert scenario["provenance"]["bundle"] == "incident_2026-02-01"
    code, out, err = run(capsys, "add", "--from", "incident_2026-02-01/trajectories.jsonl")
    assert code == 0 and out.startswith("unchanged:"), err


def test_add_json_output(tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints only JSON on stdout with id, status, redaction and reproduction."""
    src = write_jsonl(tmp_path / "i.jsonl", [injected_trajectory()])
    code, out, _ = run(capsys, "add", "--from", str(src), "--scenarios-dir", str(library), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["status"] == "created"
    assert doc["redaction"]["EMAIL"] == 4
    assert all(r["passed"] is False for r in doc["reproduction"])


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--session", "nope"], 3, "no session 'nope' in the file; available: sess-inj-1"),
        (["--id", "../../x"], 3, "invalid scenario id '../../x'"),
        (["--severity", "SEV-9"], 3, "unknown severity 'SEV-9'"),
        (["--unsafe-step", "40"], 3, "--unsafe-step 40 does not exist"),
    ],
)
def test_add_bad_input_gets_one_line_errors(
    tmp_path: Path,
    library: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    needle: str,
) -> None:
    """Bad flags give one line on stderr, the documented exit code and no file."""
    src = write_jsonl(tmp_path / "i.jsonl", [injected_trajectory()])
    got, out, err = run(capsys, "add", "--from", str(src), "--scenarios-dir", str(library), *args)
    assert got == code and needle in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and out == ""
    assert list(library.glob("*.yaml")) == []


def test_add_without_unsafe_step_suggests_the_flag(
    tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A lone harmless session: exit 3 and a hint naming --unsafe-step."""
    src = write_jsonl(tmp_path / "ok.jsonl", [benign_trajectory()])
    code, _, err = run(capsys, "add", "--from", str(src), "--scenarios-dir", str(library))
    assert code == 3 and "--unsafe-step N" in err


def test_add_missing_file(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing --from file is exit 3 naming the path."""
    code, _, err = run(
        capsys, "add", "--from", "/nonexistent/x.jsonl", "--scenarios-dir", str(library)
    )
    assert code == 3 and "/nonexistent/x.jsonl" in err


def test_rejected_records_are_counted_and_exit_5(
    tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The scenario is written, the rejects are reported on stderr, exit 5 (partial)."""
    src = tmp_path / "mixed.jsonl"
    src.write_text(json.dumps(injected_trajectory()) + "\n{not json\n", "utf-8")
    code, out, err = run(capsys, "add", "--from", str(src), "--scenarios-dir", str(library))
    assert code == 5 and "1 input record(s) rejected" in err and "created" in out
    assert len(list(library.glob("*.yaml"))) == 1


def _added(tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]) -> str:
    src = write_jsonl(tmp_path / "i.jsonl", [injected_trajectory()])
    _, out, _ = run(capsys, "add", "--from", str(src), "--scenarios-dir", str(library), "--json")
    return str(json.loads(out)["scenario_id"])


def test_tag_list_show_round_trip(
    tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tag gates it; list shows an aligned row; show highlights the payload and expectations."""
    sid = _added(tmp_path, library, capsys)
    code, out, err = run(capsys, "list", "--scenarios-dir", str(library))
    assert code == 0 and "prompt_injection?" in out, err  # still a suggestion
    code, out, _ = run(
        capsys,
        "tag",
        sid,
        "--scenarios-dir",
        str(library),
        "--failure-mode",
        "prompt_injection",
        "--severity",
        "SEV-1",
        "--tag",
        "email",
        "--status",
        "gated",
        "--owner",
        "sec",
    )
    assert code == 0 and "status: draft -> gated" in out
    code, out, _ = run(capsys, "list", "--scenarios-dir", str(library), "--status", "gated")
    header, row = out.splitlines()
    assert header.split()[:5] == ["ID", "STATUS", "SEV", "MODE", "TITLE"]
    assert row.split()[:4] == [sid, "gated", "SEV-1", "prompt_injection"]
    assert header.index("TITLE") == row.index("Prompt")
    code, out, _ = run(capsys, "show", sid, "--scenarios-dir", str(library))
    assert code == 0
    assert ">>>Ignore all previous instructions" in out and "<<<" in out
    assert "no_tool_call" in out and "why: step 5" in out and "sha256" in out
    code, out, _ = run(capsys, "show", sid, "--scenarios-dir", str(library), "--json")
    assert json.loads(out)["id"] == sid


def test_tag_bad_values(tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown failure mode or scenario id: exit 3, one line."""
    sid = _added(tmp_path, library, capsys)
    code, _, err = run(
        capsys, "tag", sid, "--scenarios-dir", str(library), "--failure-mode", "gremlins"
    )
    assert code == 3 and "unknown failure mode 'gremlins'" in err
    code, _, err = run(capsys, "show", "nope", "--scenarios-dir", str(library))
    assert code == 3 and "no scenario 'nope'" in err


def test_list_variants_shows_parent_and_converters(
    tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A variant in variants/ is listed with its parent and converter chain."""
    import yaml

    sid = _added(tmp_path, library, capsys)
    doc = yaml.safe_load((library / f"{sid}.yaml").read_text())
    doc["id"] = f"{sid}.v1"
    doc["variant"] = {"parent": sid, "converters": ["base64", "homoglyph"], "seed": 1}
    (library / "variants").mkdir()
    (library / "variants" / f"{sid}.v1.yaml").write_text(yaml.safe_dump(doc))
    _, out, _ = run(capsys, "list", "--scenarios-dir", str(library))
    assert f"{sid}.v1" not in out
    _, out, _ = run(capsys, "list", "--scenarios-dir", str(library), "--variants")
    assert f"{sid} <- base64 <- homoglyph" in out
    code, out, _ = run(capsys, "lint", str(library))
    assert code == 0, out


# --- acceptance audit of the command line (one-line errors, exit 3, nothing created) ---


def _added_with(il: Any, tmp_path: Path, library: Path) -> str:
    src = write_jsonl(tmp_path / "i.jsonl", [injected_trajectory()])
    result = il("add", "--from", src, "--scenarios-dir", library, "--json")
    assert result.exit_code == 0, result.stderr
    return str(json.loads(result.stdout)["scenario_id"])


@pytest.mark.parametrize("blank", ["", "   "])
def test_tag_and_add_refuse_a_blank_tag(il: Any, tmp_path: Path, library: Path, blank: str) -> None:
    """`--tag ''` is a usage error (exit 3), not an empty tag written into the scenario."""
    sid = _added_with(il, tmp_path, library)
    before = (library / f"{sid}.yaml").read_bytes()
    result = il("tag", sid, "--scenarios-dir", library, "--tag", blank)
    assert result.exit_code == 3 and "--tag" in result.stderr and "is empty" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (library / f"{sid}.yaml").read_bytes() == before
    src = write_jsonl(tmp_path / "j.jsonl", [injected_trajectory("sess-inj-2")])
    result = il("add", "--from", src, "--scenarios-dir", tmp_path / "lib2", "--tag", blank)
    assert result.exit_code == 3 and "is empty" in result.stderr
    assert not (tmp_path / "lib2").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["tag", "inc-x", "--severity", "SEV-1"],
        ["show", "inc-x"],
        ["list"],
        ["lint"],
    ],
)
def test_a_missing_library_is_exit_3_and_is_not_created(
    il: Any, tmp_path: Path, argv: list[str]
) -> None:
    """tag/show/list/lint on a library that does not exist: exit 3, one line, no directory made.

    (tag used to create the directory and its lock file before failing; list said
    "no scenarios match" with exit 0, hiding a mistyped path.)
    """
    missing = tmp_path / "no-such-library"
    result = il(*argv, "--scenarios-dir", missing)
    assert result.exit_code == 3, result.stderr
    assert f"{missing}: no such scenarios directory" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    assert not missing.exists()


def test_lint_names_a_file_given_as_the_library(il: Any, tmp_path: Path) -> None:
    """A file where the library directory should be: exit 3, 'not a directory'."""
    afile = tmp_path / "x.yaml"
    afile.write_text("id: x\n")
    result = il("lint", afile)
    assert result.exit_code == 3 and "not a directory" in result.stderr


def test_lint_takes_scenarios_dir_like_every_other_command(
    il: Any, tmp_path: Path, library: Path
) -> None:
    """`lint --scenarios-dir DIR` = `lint DIR`; two different directories is a usage error."""
    _added_with(il, tmp_path, library)
    assert il("lint", "--scenarios-dir", library).exit_code == 0
    assert il("lint", library, "--scenarios-dir", library).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    result = il("lint", library, "--scenarios-dir", other)
    assert result.exit_code == 3 and "two libraries given" in result.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--severity", "SEV1"], "unknown severity 'SEV1'"),
        (["--failure-mode", "prompt-injection"], "unknown failure mode 'prompt-injection'"),
    ],
)
def test_list_refuses_a_filter_value_not_in_the_taxonomy(
    il: Any, tmp_path: Path, library: Path, args: list[str], needle: str
) -> None:
    """A typo in a filter is exit 3 naming the valid values, not an empty "no scenarios match"."""
    _added_with(il, tmp_path, library)
    result = il("list", "--scenarios-dir", library, *args)
    assert result.exit_code == 3 and needle in result.stderr and "one of:" in result.stderr
    assert result.stdout == ""


def test_list_keeps_a_multi_line_title_on_one_row(il: Any, tmp_path: Path, library: Path) -> None:
    """A title with a newline does not break the table: one row per scenario."""
    import yaml

    sid = _added_with(il, tmp_path, library)
    path = library / f"{sid}.yaml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    doc["title"] = "first line\nsecond   line"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    result = il("list", "--scenarios-dir", library)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[1].endswith("first line second line")


def test_add_of_a_gated_scenario_does_not_suggest_gating_it(
    il: Any, tmp_path: Path, library: Path
) -> None:
    """Re-adding a gated scenario says 'unchanged' without the 'gate it:' hint."""
    sid = _added_with(il, tmp_path, library)
    assert il("tag", sid, "--scenarios-dir", library, "--status", "gated").exit_code == 0
    result = il("add", "--from", tmp_path / "i.jsonl", "--scenarios-dir", library)
    assert result.exit_code == 0 and result.stdout.startswith("unchanged:")
    assert "status:       gated" in result.stdout and "gate it" not in result.stdout
