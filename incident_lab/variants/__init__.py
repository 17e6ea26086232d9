"""Stress-test variants: rewrites of a scenario's attack (phase 6 of the playbook).

A patch that blocks the literal payload of an incident is not a fix if the same
attack in base64, with homoglyphs, or split over two turns still gets through.
This package rewrites the payload with named converters (plugins, hook
``register_converters``), chains them, and writes each result as a scenario of
its own under ``scenarios/variants/``.

Public surface::

    generate_variants(scenario, converters=None, depth=1, n=50, seed=0) -> list[dict]
    write_variants(scenarios_dir, variants) -> list[(path, status)]
    get_converters() -> dict[name, Converter | StructuralConverter]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from incident_lab.lazy import lazy_exports

__all__ = [
    "Converter",
    "NotApplicable",
    "StructuralConverter",
    "apply_chain",
    "converter",
    "generate_variants",
    "get_converters",
    "write_variants",
]

# Resolved on first use: importing one converter module (the classifier reads
# framing cues) must not load the generator, the scenario I/O and YAML.
_LAZY = {
    "Converter": "incident_lab.variants.base",
    "NotApplicable": "incident_lab.variants.base",
    "StructuralConverter": "incident_lab.variants.base",
    "converter": "incident_lab.variants.base",
    "apply_chain": "incident_lab.variants.generate",
    "generate_variants": "incident_lab.variants.generate",
    "get_converters": "incident_lab.variants.generate",
    "write_variants": "incident_lab.variants.generate",
}

if TYPE_CHECKING:
    from incident_lab.variants.base import Converter, NotApplicable, StructuralConverter, converter
    from incident_lab.variants.generate import (
        apply_chain,
        generate_variants,
        get_converters,
        write_variants,
    )

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
