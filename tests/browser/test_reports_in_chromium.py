"""Both HTML reports open in real headless Chromium: every section and chart renders,
with no console error, no exception, no CSP violation and no network request.

Chromium is required: these tests fail (never skip) when it is missing, since
`.ci/run` installs it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incident_lab.report.html import SECTIONS
from tests.browser.cdp import find_chromium, open_page

_INCIDENT_PROBE = """JSON.stringify({
  sections: [...document.querySelectorAll('section[id]')].map(s => ({
      id: s.id, heading: (s.querySelector('h2') || {}).textContent || '',
      height: s.getBoundingClientRect().height})),
  verdict: (document.getElementById('verdict') || {}).innerText || '',
  charts: [...document.querySelectorAll('svg.chart')].map(svg => ({
      title: (svg.querySelector('title') || {}).textContent || '',
      width: svg.getBoundingClientRect().width, height: svg.getBoundingClientRect().height,
      marks: svg.querySelectorAll('rect,path,circle').length,
      na: svg.querySelectorAll('.na').length})),
  placeholders: document.querySelectorAll('.placeholder').length,
  scripts: document.scripts.length
})"""

_GATE_PROBE = """JSON.stringify({
  headings: [...document.querySelectorAll('h2')].map(h => h.textContent),
  verdict: (document.querySelector('.verdict') || {}).innerText || '',
  title: document.title,
  charts: [...document.querySelectorAll('svg.chart')].map(svg => ({
      title: (svg.querySelector('title') || {}).textContent || '',
      width: svg.getBoundingClientRect().width,
      marks: svg.querySelectorAll('rect,path,circle').length})),
  scripts: document.scripts.length
})"""


def _clean(result) -> None:
    assert result.loaded
    assert result.console == []
    assert result.exceptions == []
    assert result.log_errors == []
    assert result.requests == [], f"the page made network requests: {result.requests}"


def test_chromium_is_installed() -> None:
    """The browser tests need Debian's chromium (installed by .ci/run); missing is a failure."""
    assert find_chromium() is not None, "chromium is not installed: apt-get install chromium"


def test_incident_report_renders_every_section_and_chart(incident_report_dir: Path) -> None:
    """report.html of an incident: status badges, all sections, charts with marks, placeholders."""
    result = open_page(incident_report_dir / "report.html", _INCIDENT_PROBE)
    _clean(result)
    page = json.loads(result.value)
    assert [s["id"] for s in page["sections"]] == [sid for sid, _ in SECTIONS]
    for section, (_, title) in zip(page["sections"], SECTIONS, strict=True):
        assert section["heading"] == title
        assert section["height"] > 30, f"section {section['id']} did not render"
    assert "severity: SEV-" in page["verdict"]
    assert "failure mode: prompt_injection" in page["verdict"]
    assert (
        "blast radius: moderate" in page["verdict"] or "blast radius: localized" in page["verdict"]
    )
    titles = [c["title"] for c in page["charts"]]
    assert any("Safeguard decisions" in t for t in titles)
    assert any("Tool calls" in t for t in titles)
    assert any("Matching sessions by day" in t for t in titles)
    for chart in page["charts"]:
        assert chart["width"] > 100 and chart["height"] > 20, chart
        assert chart["marks"] > 0 or chart["na"] > 0, chart  # data, or "n/a" said so
    assert page["placeholders"] >= 6  # four layers, contributing factors, the decision
    assert page["scripts"] == 0


def test_gate_report_renders_verdict_charts_and_history_trend(gate_report_dir: Path) -> None:
    """The gate's report.html: the verdict, pass-rate charts and the gate-history trend."""
    result = open_page(gate_report_dir / "report.html", _GATE_PROBE)
    _clean(result)
    page = json.loads(result.value)
    assert page["verdict"] == "BLOCK"
    assert "BLOCK" in page["title"]
    for heading in ("Summary", "Why", "Pass rates", "Failures", "All cases", "History"):
        assert heading in page["headings"]
    titles = [c["title"] for c in page["charts"]]
    assert any(t.startswith("Gate history") for t in titles), titles
    trend = next(c for c in page["charts"] if c["title"].startswith("Gate history"))
    assert trend["marks"] >= 6  # two lines and their three points each
    assert all(c["width"] > 100 for c in page["charts"])
    assert page["scripts"] == 0


#: For every table: each numeric cell (``td.num``) with the x-range of its text and of
#: its column header's text; plus the page's visible text.
_LAYOUT_PROBE = """(() => {
  const textBox = el => { const r = document.createRange(); r.selectNodeContents(el);
                          const b = r.getBoundingClientRect(); return [b.left, b.right]; };
  const cells = [];
  for (const table of document.querySelectorAll('table')) {
    const heads = [...table.querySelectorAll('thead th')];
    for (const row of table.querySelectorAll('tbody tr')) {
      [...row.children].forEach((td, i) => {
        if (!td.classList.contains('num') || !heads[i] || !td.textContent.trim()) return;
        const box = heads[i].getBoundingClientRect();
        cells.push({header: heads[i].textContent, text: td.textContent,
                    cell: textBox(td), head: textBox(heads[i]), column: [box.left, box.right]});
      });
    }
  }
  return JSON.stringify({cells, text: document.body.innerText,
    zero: document.querySelectorAll('svg.chart .zero').length,
    legend: [...document.querySelectorAll('svg.chart .legend')].map(t => t.textContent)});
})()"""


def _layout(path: Path, shot: Path) -> dict:
    result = open_page(path, _LAYOUT_PROBE, screenshot=shot)
    _clean(result)
    assert shot.stat().st_size > 1000  # kept as a test artefact
    page: dict = json.loads(result.value)
    return page


def _under_headers(cells: list[dict]) -> None:
    """Each number lies inside its column and overlaps its header's text: read straight
    down from the header, the number is under it (not under the next one)."""
    assert cells
    for c in cells:
        (left, right), (hl, hr), (cl, cr) = c["cell"], c["head"], c["column"]
        where = f"{c['text']!r} under {c['header']!r}: text {left:.0f}-{right:.0f}, header {hl:.0f}-{hr:.0f}"
        assert cl - 0.5 <= left and right <= cr + 0.5, where
        assert left < hr and hl < right, where


def test_gate_report_numbers_sit_under_their_headers(
    gate_report_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """report.html of the gate: every numeric cell under its header, no "None", 0 % drawn
    as a zero mark with its interval labelled and a legend, variant bypasses in the
    pass-rate view, one case id (the JUnit/terminal one) for variants."""
    shots = tmp_path_factory.mktemp("screenshots")
    page = _layout(gate_report_dir / "report.html", shots / "gate-report.png")
    _under_headers(page["cells"])
    text = page["text"]
    assert "None" not in text
    assert page["zero"] >= 1 and "0% (CI 0%–" in text
    assert any("confidence interval" in t for t in page["legend"])
    assert "prompt_injection · variants" in text and "bypass)" in text
    assert "inc-mail[conv0]" in text and "inc-mail--conv0" not in text


def test_incident_report_numbers_sit_under_their_headers(
    incident_report_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shots = tmp_path_factory.mktemp("screenshots")
    page = _layout(incident_report_dir / "report.html", shots / "incident-report.png")
    _under_headers(page["cells"])
    assert "None" not in page["text"]
    assert "Rejected records" in page["text"]
