"""Evidence bundles: preserve an incident's sessions verifiably (playbook phase 2).

- :func:`take_snapshot` writes ``incident_<UTC timestamp>/`` from logs
  (``incident_lab snapshot``); :func:`~incident_lab.evidence.verify.verify_bundle` recomputes everything
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
    from incident_lab.evidence.bundle import load_bundle
    from incident_lab.evidence.snapshot import take_snapshot
    from incident_lab.evidence.timeline import append_event

__all__ = ["append_event", "load_bundle", "take_snapshot"]

_LAZY = {
    "load_bundle": "incident_lab.evidence.bundle",
    "take_snapshot": "incident_lab.evidence.snapshot",
    "append_event": "incident_lab.evidence.timeline",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
