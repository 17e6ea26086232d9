"""The built-in converters, registered through the plugin manager like any plugin.

Families: encodings (:mod:`~incident_lab.variants.encodings`), character level
(:mod:`~incident_lab.variants.characters`), concealment
(:mod:`~incident_lab.variants.concealment`), framing
(:mod:`~incident_lab.variants.framing`) and structure
(:mod:`~incident_lab.variants.structure`). docs/variants.md lists each one.
"""

from __future__ import annotations

from incident_lab.hookspecs import hookimpl
from incident_lab.variants.base import Converter, StructuralConverter
from incident_lab.variants.characters import CHARACTERS
from incident_lab.variants.concealment import CONCEALMENT
from incident_lab.variants.encodings import ENCODINGS
from incident_lab.variants.framing import FRAMING
from incident_lab.variants.structure import STRUCTURE, STRUCTURE_STRINGS

#: Every built-in converter, in the order listings show them.
BUILTIN_CONVERTERS: tuple[Converter | StructuralConverter, ...] = (
    *ENCODINGS,
    *CHARACTERS,
    *CONCEALMENT,
    *FRAMING,
    *STRUCTURE,
    *STRUCTURE_STRINGS,
)


@hookimpl
def register_converters() -> list[Converter | StructuralConverter]:
    """Register the built-in converters."""
    return list(BUILTIN_CONVERTERS)
