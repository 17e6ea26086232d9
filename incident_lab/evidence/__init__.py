"""Evidence bundles: preserve an incident's sessions verifiably (playbook phase 2).

- :func:`take_snapshot` writes ``incident_<UTC timestamp>/`` from logs
  (``incident_lab snapshot``); :func:`verify_bundle` recomputes everything
  (``incident_lab verify``).
- :func:`load_bundle` opens a bundle for later phases (classify, ticket, add), and
  :func:`append_event` records an action in its hash-chained ``timeline.jsonl``.

pandas is imported only when metrics are computed, so importing this package is light.
"""

from __future__ import annotations

from incident_lab.evidence.bundle import FOLLOWUP, Bundle, load_bundle
from incident_lab.evidence.snapshot import SnapshotResult, take_snapshot
from incident_lab.evidence.timeline import append_event
from incident_lab.evidence.verify import VerifyReport, verify_bundle

__all__ = [
    "FOLLOWUP",
    "Bundle",
    "SnapshotResult",
    "VerifyReport",
    "append_event",
    "load_bundle",
    "take_snapshot",
    "verify_bundle",
]
