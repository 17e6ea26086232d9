"""The add / tag / list / show / lint commands: output, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert code == 0 and out.startswith("unchanged:")


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
