"""One provenance view of a session: where every argument came from, which untrusted text instructs the model.

Shared by classify, severity, ``add`` (payload and expectations) and blast radius; no
detector rebuilds it. Pure functions over a ``trajectory/v1`` dict::

    from incident_lab.provenance import analyse

    prov = analyse(trajectory)
    prov.instructions        # instruction spans in untrusted content (step, offsets, text, cues)
    prov.calls               # per tool call: argument sources, requested / unrequested, failed
    prov.obedient            # answers that did what an injected span asked, no tool call
    prov.unrequested_calls
    prov.first_unsafe_step
    text_of_step(step)       # the text all offsets refer to

See :mod:`incident_lab.provenance.analysis` for the rules, and docs/incident_lab.md
("Provenance") for the contract.
"""

from __future__ import annotations

from incident_lab.provenance.analysis import analyse
from incident_lab.provenance.model import Provenance

__all__ = ["Provenance", "analyse"]
