"""The incident report (``incident_lab report``): one self-contained HTML page and Markdown.

Public surface::

    collect_report(bundle_dir, scenarios_dir=None, gate_report=None) -> dict   # incident_report/v1
    write_report(doc, out_dir) -> [report.html, report.md]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

HTML_FILE = "report.html"
MD_FILE = "report.md"


def write_report(doc: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """Write ``report.html`` and ``report.md`` into ``out_dir`` atomically.

    Raises:
        InputError: the directory cannot be created or written.
    """
    import os

    from incident_lab.atomic import write_text_atomic
    from incident_lab.errors import InputError
    from incident_lab.report.html import render_html
    from incident_lab.report.markdown import render_markdown

    out = Path(out_dir)
    rejects = doc.get("rejects") or {}
    if rejects.get("path"):  # the link from where the report is to the bundle's file
        bundle_file = Path(doc["bundle"]) / rejects["path"]
        doc = {**doc, "rejects": {**rejects, "href": os.path.relpath(bundle_file, out.resolve())}}
    try:
        out.mkdir(parents=True, exist_ok=True)
        html, md = out / HTML_FILE, out / MD_FILE
        write_text_atomic(html, render_html(doc))
        write_text_atomic(md, render_markdown(doc))
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror}", path=str(out)) from None
    return [html, md]
