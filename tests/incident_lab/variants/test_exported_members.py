"""The public surface of incident_lab.variants is exactly what users import."""

from __future__ import annotations

import incident_lab.variants


def test_variants_package_exports() -> None:
    """Changing this list is a public API change."""
    assert sorted(incident_lab.variants.__all__) == [
        "Converter",
        "NotApplicable",
        "StructuralConverter",
        "apply_chain",
        "converter",
        "generate_variants",
        "get_converters",
        "write_variants",
    ]
    for name in incident_lab.variants.__all__:
        assert getattr(incident_lab.variants, name) is not None
