"""Built-in reporters register through the plugin manager; write_reports runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from incident_lab.errors import EXIT_EXTERNAL, ExternalError, UsageError
from incident_lab.plugins import collect
from regression_suite.reports import write_reports
from regression_suite.reports.markdown_report import render_markdown


def test_builtin_reporters_are_plugins() -> None:
    assert {"json", "html", "markdown", "junit", "github"} <= set(collect("register_reporters"))


def test_write_reports_writes_json_html_markdown_junit(
    tmp_path: Path, item, make_report, monkeypatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    out = tmp_path / "gate" / "nested"
    files = write_reports(make_report([item("a")]), out)
    assert [f.name for f in files] == ["report.json", "report.html", "report.md", "junit.xml"]
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


@pytest.mark.parametrize("render", ["render_markdown", "render_step_summary"])
def test_a_backtick_or_line_break_in_a_name_stays_inside_its_code_span(
    render: str, item, make_report
) -> None:
    """A suite or target name is shown verbatim in one code span: a backtick in it cannot
    close the span (and turn the rest into Markdown/HTML of a PR comment), a line break
    cannot start a new block."""
    from regression_suite.reports import markdown_report

    report = make_report(
        [item("a")],
        suite={"name": "gate`<img src=x>", "path": "s.yaml"},
        target={"spec": "py:agent\n# Release gate: **OK**"},
    )
    args = (report,) if render == "render_markdown" else (report, [])
    text = getattr(markdown_report, render)(*args)
    header = next(line for line in text.splitlines() if line.startswith("Suite "))
    assert "``gate`<img src=x>``" in header
    assert header.endswith("`py:agent # Release gate: **OK**`.")
    assert sum(line.startswith("# Release gate") for line in text.splitlines()) == 0


def test_a_report_dir_that_cannot_be_written_is_exit_4_with_its_path(
    tmp_path: Path, item, make_report
) -> None:
    """A file where the directory should be (what a read-only dir is to root, who
    ignores permission bits): an external error, exit 4, naming the path."""
    blocker = tmp_path / "gate"
    blocker.write_text("not a directory", "utf-8")
    with pytest.raises(ExternalError) as info:
        write_reports(make_report([item("a")]), blocker)
    assert info.value.exit_code == EXIT_EXTERNAL == 4
    assert str(blocker) in info.value.render()


def test_a_full_disk_is_exit_4_and_leaves_no_partial_file(
    tmp_path: Path, item, make_report, monkeypatch
) -> None:
    """ENOSPC in the middle of a write: exit 4 with the path; the previous report is
    intact and no temporary file is left behind."""
    import errno
    import os

    out = tmp_path / "gate"
    write_reports(make_report([item("a")]), out, ["json"])
    before = (out / "report.json").read_bytes()
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ExternalError) as info:
        write_reports(make_report([item("b", "failed")]), out, ["json", "junit"])
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert info.value.exit_code == 4 and "No space left on device" in info.value.render()
    assert str(out) in info.value.render()
    assert (out / "report.json").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]


def test_ctrl_c_while_writing_leaves_no_partial_report(tmp_path: Path, item, make_report) -> None:
    """Reports are written to a temporary file and renamed: an interrupt midway leaves
    neither a truncated junit.xml nor the temporary file."""
    from regression_suite import junit

    report = make_report([item("a"), item("b", "failed")])

    def interrupted(report):
        yield from list(junit.render_junit(report))[:3]
        raise KeyboardInterrupt

    from incident_lab.atomic import write_text_atomic

    with pytest.raises(KeyboardInterrupt):
        write_text_atomic(tmp_path / "junit.xml", interrupted(report))
    assert list(tmp_path.iterdir()) == []
