"""Writing a bundle's ``followup/classification.json``: the classification, on disk."""

from __future__ import annotations

import json
from pathlib import Path

from incident_lab import __version__
from incident_lab.atomic import write_text_atomic
from incident_lab.classify.engine import Classification
from incident_lab.taxonomy import load_taxonomy
from incident_lab.trajectory import utc_now_iso

__all__ = ["write_classification"]


def write_classification(bundle: Path, results: list[Classification], source: Path) -> Path:
    """Write ``results`` to ``BUNDLE/followup/classification.json`` (atomically).

    The document (``classification/v1``) records when and by which version it was
    made, what was read and the taxonomy catalogue versions the ids refer to.

    Args:
        bundle: The evidence bundle directory.
        results: One classification per session.
        source: What was classified (the bundle or its ``trajectories.jsonl``).

    Returns:
        The path written.
    """
    followup = bundle / "followup"
    followup.mkdir(exist_ok=True)
    out = followup / "classification.json"
    doc = {
        "schema_version": "classification/v1",
        "generated_at": utc_now_iso(),
        "tool_version": __version__,
        "source": str(source),
        "taxonomy_versions": load_taxonomy().versions(),
        "sessions": [c.to_dict() for c in results],
    }
    write_text_atomic(out, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return out
