"""Thin, recorded, reversible adapters for containment and notification (phases 1 and 4)."""
