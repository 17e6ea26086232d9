"""Built-in reporters register through the plugin manager; write_reports runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_lab.errors import UsageError
from incident_lab.plugins import collect
from regression_suite.reports import write_reports
from regression_suite.reports.markdown_report import render_markdown


def test_builtin_reporters_are_plugins() -> None:
    assert {"json", "html", "markdown", "github"} <= set(collect("register_reporters"))


def test_write_reports_writes_json_html_markdown(
    tmp_path: Path, item, make_report, monkeypatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    out = tmp_path / "gate" / "nested"
    files = write_reports(make_report([item("a")]), out)
    assert [f.name for f in files] == ["report.json", "report.html", "report.md"]
    assert all(f.stat().st_size > 0 for f in files)


def test_github_step_summary_is_appended(tmp_path: Path, item, make_report, monkeypatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", "utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    write_reports(make_report([item("a", "failed")]), tmp_path / "r", ["github"])
    text = summary.read_text("utf-8")
    assert text.startswith("earlier step\n")
    assert "## Release gate: **BLOCK** (exit code 2)" in text


def test_unknown_reporter_is_a_usage_error(tmp_path: Path, item, make_report) -> None:
    with pytest.raises(UsageError, match="unknown reporter"):
        write_reports(make_report([item("a")]), tmp_path, ["pdf"])


def test_markdown_escapes_table_pipes(item, make_report) -> None:
    report = make_report(
        [
            item("a"),
            item("a.v", "failed", parent_id="a", variant={"converters": ["pipe|conv"], "seed": 1}),
        ]
    )
    text = render_markdown(report)
    assert "`pipe\\|conv`" in text
    assert "| converter | bypassed variants | bypass rate |" in text
