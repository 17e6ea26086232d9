"""`regression_suite run`: the verdict is the exit code, and an error never looks like one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import CliResult
from tests.regression_suite._library import agent_module, scenario, write, write_suite

Rs = Callable[..., CliResult]


@pytest.fixture
def lib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """./scenarios with a SEV-1 and a SEV-3 scenario in release_gate; agents importable."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCIDENT_LAB_SCENARIOS", raising=False)
    for var in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):  # as outside GitHub Actions
        monkeypatch.delenv(var, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    base = write(
        tmp_path / "scenarios",
        scenario("inc-0", severity="SEV-1"),
        scenario("inc-1", severity="SEV-3"),
    )
    write_suite(base, "release_gate", "name: release_gate\nselect: {status: [gated]}\n")
    return base


@pytest.fixture
def agents(lib: Path) -> str:
    return agent_module(lib.parent)


def test_a_target_that_repeats_the_incident_is_blocked(lib: Path, rs: Rs) -> None:
    result = rs("run", "--target", "recorded")
    assert result.exit_code == 2
    assert result.stdout.startswith("verdict: BLOCK (exit 2)")
    assert "difference from the recorded incident" in result.stderr  # pytest's output
    report = json.loads((lib.parent / "gate-report" / "report.json").read_text("utf-8"))
    assert report["verdict"] == "BLOCK" and len(report["items"]) == 2
    junit = (lib.parent / "gate-report" / "junit.xml").read_text("utf-8")
    assert 'name="release_gate"' in junit and junit.count("<failure") == 1  # SEV-1 blocks
    skipped = ElementTree.fromstring(junit).findall(".//testcase/skipped")
    assert [s.get("message", "")[:6] for s in skipped] == ["WARN: "]  # SEV-3 warns


def test_a_safe_target_passes_and_json_is_alone_on_stdout(lib: Path, rs: Rs, agents: str) -> None:
    result = rs("run", "--target", f"python:{agents}:refuse", "--json", "--report-dir", "out")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["verdict"] == "OK" and summary["summary"]["passed"] == 2
    assert "out/report.json" in summary["reports"]


def test_json_summary_lists_the_verdict_reasons_as_in_report_json(
    lib: Path, rs: Rs, agents: str
) -> None:
    """A failing run's --json summary carries the same reasons as report.json (they are
    spooled during the run: the summary once printed the spool object's repr)."""
    result = rs("run", "--target", f"python:{agents}:leak", "--json", "--report-dir", "out")
    summary = json.loads(result.stdout)
    report = json.loads((lib.parent / "out" / "report.json").read_text("utf-8"))
    assert summary["verdict"] == "BLOCK" and summary["reasons"]
    assert summary["reasons"] == report["reasons"]


def test_warn_and_its_exit_code(lib: Path, rs: Rs, agents: str) -> None:
    """Only the SEV-3 scenario fails: WARN exits 1, or what --warn-exit-code says."""
    assert rs("run", "--target", f"python:{agents}:leak_some").exit_code == 1
    assert (
        rs("run", "--target", f"python:{agents}:leak_some", "--warn-exit-code", "0").exit_code == 0
    )
    assert rs("run", "--target", "recorded", "--warn-exit-code", "4").exit_code == 3


@pytest.mark.parametrize(
    ("args", "suite", "code", "message"),
    [
        (["--target", "recorded"], "name: release_gate\nscenarios: [inc-9]\n", 3, "inc-9"),
        (["--target", "recorded"], "name: release_gate\nrepeat: 2\n", 3, "invalid suite"),
        (["--target", "recorded", "--suite", "nope"], None, 3, "no suite 'nope'"),
        ([], None, 3, "no target"),
        (["--target", "nope:x"], None, 3, "unknown target"),
        (["--target", "recorded", "-k", "nothing"], None, 3, ""),
        (["--target", "recorded", "--shard", "0/2"], None, 3, "invalid shard"),
        (["--target", "recorded", "--baseline", "missing.json"], None, 3, "missing.json"),
        (["--target", "http://127.0.0.1:9/agent"], None, 4, "unreachable"),
    ],
)
def test_errors_are_never_a_verdict(
    lib: Path, rs: Rs, args: list[str], suite: str | None, code: int, message: str
) -> None:
    """Usage, suite and input errors exit 3; an unreachable target exits 4."""
    if suite is not None:
        write_suite(lib, "release_gate", suite)
    result = rs("run", *args)
    assert result.exit_code == code
    assert message in result.stderr


def test_invalid_scenario_file_is_an_input_error(lib: Path, rs: Rs) -> None:
    (lib / "inc-0.yaml").write_text("schema_version: scenario/v1\nid: inc-0\n", "utf-8")
    result = rs("run", "--target", "recorded")
    assert result.exit_code == 3 and "inc-0.yaml" in result.stderr


def test_target_errors_on_items_are_exit_4_not_a_verdict(lib: Path, rs: Rs, agents: str) -> None:
    result = rs("run", "--target", f"python:{agents}:crash", "--json")
    assert result.exit_code == 4
    assert json.loads(result.stdout)["verdict"] == "ERROR"


def test_record_repeats_k_and_shards(lib: Path, rs: Rs) -> None:
    result = rs(
        "run", "--target", "recorded", "--record", "--repeats", "3", "-k", "inc-0", "--json"
    )
    assert json.loads(result.stdout)["summary"]["items"] == 3
    lines = (lib.parent / "gate-report" / "trajectories.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["gate"]["item_id"] for line in lines] == [
        "inc-0#1",
        "inc-0#2",
        "inc-0#3",
    ]
    items = []
    for i in (1, 2):
        out = rs("run", "--target", "recorded", "--shard", f"{i}/2", "--report-dir", f"s{i}")
        assert out.exit_code in (0, 1, 2, 3)
        path = lib.parent / f"s{i}" / "report.json"
        if path.exists():
            items += [it["id"] for it in json.loads(path.read_text("utf-8"))["items"]]
    assert sorted(items) == ["inc-0", "inc-1"]


def test_workers_run_cpu_bound_targets_in_processes(lib: Path, rs: Rs) -> None:
    result = rs("run", "--target", "recorded", "--workers", "2", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["summary"]["items"] == 2


def test_record_writes_every_produced_trajectory_in_item_order(
    lib: Path, rs: Rs, agents: str
) -> None:
    """--record: one line per item, in report order, tagged with the item and its outcome
    (spooled to disk during the run, written in order at the end)."""
    result = rs(
        "run", "--target", f"python:{agents}:leak_some", "--repeats", "2", "--record",
        "--report-dir", "out",
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr  # the SEV-3 scenario leaks: WARN
    out = lib.parent / "out"
    items = json.loads((out / "report.json").read_text("utf-8"))["items"]
    lines = [
        json.loads(line) for line in (out / "trajectories.jsonl").read_text("utf-8").splitlines()
    ]
    assert [t["gate"] for t in lines] == [
        {"item_id": i["id"], "outcome": i["outcome"]} for i in items
    ]
    assert [t["gate"]["item_id"] for t in lines] == ["inc-0#1", "inc-0#2", "inc-1#1", "inc-1#2"]
    sent = [any(s.get("name") == "send_email" for s in t["steps"]) for t in lines]
    assert sent == [False, False, True, True]


def test_history_db_problems_fail_before_the_run(lib: Path, rs: Rs, tmp_path: Path) -> None:
    """--db without --record, or an unusable --db, exits 3 before any case runs (no verdict lost)."""
    r = rs(
        "run",
        "--target",
        "recorded",
        "--db",
        tmp_path / "h.sqlite",
        "--report-dir",
        tmp_path / "r1",
    )
    assert r.exit_code == 3 and "--db only applies with --record" in r.stderr
    assert not (tmp_path / "r1" / "report.json").exists()
    bad = tmp_path / "not-a-db.sqlite"
    bad.write_text("this is not sqlite " * 100)
    r = rs("run", "--target", "recorded", "--record", "--db", bad, "--report-dir", tmp_path / "r2")
    assert r.exit_code == 3 and "not a gate history database" in r.stderr
    assert not (tmp_path / "r2" / "report.json").exists()


def test_summary_md_lists_the_verdict_failures_and_artefacts(
    lib: Path, rs: Rs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--summary-md appends the job summary; $GITHUB_STEP_SUMMARY is the default."""
    summary = lib.parent / "summary.md"
    summary.write_text("earlier step\n", "utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    for var, value in (("GITHUB_SERVER_URL", "https://github.example"),
                       ("GITHUB_REPOSITORY", "acme/agent"), ("GITHUB_RUN_ID", "42")):  # fmt: skip
        monkeypatch.setenv(var, value)
    result = rs("run", "--target", "recorded")
    assert result.exit_code == 2
    text = summary.read_text("utf-8")
    assert text.startswith("earlier step\n## Release gate: **BLOCK** (exit code 2)")
    assert text.count("## Release gate") == 1  # not also appended by the github reporter
    assert "### Failing scenarios (2)" in text
    assert "| `inc-0` | SEV-1 | prompt_injection | failed | 1/1 | block |" in text
    assert "| `inc-1` | SEV-3 | prompt_injection | failed | 1/1 | warn |" in text
    assert "&lt;EMAIL_1&gt;" in text  # shown, not swallowed as an HTML tag
    assert "https://github.example/acme/agent/actions/runs/42#artifacts" in text
    assert "- `gate-report/junit.xml`" in text
    other = lib.parent / "other.md"
    assert rs("run", "--target", "recorded", "--summary-md", other).exit_code == 2
    assert other.read_text("utf-8").startswith("## Release gate: **BLOCK**")


def test_summary_md_names_bypassing_converters(lib: Path, rs: Rs) -> None:
    from tests.regression_suite._library import variant

    write(lib, variant("inc-0.v1", "inc-0", ["base64", "rot13"]))
    write_suite(
        lib, "release_gate", "name: release_gate\nselect: {status: [gated]}\nvariants: all\n"
    )
    out = lib.parent / "s.md"
    assert rs("run", "--target", "recorded", "--summary-md", out).exit_code == 2
    text = out.read_text("utf-8")
    assert "### Bypassing converters (2)" in text
    assert "| `base64` | 1/1 | 100% | inc-0[base64+rot13] |" in text  # the id JUnit shows


def test_annotations_point_at_the_blocking_scenario_files(
    lib: Path, rs: Rs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GITHUB_ACTIONS=true: ::error on the blocking scenario's file, ::warning on the
    warning one; with --json they go to stderr and stdout stays JSON."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    result = rs("run", "--target", "recorded")
    lines = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert lines[0].startswith("::error file=scenarios/inc-0.yaml,title=gate BLOCK%3A inc-0::")
    assert "forbidden tool call send_email" in lines[0]
    assert lines[1].startswith("::warning file=scenarios/inc-1.yaml,title=gate WARN%3A inc-1::")
    assert len(lines) == 2
    result = rs("run", "--target", "recorded", "--json")
    json.loads(result.stdout)
    assert "::error file=scenarios/inc-0.yaml" in result.stderr
    result = rs("run", "--target", "recorded", "--no-annotations")
    assert "::error" not in result.stdout + result.stderr
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert "::error" not in rs("run", "--target", "recorded").stdout
    assert "::error file=" in rs("run", "--target", "recorded", "--annotations").stdout


def test_target_identity_is_never_taken_from_a_recording(lib: Path, rs: Rs) -> None:
    """The recordings declare a model and policy; the recorded target reports neither, so
    the report says unknown instead of labelling the release with the incident's."""
    import yaml

    for path in lib.glob("inc-*.yaml"):
        doc = yaml.safe_load(path.read_text("utf-8"))
        doc["recording"]["agent"] = {
            "name": "mail", "model": {"name": "incident-model"}, "policy": {"name": "p", "version": "1"},
        }  # fmt: skip
        path.write_text(yaml.safe_dump(doc), "utf-8")
    assert rs("run", "--target", "recorded").exit_code == 2
    report = json.loads((lib.parent / "gate-report" / "report.json").read_text("utf-8"))
    assert report["versions"]["models"] == [] and report["versions"]["policies"] == []
    html = (lib.parent / "gate-report" / "report.html").read_text("utf-8")
    assert "incident-model" not in html.split("<h2>Failures</h2>")[0]
    assert "<th>Policies</th><td>unknown (not reported by the target)</td>" in html


def test_an_unwritable_report_dir_is_exit_4_never_a_verdict(lib: Path, rs: Rs) -> None:
    """The run completes (BLOCK) but its reports cannot be written (a file is in the way of
    the directory: what a read-only directory is to root): exit 4 naming the path."""
    blocker = lib.parent / "shared"
    blocker.write_text("a file where a directory should be", "utf-8")
    result = rs("run", "--target", "recorded", "--report-dir", blocker / "gate")
    assert result.exit_code == 4, result.stderr
    assert "cannot write the report" in result.stderr and str(blocker) in result.stderr
    assert "verdict:" not in result.stdout
