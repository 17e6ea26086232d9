"""Built-in reporters, registered through the plugin manager like any third party's."""

from __future__ import annotations

from incident_lab.hookspecs import hookimpl
from regression_suite.junit import write_junit
from regression_suite.reports.base import Reporter
from regression_suite.reports.html_report import write_html
from regression_suite.reports.json_report import write_json
from regression_suite.reports.markdown_report import write_github_summary, write_markdown


@hookimpl
def register_reporters() -> list[Reporter]:
    """Return the built-in reporters: ``json``, ``html``, ``markdown``, ``junit``, ``github``."""
    return [
        Reporter(
            "json", write_json, "report.json: the machine-readable gate report (gate_report/v1)."
        ),
        Reporter("html", write_html, "report.html: a self-contained page with charts and diffs."),
        Reporter("markdown", write_markdown, "report.md: the verdict, reasons and bypass rates."),
        Reporter(
            "junit",
            write_junit,
            "junit.xml: one testcase per item with its own time; WARN as <skipped>.",
        ),
        Reporter(
            "github",
            write_github_summary,
            "Appends the Markdown summary to $GITHUB_STEP_SUMMARY when set.",
        ),
    ]
