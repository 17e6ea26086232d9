"""Evidence bundles: preserve an incident's sessions verifiably (playbook phase 2).

- :func:`take_snapshot` writes ``incident_<UTC timestamp>/`` from logs
  (``incident_lab snapshot``); :func:`verify_bundle` recomputes everything
  (``incident_lab verify``).
- :func:`load_bundle` opens a bundle for later phases (classify, ticket, add), and
  :func:`append_event` records an action in its hash-chained ``timeline.jsonl``.

Names are resolved on first use (``verify`` does not load the readers and plugins
``snapshot`` needs), so importing this package is light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from incident_lab.lazy import lazy_exports

if TYPE_CHECKING:
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

_LAZY = {
    "FOLLOWUP": "incident_lab.evidence.bundle",
    "Bundle": "incident_lab.evidence.bundle",
    "load_bundle": "incident_lab.evidence.bundle",
    "SnapshotResult": "incident_lab.evidence.snapshot",
    "take_snapshot": "incident_lab.evidence.snapshot",
    "append_event": "incident_lab.evidence.timeline",
    "VerifyReport": "incident_lab.evidence.verify",
    "verify_bundle": "incident_lab.evidence.verify",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
